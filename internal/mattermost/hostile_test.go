package mattermost

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCommandTooLargeIs413: a command form of 100 KB is answered 413 whatever it says it is (a
// form, a multipart form, JSON, nothing) and however it is sent (with a length or in chunks),
// with the right token or none: the size is what is wrong with it. Nothing is recorded.
func TestCommandTooLargeIs413(t *testing.T) {
	form := commandForm("cmd-token-one")
	form.Set("text", strings.Repeat("x", 100<<10))
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	for k, v := range form {
		_ = mw.WriteField(k, v[0])
	}
	_ = mw.Close()
	tests := []struct {
		name, ctype, auth string
		body              []byte
		chunked           bool
	}{
		{"form", "application/x-www-form-urlencoded", "Token cmd-token-one", []byte(form.Encode()), false},
		{"form in chunks", "application/x-www-form-urlencoded", "Token cmd-token-one", []byte(form.Encode()), true},
		{"form without a token", "application/x-www-form-urlencoded", "", []byte(form.Encode()), false},
		{"multipart form", mw.FormDataContentType(), "Token cmd-token-one", multi.Bytes(), false},
		{"JSON", "application/json", "Token cmd-token-one", []byte(`{"text":"` + strings.Repeat("x", 100<<10) + `"}`), false},
		{"no content type", "", "Token cmd-token-one", []byte(form.Encode()), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, in := handlerAdapter(t, nil)
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // no length known
			}
			r := httptest.NewRequest(http.MethodPost, "/mattermost/command", body)
			if tt.chunked {
				r.ContentLength = -1
			}
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			a.CommandHandler().ServeHTTP(rec, r)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d %s, want 413", rec.Code, rec.Body)
			}
			if evs, _, _ := in.snapshot(); len(evs) != 0 {
				t.Errorf("recorded %d events, want none", len(evs))
			}
		})
	}
}

// TestCommandMultipartForm: a command sent as a multipart form is read like the usual one.
func TestCommandMultipartForm(t *testing.T) {
	a, in := handlerAdapter(t, nil)
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	for k, v := range commandForm("cmd-token-one") {
		_ = mw.WriteField(k, v[0])
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/mattermost/command", &multi)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	a.CommandHandler().ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d %s, want 200", rec.Code, rec.Body)
	}
	if evs, _, _ := in.snapshot(); len(evs) != 1 || evs[0].Text != "claim 12" {
		t.Errorf("recorded %+v, want the command", evs)
	}
}
