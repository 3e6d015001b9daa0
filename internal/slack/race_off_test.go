//go:build !race

package slack

// raceEnabled: see race_on_test.go.
const raceEnabled = false
