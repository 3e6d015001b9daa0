// Package manifests holds the files an operator starts from (the Slack app manifest, the
// example desk policy and knowledge base) and builds the examples into the binary, so that
// the sandbox shows the first-line bot at once, whatever image it runs in.
package manifests

import _ "embed"

// DeskExample is desk.example.yaml: the sandbox's desk policy file.
//
//go:embed desk.example.yaml
var DeskExample []byte

// KBExample is kb.example.yaml: the sandbox's knowledge base.
//
//go:embed kb.example.yaml
var KBExample []byte
