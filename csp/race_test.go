//go:build race

package csp

// raceEnabled scales down stress loops that the race detector slows tenfold.
const raceEnabled = true
