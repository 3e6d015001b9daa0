package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// The relay must make two outbound calls per relayed message, the copy and the delivery mark
// on the author's message, where bare-relay makes one. To show how much of the gap that
// required second call explains, loadrun also builds and runs, each round, bare-relay with
// that one change: its app posts to the mock twice per message. Nothing else differs.

// bareCall is the outbound call of bare-relay's app, replaced by markedCall.
var (
	bareCall   = []byte("if err := post(out, api.URL); err != nil {")
	markedCall = []byte("if err := postWithMark(out, api.URL); err != nil {")
	markedFunc = []byte(`
// postWithMark is post followed by a second call, as the relay's delivery mark (added by
// threadesk's loadrun).
func postWithMark(cl *http.Client, url string) error {
	if err := post(cl, url); err != nil {
		return err
	}
	return post(cl, url)
}
`)
)

// markBoundSource returns bare-relay's main.go with its app making the second call.
func markBoundSource(main []byte) ([]byte, error) {
	if n := bytes.Count(main, bareCall); n != 1 {
		return nil, fmt.Errorf("bare-relay's source has %d outbound calls %q, expected 1: cannot make the bound with the mark", n, bareCall)
	}
	out := bytes.Replace(main, bareCall, markedCall, 1)
	return append(out, markedFunc...), nil
}

// buildMarkBound copies bare-relay's module from src to dir/bare-mark-src with the change and
// builds it as bin.
func buildMarkBound(ctx context.Context, src, dir, bin string) error {
	dst := filepath.Join(dir, "bare-mark-src")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return fmt.Errorf("copy bare-relay: %w", err)
		}
		if name == "main.go" {
			if b, err = markBoundSource(b); err != nil {
				return err
			}
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			return fmt.Errorf("copy bare-relay: %w", err)
		}
	}
	return goBuild(ctx, dst, ".", bin)
}
