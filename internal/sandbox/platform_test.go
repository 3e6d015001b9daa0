package sandbox

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/threadesk/threadesk/internal/desk"
)

func TestIdentityAndLimits(t *testing.T) {
	f := newFixture(t)
	if got, want := f.sb.Name(), "sandbox"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	if got, want := f.sb.TriageChannel(), "triage"; got != want {
		t.Errorf("TriageChannel = %q, want %q", got, want)
	}
	if got, want := f.sb.Limits(), (desk.Limits{MaxText: 4000}); got != want {
		t.Errorf("Limits = %+v, want %+v", got, want)
	}
	if got, want := New(Options{MaxText: 50}).Limits().MaxText, 50; got != want {
		t.Errorf("Limits().MaxText with MaxText 50 = %d, want %d", got, want)
	}
	if err := f.sb.Ping(context.Background()); err != nil {
		t.Errorf("Ping = %v", err)
	}
}

func TestPost(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	root := f.card(t)
	ctx := context.Background()

	tests := []struct {
		name   string
		out    desk.Outgoing
		reason string // the expected failure; "" for success
	}{
		{"dm", desk.Outgoing{Channel: f.dm(t, ada), Text: "hello", Key: "k1"}, ""},
		{"thread reply as a persona", desk.Outgoing{Channel: TriageChannel, Thread: root.ID, Text: "hi", As: &desk.User{ID: ada, DisplayName: "Ada"}}, ""},
		{"ephemeral", desk.Outgoing{Channel: TriageChannel, Text: "only you", Ephemeral: ada}, ""},
		{"text of MaxText runes", desk.Outgoing{Channel: TriageChannel, Text: strings.Repeat("é", 4000)}, ""},
		{"unknown channel", desk.Outgoing{Channel: "nope", Text: "x"}, "channel_not_found"},
		{"unknown thread", desk.Outgoing{Channel: TriageChannel, Thread: "m999", Text: "x"}, "thread_not_found"},
		{"thread in another channel", desk.Outgoing{Channel: f.dm(t, ada), Thread: root.ID, Text: "x"}, "thread_not_found"},
		{"too long", desk.Outgoing{Channel: TriageChannel, Text: strings.Repeat("a", 4001)}, "msg_too_long"},
		{"empty", desk.Outgoing{Channel: TriageChannel}, "no_text"},
		{"ephemeral to unknown user", desk.Outgoing{Channel: TriageChannel, Text: "x", Ephemeral: "u0"}, "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := f.sb.Post(ctx, tt.out)
			if got := deliveryReason(err); got != tt.reason {
				t.Fatalf("Post error = %v (reason %q), want reason %q", err, got, tt.reason)
			}
			if tt.reason != "" {
				if strings.HasSuffix(tt.reason, "_not_found") != errors.Is(err, desk.ErrNotFound) {
					t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, errors.Is(err, desk.ErrNotFound))
				}
				return
			}
			m := f.message(t, ref.ID)
			if m.Channel != tt.out.Channel || ref.Channel != tt.out.Channel || m.Thread != tt.out.Thread || m.Text != tt.out.Text ||
				m.Key != tt.out.Key || m.Ephemeral != tt.out.Ephemeral || !m.FromApp {
				t.Errorf("stored %+v for %+v", m, tt.out)
			}
			if (m.As != nil) != (tt.out.As != nil) {
				t.Errorf("As = %+v, want %+v", m.As, tt.out.As)
			}
		})
	}
	if evs := f.ing.Events(); len(evs) != 0 {
		t.Errorf("the app's posts became events: %+v", evs)
	}
}

