package mattermost

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Mattermost calls a button's integration URL without any signature of its own, so the app
// signs what it puts into each button's context and each dialog's state with its secret, and
// refuses callbacks whose signature does not match. Each message kind has its own label so a
// signature of one cannot be replayed as another.

// The keys of a button's context.
const (
	ctxAction = "action"
	ctxValue  = "value"
	ctxTicket = "ticket"
	ctxSig    = "sig"
	// ctxRoot says whether the button's post is the root of a thread ("1") or not ("0": an
	// ephemeral answer, a reply): an answer to the click may go into its thread only if it
	// roots one. Contexts signed before it existed have none.
	ctxRoot = "root"
)

var errBadSignature = errors.New("missing or invalid signature")

// mac returns the HMAC-SHA256 of the length-prefixed parts, under label.
func mac(secret []byte, label string, parts ...string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(label))
	for _, p := range parts {
		h.Write([]byte("\x00" + strconv.Itoa(len(p)) + ":" + p))
	}
	return h.Sum(nil)
}

// signAction returns a button context that ActionHandler accepts back, for a button on a
// post that roots a thread or not.
func signAction(secret []byte, action, value, ticket string, root bool) map[string]any {
	r := "0"
	if root {
		r = "1"
	}
	return map[string]any{
		ctxAction: action,
		ctxValue:  value,
		ctxTicket: ticket,
		ctxRoot:   r,
		ctxSig:    base64.RawURLEncoding.EncodeToString(mac(secret, "mattermost-action/root", action, value, ticket, r)),
	}
}

// verifyAction checks a button context that came back with a click and returns its action,
// value and ticket, and whether its post roots a thread: "1", "0", or "" for a context signed
// before that was said.
func verifyAction(secret []byte, c map[string]any) (action, value, ticket, root string, err error) {
	str := func(k string) (string, bool) {
		s, ok := c[k].(string)
		return s, ok
	}
	action, ok1 := str(ctxAction)
	value, ok2 := str(ctxValue)
	ticket, ok3 := str(ctxTicket)
	sig, ok4 := str(ctxSig)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return "", "", "", "", errBadSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return "", "", "", "", errBadSignature
	}
	want := mac(secret, "mattermost-action", action, value, ticket)
	if _, has := c[ctxRoot]; has {
		r, ok := str(ctxRoot)
		if !ok || r != "0" && r != "1" {
			return "", "", "", "", errBadSignature
		}
		root, want = r, mac(secret, "mattermost-action/root", action, value, ticket, r)
	}
	if !hmac.Equal(got, want) {
		return "", "", "", "", errBadSignature
	}
	return action, value, ticket, root, nil
}

// dialogState is what a dialog carries to its submission.
type dialogState struct {
	Form    string `json:"f"`
	Context string `json:"c"`
	// Post is the post whose button opened the dialog, if known.
	Post string `json:"p,omitempty"`
	// Nonce makes every opened dialog distinct, so that the submission's event ID (derived
	// from the state) dedups a double submission and nothing else.
	Nonce string `json:"n"`
}

// signState encodes a dialog state as payload.signature.
func signState(secret []byte, s dialogState) (string, error) {
	if s.Nonce == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		s.Nonce = hex.EncodeToString(b)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(raw)
	sig := base64.RawURLEncoding.EncodeToString(mac(secret, "mattermost-dialog", payload))
	return payload + "." + sig, nil
}

// verifyState checks and decodes a state made by signState.
func verifyState(secret []byte, state string) (dialogState, error) {
	var s dialogState
	payload, sig, ok := strings.Cut(state, ".")
	if !ok {
		return s, errBadSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(secret, "mattermost-dialog", payload)) {
		return s, errBadSignature
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return s, errBadSignature
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, errBadSignature
	}
	return s, nil
}

// shortHash is a stable, compact identity for long opaque handles such as trigger IDs.
func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
