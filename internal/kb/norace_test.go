//go:build !race

package kb

// raceSlowdown allows for the race detector, which makes the code several times slower.
const raceSlowdown = 1
