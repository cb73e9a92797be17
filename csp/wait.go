package csp

import (
	"context"
	"sync/atomic"
	"time"
)

// States of a signal. A blocked agent arms its signal and parks; exactly one party moves it away from
// armed: a peer that completes the operation (fired), or the agent itself on cancellation or timeout.
// That single compare-and-swap is what makes "exactly one guard fires" hold across channels. The
// agent returns the signal to idle once it has taken the outcome, so that a second goroutine
// arming a signal still in use (two goroutines on one end) is caught instead of corrupting it.
const (
	idle uint32 = iota
	armed
	fired
	cancelled
	held   // provisionally claimed by a transport (extern.go), which will commit or release it
	passed // held, and a peer passed it by meanwhile: its release makes the agent look again
)

// retry is the fired index of a signal that a transport released after a peer passed it by: the
// operation did not happen, and its agent looks at its channels again (extern.go).
const retry = -2

// signal is how one blocking agent (an end, or an alternation) is woken. It is reused for every
// operation of its agent, so a blocking operation allocates nothing.
type signal struct {
	state atomic.Uint32
	// A peer's wake goes to p when the agent waits on nothing else (the common case, which parks
	// through the runtime: see park_runtime.go), and to wake when it also waits on a context or a
	// timer and so must select. sel, written when arming, says which.
	p     parker
	wake  chan struct{} // capacity 1: one token per successful claim by a peer
	sel   bool
	fired int         // which guard fired, written by the claimer before the token is sent
	err   error       // why it fired: nil, or ErrPoisoned / ErrRetired
	rec   *procRecord // the blocked process, when a Monitor observes it; nil otherwise
	// ctx is the context the observed operation waits under (nil for none), written under the
	// lock of the channel(s) it waits on, so that deadlock analysis, holding one of those locks,
	// can tell a wait whose context has already ended (it is about to run) from a blocked one.
	ctx context.Context
}

// init makes a signal ready for use; a signal lives inside its end or Alt, so it is set up in place.
func (s *signal) init() {
	s.wake = make(chan struct{}, 1)
	s.p.init()
}

// arm prepares the signal for one blocking operation under ctx (nil for none) of the observed
// process rec (nil if unobserved); sel says that park will select on a context or timer. Called
// under the channel lock(s).
func (s *signal) arm(rec *procRecord, ctx context.Context, sel bool) {
	s.sel = sel
	s.err = nil
	s.fired = -1
	s.rec = rec
	if rec != nil || s.ctx != nil {
		s.ctx = ctx
	}
	s.state.Store(armed)
}

// claim is called by a peer, under the lock of the channel on which it found the waiter. Only one
// claim per arming succeeds; the winner must then send the wake token.
func (s *signal) claim(idx int, err error) bool {
	if !s.state.CompareAndSwap(armed, fired) && !s.take(fired) {
		return false
	}
	s.won(idx, err)
	return true
}

// won records, for the party that moved the signal to fired, which guard fired and why, and tells
// the agent's monitor. The waker does it, before it can block itself, so that a monitor never sees
// every process blocked while one of them is in fact about to run.
func (s *signal) won(idx int, err error) {
	s.fired, s.err = idx, err
	if s.rec != nil {
		s.rec.unblock()
	}
}

func (s *signal) notify() {
	if s.sel {
		s.wake <- struct{}{}
	} else {
		s.p.wake()
	}
}

// inUse reports whether the signal is armed or its outcome not yet taken; called under the
// channel lock before arming.
func (s *signal) inUse() bool { return s.state.Load() != idle }

// done returns the signal to idle once its agent has taken the outcome.
func (s *signal) done() { s.state.Store(idle) }

// park waits for a peer's token. It returns false when ctx ended first and the signal was withdrawn;
// if a peer won the race, park waits for its token so the completed operation is not lost.
func (s *signal) park(ctx context.Context, timer <-chan time.Time) (woken bool, timedOut bool) {
	if !s.sel {
		s.p.wait()
		return true, false
	}
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	select {
	case <-s.wake:
		return true, false
	case <-done:
	case <-timer:
		timedOut = true
	}
	if s.take(cancelled) {
		return false, timedOut
	}
	// A peer won the race, or a transport holds the signal and decides within a round trip or its
	// link's failure bound: its commit completes the operation, its release (retry) lets it go.
	<-s.wake
	if s.fired == retry {
		return false, timedOut
	}
	return true, false
}

// hasDeadline reports whether ctx ends by itself at some time. An operation waiting under such a
// context will go on by itself, as a selection with a Timeout guard will: it is a timed wait, not
// blocked, and no deadlock.
func hasDeadline(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	_, ok := ctx.Deadline()
	return ok
}

