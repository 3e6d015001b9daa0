//go:build race

package slack

// raceEnabled: the race detector slows every goroutine several times over, so timing bounds
// that measure promptness under load are loosened.
const raceEnabled = true
