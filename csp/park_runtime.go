//go:build !gocsp_portable && !race && !go1.27

package csp

import (
	"sync/atomic"
	"unsafe"
)

// Parking through the runtime's own primitives, as Go's channels do, instead of through a channel
// of our own: a blocked operation then takes the channel's mutex once and the runtime's scheduler,
// not a second, runtime-internal channel lock.
//
// runtime.gopark and runtime.goready are reached by linkname. The Go team keeps them reachable, and
// their signatures fixed, because widely used projects (gVisor's sleep package among them) depend
// on them: see the comments at their definitions and go.dev/issue/67401.
//
// A parked goroutine reports the runtime's "sync.Cond.Wait" reason, which is what it is doing (a
// one-shot condition wait): stack dumps say so, and testing/synctest counts it durably blocked, as
// it does a goroutine in sync.Cond.Wait, so fake time advances past a network waiting in a bubble.
// That reason's number differs between Go releases; park_reason_*.go give it for each release this
// file is built for, TestParkedGoroutineShowsItsWaitReason checks it against the running runtime,
// and a release not listed (go1.27 on) builds the portable path until it is added.
//
// The portable path (park_portable.go) parks on a Go channel; build with -tags gocsp_portable to
// use it. The race detector cannot see the hand-over that goready makes, so -race builds use the
// portable path too.

//go:linkname gopark runtime.gopark
func gopark(unlockf func(unsafe.Pointer, *atomic.Pointer[gref]) bool, lock *atomic.Pointer[gref], reason uint8, traceReason uint8, traceskip int)

//go:linkname goready runtime.goready
func goready(gp unsafe.Pointer, traceskip int)

// traceBlockCondWait is the runtime's trace reason for a condition wait (the same number in every
// release this file is built for).
const traceBlockCondWait = 4

// gref stands for the runtime's g, which only the runtime may look into.
type gref struct{}

// parker is a one-shot wake-up for one goroutine at a time. g is nil (nobody parked, no wake
// pending), the parked goroutine's g, or the parker's own address, which marks a wake given and
// not yet taken (it can never be a g).
type parker struct{ g atomic.Pointer[gref] }

func (p *parker) init() {}

func (p *parker) woken() *gref { return (*gref)(unsafe.Pointer(p)) }

// commit is gopark's unlockf: run once the goroutine is off its stack, it records the goroutine as
// parked unless a wake came first, in which case the goroutine does not sleep at all.
func commit(gp unsafe.Pointer, g *atomic.Pointer[gref]) bool {
	return g.CompareAndSwap(nil, (*gref)(gp))
}

// wait blocks until wake has been called once, and takes that wake.
func (p *parker) wait() {
	if p.g.Load() != p.woken() {
		gopark(commit, &p.g, waitReasonSyncCondWait, traceBlockCondWait, 1)
	}
	p.g.Store(nil)
}

// wake gives the one wake that the current wait (or the next one) takes.
func (p *parker) wake() {
	if g := p.g.Swap(p.woken()); g != nil && g != p.woken() {
		goready(unsafe.Pointer(g), 1)
	}
}