// armFor arms s for a Read or Write of the process rec (nil if unobserved) under ctx (nil for
// none). Under a deadline the process is in a timed wait, not blocked: s is armed without the record and
// armFor returns the record, which the caller marks as a timed wait and ends itself; otherwise nil.
func armFor(s *signal, rec *procRecord, ctx context.Context) (sleeper *procRecord) {
	sel := ctx != nil && ctx.Done() != nil
	if rec != nil && hasDeadline(ctx) {
		s.arm(nil, nil, sel)
		return rec
	}
	s.arm(rec, ctx, sel)
	return nil
}

// waiter is one pending operation queued on a channel: a blocked Read or Write, or one guard of a
// parked alternation. The value travels inside it, so nothing escapes to the heap per operation.
type waiter[T any] struct {
	sig        *signal
	end        *endCore // the end the operation is made on
	idx        int
	val        T
	next, prev *waiter[T]
	queued     bool
	// xport marks a transport's place among the readers (ReadHeld): it has no signal, and a writer
	// that finds it first in line does not complete against anyone behind it (see take).
	xport bool
}

// waitq is an intrusive FIFO of waiters, so that writers are served in arrival order.
type waitq[T any] struct{ head, tail *waiter[T] }

func (q *waitq[T]) push(w *waiter[T]) {
	w.next, w.prev, w.queued = nil, q.tail, true
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
}

func (q *waitq[T]) remove(w *waiter[T]) {
	if !w.queued {
		return
	}
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.next, w.prev, w.queued = nil, nil, false
}

// take removes waiters from the front until one can be claimed, and returns it (nil if none). A
// waiter that cannot be claimed belongs to an alternation that already fired elsewhere or to an
// operation being cancelled; dropping it here is safe because its owner removes it only if queued.
// A transport first in line (xport) stops it: the value is the transport's to hold, and it comes
// for it (the caller buffers or queues the value and kicks).
func (q *waitq[T]) take(err error) *waiter[T] {
	for w := q.head; w != nil && !w.xport; w = q.head {
		q.remove(w)
		if w.sig.claim(w.idx, err) {
			return w
		}
	}
	return nil
}

// wakeAll claims every waiter with err and wakes it; used by poison and retirement.
func (q *waitq[T]) wakeAll(err error) {
	for w := q.head; w != nil; {
		next := w.next
		if !w.xport { // a transport in line hears of it through the kick, and leaves by itself
			q.remove(w)
			if w.sig.claim(w.idx, err) {
				w.sig.notify()
			}
		}
		w = next
	}
}

// wakeEnd claims every waiter on end e with err and wakes it; used when e retires while its owner
// (or a selection over it) still waits.
func (q *waitq[T]) wakeEnd(e *endCore, err error) {
	for w := q.head; w != nil; {
		next := w.next
		if w.end == e {
			q.remove(w)
			if w.sig.claim(w.idx, err) {
				w.sig.notify()
			}
		}
		w = next
	}
}

// The transport states of a signal (held, passed; see extern.go): a transport takes an armed
// signal to hold it while it learns whether a remote peer has the value, then commits or releases
// it; a peer that meets a held signal passes it by.

// take moves an armed signal to the state to, for a peer (fired), a transport (held) or the agent
// itself (cancelled). It never waits for a signal that another transport holds, since it may be
// called under a channel's lock: it passes it by, marking it passed so that a release makes the
// agent look at its channels again (and so find whatever the caller was about to offer it), and
// reports false as for a signal that fired elsewhere.
func (s *signal) take(to uint32) bool {
	for {
		if s.state.CompareAndSwap(armed, to) {
			return true
		}
		switch s.state.Load() {
		case held:
			if s.state.CompareAndSwap(held, passed) {
				return false
			}
		case armed: // released meanwhile: try again
		default:
			return false
		}
	}
}

// heldNow reports whether a transport holds the signal.
func (s *signal) heldNow() bool {
	st := s.state.Load()
	return st == held || st == passed
}

// commit fires a held signal: only its holder may call it.
func (s *signal) commit(idx int, err error) {
	s.state.Store(fired)
	s.won(idx, err)
	s.notify()
}

// release lets a held signal's agent go on waiting, and reports whether it does so as it was. If a
// peer passed the signal by meanwhile (take), or the agent wanted to cancel, the agent is woken
// with retry instead: it looks at its channels again, and re-queues its waiters if it must wait.
// The agent, not the releaser, updates its monitor record then, as it does when it cancels.
func (s *signal) release() (rearmed bool) {
	if s.state.CompareAndSwap(held, armed) {
		return true
	}
	s.fired, s.err = retry, nil
	s.state.Store(fired)
	s.notify()
	return false
}

// kick tells the transports waiting in ReadHeld that the channel changed; called under c.mu.
func (c *chanCore) kick() {
	if c.xwatch != nil {
		c.kickWatchers()
	}
}

func (c *chanCore) kickWatchers() {
	close(c.xwatch)
	c.xwatch = make(chan struct{})
}
