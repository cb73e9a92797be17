//go:build gocsp_portable || race || go1.27

package csp

// parker is a one-shot wake-up for one goroutine at a time, on a Go channel with room for the one
// wake: the portable path (see park_runtime.go for the default one).
type parker struct{ c chan struct{} }

func (p *parker) init() { p.c = make(chan struct{}, 1) }

// wait blocks until wake has been called once, and takes that wake.
func (p *parker) wait() { <-p.c }

// wake gives the one wake that the current wait (or the next one) takes.
func (p *parker) wake() { p.c <- struct{}{} }
