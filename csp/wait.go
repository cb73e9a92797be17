package csp

import (
	"context"
	"sync/atomic"
	"time"
)

// States of a signal. A blocked agent arms its signal and parks; exactly one party moves it away from
// armed: a peer that completes the operation (fired), or the agent itself on cancellation or timeout.
// That single compare-and-swap is what makes "exactly one guard fires" hold across channels.
const (
	armed uint32 = iota
	fired
	cancelled
	held // provisionally claimed by a transport (extern.go), which will commit or release it
)

// signal is how one blocking agent (an end, or an alternation) is woken. It is reused for every
// operation of its agent, so a blocking operation allocates nothing.
type signal struct {
	state atomic.Uint32
	wake  chan struct{} // capacity 1: one token per successful claim by a peer
	fired int           // which guard fired, written by the claimer before the token is sent
	err   error         // why it fired: nil, or ErrPoisoned / ErrRetired
	rec   *procRecord   // the blocked process, when a Monitor observes it; nil otherwise
}

func newSignal() signal { return signal{wake: make(chan struct{}, 1)} }

// arm prepares the signal for one blocking operation; called under the channel lock(s).
func (s *signal) arm(rec *procRecord) {
	s.err = nil
	s.fired = -1
	s.rec = rec
	s.state.Store(armed)
}

// claim is called by a peer, under the lock of the channel on which it found the waiter. Only one
// claim per arming succeeds; the winner must then send the wake token.
func (s *signal) claim(idx int, err error) bool {
	for !s.state.CompareAndSwap(armed, fired) {
		if s.state.Load() != held {
			return false
		}
		waitHeld() // a transport decides within a round trip or its link's failure bound
	}
	s.fired = idx
	s.err = err
	if s.rec != nil {
		// Done by the waker, before it can block itself, so that a monitor never sees every process
		// blocked while one of them is in fact about to run.
		s.rec.unblock()
	}
	return true
}

func (s *signal) notify() { s.wake <- struct{}{} }

// park waits for a peer's token. It returns false when ctx ended first and the signal was withdrawn;
// if a peer won the race, park waits for its token so the completed operation is not lost.
func (s *signal) park(ctx context.Context, timer <-chan time.Time) (woken bool, timedOut bool) {
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	if done == nil && timer == nil {
		<-s.wake
		return true, false
	}
	select {
	case <-s.wake:
		return true, false
	case <-done:
		if s.cancel() {
			return false, false
		}
	case <-timer:
		if s.cancel() {
			return false, true
		}
	}
	<-s.wake
	return true, false
}

// hasDeadline reports whether ctx ends by itself at some time. An operation waiting under such a
// context will go on by itself, as a selection with a Timeout guard will: it is sleeping, not
// blocked, and no deadlock.
func hasDeadline(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	_, ok := ctx.Deadline()
	return ok
}

// armFor arms s for a Read or Write of the process rec (nil if unobserved) under ctx (nil for
// none). Under a deadline the process is sleeping, not blocked: s is armed without the record and
// armFor returns the record, which the caller marks sleeping and wakes itself; otherwise nil.
func armFor(s *signal, rec *procRecord, ctx context.Context) (sleeper *procRecord) {
	if rec != nil && hasDeadline(ctx) {
		s.arm(nil)
		return rec
	}
	s.arm(rec)
	return nil
}

// waiter is one pending operation queued on a channel: a blocked Read or Write, or one guard of a
// parked alternation. The value travels inside it, so nothing escapes to the heap per operation.
type waiter[T any] struct {
	sig        *signal
	idx        int
	val        T
	next, prev *waiter[T]
	queued     bool
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
func (q *waitq[T]) take(err error) *waiter[T] {
	for w := q.head; w != nil; w = q.head {
		q.remove(w)
		if w.sig.claim(w.idx, err) {
			return w
		}
	}
	return nil
}

// wakeAll claims every waiter with err and wakes it; used by poison and retirement.
func (q *waitq[T]) wakeAll(err error) {
	for w := q.take(err); w != nil; w = q.take(err) {
		w.sig.notify()
	}
}
