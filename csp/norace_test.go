//go:build !race

package csp

const raceEnabled = false