// The sandbox's page shows every text as text and knows no mention or link markup: people's
// words need no quoting (Quote leaves them as typed), and a relayed message, every mention
// form in it, is kept as written, its speaker's name too; the page test shows it as text.
func TestQuoteAndRelayedTextStayAsTyped(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	root := f.card(t)
	words := "<!channel> @here <b>bold</b> [pay](http://evil.example) <@u1|Bob>"
	if got := f.sb.Quote(words); got != words {
		t.Errorf("Quote(%q) = %q, want it as typed", words, got)
	}
	ref, err := f.sb.Post(context.Background(), desk.Outgoing{Channel: TriageChannel, Thread: root.ID, Text: words,
		As: &desk.User{ID: ada, DisplayName: "@here <i>Ada</i>"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := f.message(t, ref.ID); m.Text != words || m.As == nil || m.As.DisplayName != "@here <i>Ada</i>" {
		t.Errorf("stored %q as %+v, want the text and the name as written", m.Text, m.As)
	}
}

func TestPostCopiesTheCard(t *testing.T) {
	f := newFixture(t)
	c := &desk.Card{Title: "T", Actions: []desk.Action{{ID: "claim", Label: "Claim", Value: "1"}}}
	ref, err := f.sb.Post(context.Background(), desk.Outgoing{Channel: TriageChannel, Text: "t", Card: c})
	if err != nil {
		t.Fatal(err)
	}
	c.Title, c.Actions[0].Value = "changed", "2"
	m := f.message(t, ref.ID)
	if got, want := m.Card.Title+"/"+m.Card.Actions[0].Value, "T/1"; got != want {
		t.Errorf("card after the caller changed its copy = %s, want %s", got, want)
	}
}

func TestUpdateAndDelete(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada", RoleCustomer)
	ctx := context.Background()
	text, err := f.sb.Post(ctx, desk.Outgoing{Channel: f.dm(t, ada), Text: "first"})
	if err != nil {
		t.Fatal(err)
	}
	card := f.card(t)
	code, out := f.call(t, "POST", "/sandbox/api/messages", map[string]any{"user": ada, "text": "mine"})
	if code != 201 {
		t.Fatalf("send: %d %v", code, out)
	}
	own := out["message"].(map[string]any)["id"].(string)

	if err := f.sb.Update(ctx, text, desk.Outgoing{Text: "second"}); err != nil {
		t.Fatalf("Update text: %v", err)
	}
	if m := f.message(t, text.ID); m.Text != "second" || !m.Edited {
		t.Errorf("after Update: text %q edited %v, want %q true", m.Text, m.Edited, "second")
	}
	newCard := &desk.Card{Title: "Ticket #1 · Ada", Fields: []desk.Field{{Label: "Status", Value: "open"}}}
	if err := f.sb.Update(ctx, card, desk.Outgoing{Text: "Ticket #1", Card: newCard}); err != nil {
		t.Fatalf("Update card: %v", err)
	}
	if m := f.message(t, card.ID); m.Card.Fields[0].Value != "open" || len(m.Card.Actions) != 0 || m.Edited {
		t.Errorf("after card Update: %+v (edited %v)", m.Card, m.Edited)
	}

	for _, tt := range []struct {
		name   string
		ref    desk.MessageRef
		reason string
	}{
		{"unknown", desk.MessageRef{Channel: TriageChannel, ID: "m0"}, "message_not_found"},
		{"wrong channel", desk.MessageRef{Channel: TriageChannel, ID: text.ID}, "message_not_found"},
		{"a person's message", desk.MessageRef{Channel: f.dm(t, ada), ID: own}, "cant_update_message"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := deliveryReason(f.sb.Update(ctx, tt.ref, desk.Outgoing{Text: "x"})); got != tt.reason {
				t.Errorf("Update reason = %q, want %q", got, tt.reason)
			}
			if got := deliveryReason(f.sb.Delete(ctx, tt.ref)); got != tt.reason {
				t.Errorf("Delete reason = %q, want %q", got, tt.reason)
			}
		})
	}
	if got, want := deliveryReason(f.sb.Update(ctx, text, desk.Outgoing{Text: strings.Repeat("a", 4001)})), "msg_too_long"; got != want {
		t.Errorf("Update too long: reason %q, want %q", got, want)
	}

	if err := f.sb.Delete(ctx, text); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if m := f.message(t, text.ID); !m.Deleted || m.Text != "" {
		t.Errorf("after Delete: deleted %v text %q", m.Deleted, m.Text)
	}
	err = f.sb.Delete(ctx, text)
	if got, want := deliveryReason(err), "message_not_found"; got != want || !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("second Delete = %v, want %s wrapping ErrNotFound", err, want)
	}
	if got, want := deliveryReason(f.sb.Update(ctx, text, desk.Outgoing{Text: "x"})), "message_not_found"; got != want {
		t.Errorf("Update of a deleted message: reason %q, want %q", got, want)
	}
}

func TestUploadAndDownload(t *testing.T) {
	f := newFixture(t)
	root := f.card(t)
	ctx := context.Background()
	ref, err := f.sb.Upload(ctx, desk.Outgoing{Channel: TriageChannel, Thread: root.ID, Text: "see", Key: "f1"},
		desk.File{Name: "log.txt", MimeType: "text/plain"}, strings.NewReader("line 1\n"))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	m := f.message(t, ref.ID)
	if len(m.Files) != 1 || m.Files[0].Name != "log.txt" || m.Files[0].Size != 7 || m.Text != "see" || m.Thread != root.ID {
		t.Fatalf("uploaded message = %+v", m)
	}
	rc, err := f.sb.Download(ctx, desk.File{ID: m.Files[0].ID})
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if got, want := string(data), "line 1\n"; got != want {
		t.Errorf("downloaded %q, want %q", got, want)
	}
	if _, err := f.sb.Download(ctx, desk.File{ID: "f0"}); deliveryReason(err) != "file_not_found" || !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Download of unknown file = %v", err)
	}
	_, err = f.sb.Upload(ctx, desk.Outgoing{Channel: TriageChannel}, desk.File{Name: "big"}, strings.NewReader(strings.Repeat("x", 1<<10+1)))
	if got, want := deliveryReason(err), "file_too_large"; got != want {
		t.Errorf("Upload over MaxUpload: reason %q, want %q", got, want)
	}
	_, err = f.sb.Upload(ctx, desk.Outgoing{Channel: "nope"}, desk.File{Name: "a"}, strings.NewReader("a"))
	if got, want := deliveryReason(err), "channel_not_found"; got != want {
		t.Errorf("Upload to unknown channel: reason %q, want %q", got, want)
	}
}

