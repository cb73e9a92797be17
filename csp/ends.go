package csp

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Dir says which side of a channel an end is on.
type Dir uint8

const (
	DirRead  Dir = iota + 1 // a reader end
	DirWrite                // a writer end
)

// String returns "read" or "write".
func (d Dir) String() string {
	switch d {
	case DirRead:
		return "read"
	case DirWrite:
		return "write"
	}
	return "unknown"
}

// End is a reader or writer end of some channel, whatever its element type. Processes own ends
// (see Proc), and the framework retires or poisons them when the process ends.
type End interface {
	// Poison poisons the end's channel. It never blocks and is idempotent.
	Poison()
	// Retire withdraws this end from its channel. It never blocks and is idempotent.
	Retire()
	// Channel returns the channel the end belongs to.
	Channel() Channel
	// Dir says whether this is a reader or a writer end.
	Dir() Dir

	end() *endCore
}

// endCore is the type-independent part of an end.
type endCore struct {
	ch       *chanCore
	sig      *signal // what the end's own Read or Write parks on
	dir      Dir
	at       int                        // index in ch.ends while not retired; guarded by ch.mu
	retired  bool                       // guarded by ch.mu
	reserved int                        // a writer's buffer slots a transport reserved (Reserve); guarded by ch.mu
	owner    atomic.Pointer[procRecord] // the monitored process that owns this end, or nil
}

// Reader is a reader end of a Chan. It is used by one process at a time.
type Reader[T any] struct {
	endCore
	c   *Chan[T]
	sig signal
	w   waiter[T]
}

// Writer is a writer end of a Chan. It is used by one process at a time.
type Writer[T any] struct {
	endCore
	c   *Chan[T]
	sig signal
	w   waiter[T]
}

// Read takes the next value from the channel, blocking until a writer offers one.
// It fails with ErrPoisoned or ErrRetired (wrapped in an *OpError naming the channel).
func (r *Reader[T]) Read() (T, error) { return r.read(nil) }

// ReadContext is Read that gives up when ctx ends, returning ctx's error. A value is never lost:
// if a writer completed the rendezvous as ctx ended, ReadContext returns that value.
func (r *Reader[T]) ReadContext(ctx context.Context) (T, error) { return r.read(ctx) }

func (r *Reader[T]) read(ctx context.Context) (T, error) {
	c := r.c
	if c.ext != nil {
		return r.readExt(ctx)
	}
	c.mu.Lock()
	v, ok, err, wake := c.recvNow(&r.endCore)
	if ok {
		c.mu.Unlock()
		if wake != nil {
			wake.notify()
		}
	} else {
		// The blocking half is written out here and again in write: shared as one generic method
		// it cost about 2% on CommsTime (a call with a dictionary on every blocking operation).
		e, sg, w, q := &r.endCore, &r.sig, &r.w, &c.recvq
		if sg.inUse() {
			c.mu.Unlock()
			panic(e.misuse("Read"))
		}
		sleeper := armFor(sg, e.owner.Load(), ctx)
		q.push(w)
		c.kick()
		if sg.rec != nil {
			sg.rec.block(StateBlockedRead, e, nil)
		} else if sleeper != nil {
			sleeper.timedWait(StateBlockedRead, e, nil, deadlineOf(ctx))
		}
		c.mu.Unlock()
		woken, _ := sg.park(ctx, nil)
		if sleeper != nil {
			sleeper.endTimedWait()
		}
		if !woken {
			c.mu.Lock()
			q.remove(w)
			c.mu.Unlock()
			if sg.rec != nil {
				sg.rec.unblock()
			}
			err = ctx.Err()
		} else {
			err = sg.err
		}
		v = r.w.val
		var zero T
		r.w.val = zero
		sg.done()
	}
	if err != nil {
		return v, r.opErr("read", err)
	}
	r.trace(EventRead)
	return v, nil
}

// Write offers v on the channel and blocks until a reader has taken it (or, on a buffered channel,
// until it is in the buffer). When Write returns nil the value was delivered exactly once.
func (w *Writer[T]) Write(v T) error { return w.write(nil, v) }

// WriteContext is Write that gives up when ctx ends, returning ctx's error; the value was then not
// delivered.
func (w *Writer[T]) WriteContext(ctx context.Context, v T) error { return w.write(ctx, v) }

