package slack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/threadesk/threadesk/internal/desk"
)

// ingestTimeout bounds how long one Socket Mode envelope may wait for the ingester. Slack
// redelivers an envelope that is not acknowledged within a few seconds anyway.
const ingestTimeout = 10 * time.Second

// fatalRetry is how long Socket Mode waits before connecting again after Slack refused the app
// token (invalid_auth, token_revoked, …); slack-go itself retries every other failure.
const fatalRetry = time.Minute

// runSocketMode receives events over Socket Mode until ctx ends. slack-go's client opens the
// connection with apps.connections.open, reconnects when Slack sends a "disconnect" request or
// the connection dies (no ping within its interval), and backs off on connection errors; it
// gives up only on an invalid token, after which this loop tries again later.
//
// Envelopes are handled in lanes: those of one ticket's conversation (or one person's clicks
// and commands) one at a time, in the order Slack sent them, and different lanes in parallel,
// so that one busy customer never holds up other people's acknowledgements. Each is
// acknowledged as soon as the ingester has recorded it (without the intake's wait for a busy
// queue, see desk.WithoutIntakeWait): an envelope that is not acknowledged is sent again.
func (a *Adapter) runSocketMode(ctx context.Context) {
	client := socketmode.New(a.api, socketmode.OptionLog(slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)))
	if !a.bg.run(ctx, func(ctx context.Context) { a.connectSocketMode(ctx, client) }) {
		return
	}
	var lanes lanes
	defer lanes.wait() // Close waits for the envelopes in hand
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-client.Events:
			lanes.push(laneOf(evt), func() { a.handleSocketEvent(ctx, client, evt) })
		}
	}
}

// connectSocketMode keeps slack-go's client connected until ctx ends: RunContext returns only
// when Slack refused the app token, and then it is tried again after fatalRetry.
func (a *Adapter) connectSocketMode(ctx context.Context, client *socketmode.Client) {
	for {
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		a.log.ErrorContext(ctx, "slack socket mode stopped; retrying", "err", err, "in", fatalRetry)
		if desk.Sleep(ctx, a.clock(), fatalRetry) != nil {
			return
		}
	}
}

// lanes run the envelopes of one lane (one ticket's conversation, or one person) one after
// the other, each lane in its own goroutine while it has envelopes, so that no lane ever waits
// for another.
type lanes struct {
	mu    sync.Mutex
	queue map[string][]func() // a lane present here has a goroutine running it
	wg    sync.WaitGroup
}

// wait returns once every lane has run what it was given.
func (l *lanes) wait() { l.wg.Wait() }

// push queues f on lane key, starting the lane's goroutine if it has none.
func (l *lanes) push(key string, f func()) {
	l.mu.Lock()
	if l.queue == nil {
		l.queue = map[string][]func(){}
	}
	q, running := l.queue[key]
	l.queue[key] = append(q, f)
	l.mu.Unlock()
	if running {
		return
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			l.mu.Lock()
			q := l.queue[key]
			if len(q) == 0 {
				delete(l.queue, key)
				l.mu.Unlock()
				return
			}
			next := q[0]
			l.queue[key] = q[1:]
			l.mu.Unlock()
			next()
		}
	}()
}

// laneOf picks an envelope's lane from the conversation of a message event (a customer's DM,
// a ticket's thread) or the person who clicked or typed, so that the envelopes of one ticket
// keep their order.
func laneOf(evt socketmode.Event) string {
	var who string
	switch d := evt.Data.(type) {
	case slackevents.EventsAPIEvent:
		// A ticket's events: its customer's DM, or its thread in the triage channel (edits
		// carry the thread on the message they change).
		if m, ok := d.InnerEvent.Data.(*slackevents.MessageEvent); ok {
			who = m.Channel
			if m.ThreadTimeStamp != "" {
				who = m.ThreadTimeStamp
			} else if m.Message != nil && m.Message.ThreadTimestamp != "" {
				who = m.Message.ThreadTimestamp
			} else if m.PreviousMessage != nil && m.PreviousMessage.ThreadTimestamp != "" {
				who = m.PreviousMessage.ThreadTimestamp
			}
		}
	case slackgo.InteractionCallback:
		who = d.User.ID
	case slackgo.SlashCommand:
		who = d.UserID
	}
	return who
}

// handleSocketEvent translates one Socket Mode event with the same functions as the HTTP
// handlers, and acknowledges its envelope only after a successful delivery.
func (a *Adapter) handleSocketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	var (
		in  inbound
		raw []byte
	)
	if evt.Request != nil {
		raw = evt.Request.Payload
	}
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		e, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		in = a.fromEventsAPI(e)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slackgo.InteractionCallback)
		if !ok {
			return
		}
		in = a.fromInteraction(cb, raw)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slackgo.SlashCommand)
		if !ok {
			return
		}
		in = a.fromCommand(cmd, raw)
	case socketmode.EventTypeErrorBadMessage:
		a.badEnvelope(ctx, client, evt)
		return
	case socketmode.EventTypeConnected:
		a.socketDown.Store(0)
		a.log.InfoContext(ctx, "slack socket mode connected")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeIncomingError, socketmode.EventTypeDisconnect:
		a.socketDown.CompareAndSwap(0, a.clock().Now().UnixNano())
		a.log.WarnContext(ctx, "slack socket mode trouble", "type", evt.Type, "detail", describe(evt.Data))
		return
	default:
		return
	}
	if evt.Request == nil {
		return
	}
	// Envelopes come one after the other on one connection: Ingest must not wait for a busy
	// queue here, or every later envelope would wait too (and be sent again by Slack).
	ictx, cancel := context.WithTimeout(desk.WithoutIntakeWait(ctx), ingestTimeout)
	defer cancel()
	var answer any
	if err := a.deliver(ictx, in); err != nil {
		fe, formRefused := errors.AsType[*desk.FormError](err)
		switch {
		case formRefused:
			answer = formErrors(fe) // the modal stays open, showing why
		case refused(err):
			// Refused for what it is: over Socket Mode an acknowledgement is the only way to
			// stop Slack sending it again, and again it would be refused. The core counted
			// it (desk.DropInvalid) and deliver logged it; nothing was recorded.
		default:
			// Not recorded: no acknowledgement, so that Slack sends the envelope again.
			return
		}
	}
	if err := client.AckCtx(ctx, evt.Request.EnvelopeID, answer); err != nil {
		a.log.WarnContext(ctx, "slack socket mode ack failed", "envelope", evt.Request.EnvelopeID, "err", err)
	}
}

// badEnvelope acknowledges an envelope slack-go could not parse (an event type it does not
// know, such as one subscribed to by mistake). Sending it again would fail again, so it is
// dropped with a reason instead of being redelivered forever.
func (a *Adapter) badEnvelope(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	// The event's data is slack-go's record of the unparsable message (no error type).
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var req socketmode.Request
	if err := json.Unmarshal(bad.Message, &req); err != nil || req.EnvelopeID == "" {
		a.log.WarnContext(ctx, "slack socket mode message not understood", "err", bad.Cause)
		return
	}
	a.log.WarnContext(ctx, "slack socket mode envelope not understood; dropped", "envelope", req.EnvelopeID, "type", req.Type, "err", bad.Cause)
	a.in.Discard(PlatformName, desk.DropUnsupported)
	if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		a.log.WarnContext(ctx, "slack socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}

// describe is the text of an event's data when it is an error (slack-go hands Socket Mode's
// connection failures over as an event's data, typed any), for the log.
func describe(data any) string {
	if err, ok := data.(error); ok {
		return err.Error()
	}
	return ""
}