func TestMark(t *testing.T) {
	f := newFixture(t)
	ref := f.card(t)
	ctx := context.Background()
	for _, mark := range []desk.Mark{desk.MarkDelivered, desk.MarkNote, desk.MarkDelivered} {
		if err := f.sb.Mark(ctx, ref, mark); err != nil {
			t.Fatalf("Mark %s: %v", mark, err)
		}
	}
	if got, want := f.message(t, ref.ID).Marks, []desk.Mark{desk.MarkDelivered, desk.MarkNote}; !equal(got, want) {
		t.Errorf("marks = %v, want %v", got, want)
	}
	if got, want := deliveryReason(f.sb.Mark(ctx, ref, "heart")), "invalid_name"; got != want {
		t.Errorf("unknown mark: reason %q, want %q", got, want)
	}
	if got, want := deliveryReason(f.sb.Mark(ctx, desk.MessageRef{Channel: TriageChannel, ID: "m0"}, desk.MarkFailed)), "message_not_found"; got != want {
		t.Errorf("mark on unknown message: reason %q, want %q", got, want)
	}
	// Unmark takes one off; one that is not there is no error.
	for range 2 {
		if err := f.sb.Unmark(ctx, ref, desk.MarkDelivered); err != nil {
			t.Fatalf("Unmark: %v", err)
		}
	}
	if got, want := f.message(t, ref.ID).Marks, []desk.Mark{desk.MarkNote}; !equal(got, want) {
		t.Errorf("marks after Unmark = %v, want %v", got, want)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFind(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root := f.card(t)
	reply, err := f.sb.Post(ctx, desk.Outgoing{Channel: TriageChannel, Thread: root.ID, Text: "r", Key: "reply-1"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := f.sb.Post(ctx, desk.Outgoing{Channel: TriageChannel, Thread: root.ID, Text: "g", Key: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sb.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, channel, thread, key string
		want                       string // message ID; "" for not found
	}{
		{"root by key", TriageChannel, "", "card-1", root.ID},
		{"reply under its thread", TriageChannel, root.ID, "reply-1", reply.ID},
		{"reply without thread", TriageChannel, "", "reply-1", reply.ID},
		{"reply under another thread", TriageChannel, "m0", "reply-1", ""},
		{"unknown key", TriageChannel, "", "nope", ""},
		{"empty key", TriageChannel, "", "", ""},
		{"deleted", TriageChannel, root.ID, "gone", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := f.sb.Find(ctx, tt.channel, tt.thread, tt.key)
			if tt.want == "" {
				if !errors.Is(err, desk.ErrNotFound) {
					t.Errorf("Find = %v, %v; want ErrNotFound", ref, err)
				}
				return
			}
			if err != nil || ref != (desk.MessageRef{Channel: tt.channel, ID: tt.want}) {
				t.Errorf("Find = %v, %v; want %s", ref, err, tt.want)
			}
		})
	}
	if _, err := f.sb.Find(ctx, "nope", "", "card-1"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Find in unknown channel = %v, want ErrNotFound", err)
	}
}

func TestOpenDMAndUserInfo(t *testing.T) {
	f := newFixture(t)
	ada := f.user(t, "Ada Lovelace", RoleCustomer)
	again := f.user(t, "ada lovelace", RoleAgent)
	ctx := context.Background()

	dm, err := f.sb.OpenDM(ctx, ada)
	if err != nil || dm != "D-"+ada {
		t.Errorf("OpenDM = %q, %v; want %q", dm, err, "D-"+ada)
	}
	got, err := f.sb.UserInfo(ctx, ada)
	if want := (desk.User{ID: ada, Name: "ada.lovelace", DisplayName: "Ada Lovelace"}); err != nil || got != want {
		t.Errorf("UserInfo = %+v, %v; want %+v", got, err, want)
	}
	if got, _ := f.sb.UserInfo(ctx, again); got.Name != "ada.lovelace2" {
		t.Errorf("second handle = %q, want ada.lovelace2", got.Name)
	}
	if _, err := f.sb.OpenDM(ctx, "u0"); deliveryReason(err) != "user_not_found" || !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("OpenDM of unknown user = %v", err)
	}
	if _, err := f.sb.UserInfo(ctx, "u0"); deliveryReason(err) != "user_not_found" || !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("UserInfo of unknown user = %v", err)
	}
}

func TestOpenForm(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", RoleAgent)
	card := f.card(t)
	ctx := context.Background()
	form := desk.Form{ID: "tag", Title: "Tag ticket #1", Submit: "Save", Context: "1", Fields: []desk.FormField{
		{ID: "priority", Label: "Priority", Kind: "select", Options: []string{"low", "high"}},
	}}
	click := func() string {
		t.Helper()
		code, out := f.call(t, "POST", "/sandbox/api/actions", map[string]any{"user": bob, "message": card.ID, "action": "tag", "value": "1"})
		if code != 200 {
			t.Fatalf("click: %d %v", code, out)
		}
		evs := f.ing.Events()
		return evs[len(evs)-1].Trigger
	}

	trig := click()
	if err := f.sb.OpenForm(ctx, trig, form); err != nil {
		t.Fatalf("OpenForm: %v", err)
	}
	f.sb.mu.Lock()
	snap := f.sb.snapshot()
	f.sb.mu.Unlock()
	if len(snap.Forms) != 1 || snap.Forms[0].User != bob || snap.Forms[0].FormID != "tag" || snap.Forms[0].Fields[0].Options[1] != "high" {
		t.Errorf("open forms = %+v", snap.Forms)
	}
	if got, want := deliveryReason(f.sb.OpenForm(ctx, trig, form)), "invalid_trigger_id"; got != want {
		t.Errorf("second use of a trigger: reason %q, want %q", got, want)
	}
	if got, want := deliveryReason(f.sb.OpenForm(ctx, "t0", form)), "invalid_trigger_id"; got != want {
		t.Errorf("unknown trigger: reason %q, want %q", got, want)
	}
	late := click()
	f.clock.Advance(time.Minute)
	if got, want := deliveryReason(f.sb.OpenForm(ctx, late, form)), "expired_trigger_id"; got != want {
		t.Errorf("expired trigger: reason %q, want %q", got, want)
	}
	if got, want := deliveryReason(f.sb.OpenForm(ctx, click(), desk.Form{ID: "x", Title: "X", Fields: []desk.FormField{{ID: "a", Kind: "slider"}}})), "invalid_form"; got != want {
		t.Errorf("unknown field kind: reason %q, want %q", got, want)
	}
}

func TestCanceledContext(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.sb.Post(ctx, desk.Outgoing{Channel: TriageChannel, Text: "x"})
	if de := desk.AsDeliveryError(err); err == nil || !de.Temporary || !errors.Is(err, context.Canceled) {
		t.Errorf("Post with a canceled context = %v, want a temporary failure wrapping context.Canceled", err)
	}
}
