//go:build race

package net

// raceEnabled: the race detector randomises goroutine scheduling on purpose, so a seed cannot fix
// the order of events under it.
const raceEnabled = true