func (w *Writer[T]) write(ctx context.Context, v T) error {
	c := w.c
	if c.ext != nil {
		return w.writeExt(ctx, v)
	}
	c.mu.Lock()
	ok, err, wake := c.sendNow(&w.endCore, v)
	if ok {
		c.mu.Unlock()
		if wake != nil {
			wake.notify()
		}
	} else {
		// The blocking half of read, for the writer: see there why it is written twice.
		e, sg, wt, q := &w.endCore, &w.sig, &w.w, &c.sendq
		if sg.inUse() {
			c.mu.Unlock()
			panic(e.misuse("Write"))
		}
		wt.val = v
		sleeper := armFor(sg, e.owner.Load(), ctx)
		q.push(wt)
		c.kick()
		if sg.rec != nil {
			sg.rec.block(StateBlockedWrite, e, nil)
		} else if sleeper != nil {
			sleeper.timedWait(StateBlockedWrite, e, nil, deadlineOf(ctx))
		}
		c.mu.Unlock()
		woken, _ := sg.park(ctx, nil)
		if sleeper != nil {
			sleeper.endTimedWait()
		}
		if !woken {
			c.mu.Lock()
			q.remove(wt)
			c.mu.Unlock()
			if sg.rec != nil {
				sg.rec.unblock()
			}
			err = ctx.Err()
		} else {
			err = sg.err
		}
		var zero T
		w.w.val = zero
		sg.done()
	}
	if err != nil {
		return w.opErr("write", err)
	}
	w.trace(EventWrite)
	return nil
}

// misuse is the panic value for an end used by two goroutines at once, found when the second one
// would block while the first still waits (or has not yet taken its outcome).
func (e *endCore) misuse(op string) string {
	return fmt.Sprintf("csp: %s on a %s end of channel %q that another goroutine is using: an end is used by one process at a time (join another end with Reader or Writer)", op, e.dir, e.ch.Name())
}

func (e *endCore) opErr(op string, err error) error {
	return &OpError{Op: op, Chan: e.ch.Name(), Err: err}
}

// Poison poisons the channel from the reading side: anything buffered is discarded at once.
func (r *Reader[T]) Poison() {
	r.c.poison(true)
	r.trace(EventPoison)
}

// Poison poisons the channel from the writing side: readers may still take what is buffered, then
// get ErrPoisoned.
func (w *Writer[T]) Poison() {
	w.c.poison(false)
	w.trace(EventPoison)
}

// Retire withdraws this reader end. When every reader end has retired, writers get ErrRetired.
func (r *Reader[T]) Retire() {
	r.c.retire(&r.endCore)
	r.trace(EventRetire)
}

// Retire withdraws this writer end. When every writer end has retired, readers get ErrRetired once
// the buffer is empty.
func (w *Writer[T]) Retire() {
	w.c.retire(&w.endCore)
	w.trace(EventRetire)
}

// Channel returns the channel this end belongs to.
func (r *Reader[T]) Channel() Channel { return r.c }

// Channel returns the channel this end belongs to.
func (w *Writer[T]) Channel() Channel { return w.c }

// Dir returns DirRead.
func (r *Reader[T]) Dir() Dir { return DirRead }

// Dir returns DirWrite.
func (w *Writer[T]) Dir() Dir { return DirWrite }

func (e *endCore) end() *endCore { return e }

// trace reports an operation on this end to its owner's monitor's tracer, if there is one.
// Unobserved, it inlines into Read and Write as a load and a nil check; the rest is out of line.
func (e *endCore) trace(kind EventKind) {
	if rec := e.owner.Load(); rec != nil {
		e.emit(rec, kind)
	}
}

//go:noinline
func (e *endCore) emit(rec *procRecord, kind EventKind) {
	if rec.m.tracer != nil {
		rec.traceOp(kind, e.ch)
	}
}

// KeepOpen marks an owned end that the framework must not retire when its process returns nil, for
// an end handed on to a later process (in a Sequence, say). It is still poisoned if the process fails.
// It panics if e is nil.
func KeepOpen(e End) End {
	if isNil(e) {
		panic("csp: KeepOpen(nil)")
	}
	return keepOpen{e}
}

type keepOpen struct{ End }
