package csp

import (
	"fmt"
	"reflect"
	"sync"
)

// ChanOption configures a channel made by NewChan.
type ChanOption func(*chanConfig)

type chanConfig struct {
	name   string
	buffer int
}

// Named gives the channel a name; errors, snapshots, traces and deadlock reports use it.
func Named(name string) ChanOption { return func(c *chanConfig) { c.name = name } }

// Buffered gives the channel a FIFO buffer of n values: a write completes once its value is in the
// buffer. Buffered(0), the default, makes a rendezvous channel. NewChan panics if n is negative.
func Buffered(n int) ChanOption { return func(c *chanConfig) { c.buffer = n } }

// Chan is a typed, synchronising, any-to-any channel. Processes use it through ends: each call of
// Reader or Writer joins one more end. The zero value is not usable; make channels with NewChan.
type Chan[T any] struct {
	chanCore
	buf          []T // ring buffer, len == size
	head         int
	recvq, sendq waitq[T]
	ext          Extern[T] // non-nil: the channel lives elsewhere and ext carries every operation
}

// chanCore is the part of a channel that does not depend on its element type: what alternation
// locks, what a Monitor reads and what retirement counts.
type chanCore struct {
	mu          sync.Mutex
	name        string
	poisoned    bool
	readersGone bool // every reader end retired: sticky, so a late joiner does not revive writers
	writersGone bool
	rj, rr      int // reader ends joined, retired
	wj, wr      int
	msgs        uint64
	size, n     int // buffer capacity and values buffered now
	ends        []*endCore
	typ         reflect.Type
	self        Channel       // the typed channel this is the core of
	remote      bool          // made by NewExternChan: a wait on it is on another node, not a deadlock
	xreaders    int           // transports waiting in ReadHeld: readers a write can complete against
	discarded   bool          // a reader's poison discarded the buffer (a held value is not put back)
	xwatch      chan struct{} // non-nil once a transport reads held (extern.go): closed on each change
}

// NewChan makes a channel of T. Without options it is an unnamed rendezvous channel.
func NewChan[T any](opts ...ChanOption) *Chan[T] {
	var cfg chanConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.buffer < 0 {
		panic(fmt.Sprintf("csp: NewChan(%q): negative buffer size %d", cfg.name, cfg.buffer))
	}
	c := &Chan[T]{}
	c.name = cfg.name
	c.typ = reflect.TypeFor[T]()
	if cfg.buffer > 0 {
		c.buf = make([]T, cfg.buffer)
	}
	c.size = cfg.buffer
	c.self = c
	return c
}

// Name returns the channel's name, or a name made from its address if it was given none.
func (c *chanCore) Name() string {
	if c.name == "" {
		return fmt.Sprintf("chan@%p", c)
	}
	return c.name
}

// Reader joins a new reader end to the channel.
func (c *Chan[T]) Reader() *Reader[T] {
	r := &Reader[T]{c: c, sig: newSignal()}
	r.ch, r.dir = &c.chanCore, DirRead
	r.w.sig = &r.sig
	c.join(&r.endCore)
	return r
}

// Writer joins a new writer end to the channel.
func (c *Chan[T]) Writer() *Writer[T] {
	w := &Writer[T]{c: c, sig: newSignal()}
	w.ch, w.dir = &c.chanCore, DirWrite
	w.w.sig = &w.sig
	c.join(&w.endCore)
	return w
}

func (c *chanCore) join(e *endCore) {
	c.mu.Lock()
	if e.dir == DirRead {
		c.rj++
	} else {
		c.wj++
	}
	c.ends = append(c.ends, e)
	c.mu.Unlock()
}

// Poison poisons the channel as a writer's poison does: readers may still take what is buffered.
// It never blocks and may be called any number of times.
func (c *Chan[T]) Poison() { c.poison(false) }

func (c *Chan[T]) poison(discard bool) {
	c.mu.Lock()
	if discard {
		c.clearBuffer()
		c.discarded = true
	}
	if !c.poisoned {
		c.poisoned = true
		c.recvq.wakeAll(ErrPoisoned)
		c.sendq.wakeAll(ErrPoisoned)
		c.kick()
	}
	c.mu.Unlock()
	if c.ext != nil {
		c.ext.Poison(discard)
	}
}

func (c *Chan[T]) clearBuffer() {
	clear(c.buf)
	c.head, c.n = 0, 0
}

func (c *Chan[T]) push(v T) {
	c.buf[(c.head+c.n)%len(c.buf)] = v
	c.n++
	c.kick()
}

func (c *Chan[T]) pop() T {
	var zero T
	v := c.buf[c.head]
	c.buf[c.head] = zero
	c.head++
	if c.head == len(c.buf) { // len, not size: a transport's release may have grown it (extern.go)
		c.head = 0
	}
	c.n--
	c.kick()
	return v
}

// retire records that end e leaves the channel and, when it was the last of its side, wakes the
// other side with ErrRetired.
func (c *Chan[T]) retire(e *endCore) {
	c.mu.Lock()
	if !e.retired {
		e.retired = true
		if e.dir == DirRead {
			c.rr++
			if c.rr == c.rj && !c.readersGone {
				c.readersGone = true
				c.sendq.wakeAll(ErrRetired)
			}
		} else {
			c.wr++
			if c.wr == c.wj && !c.writersGone {
				c.writersGone = true
				if c.n == 0 {
					c.recvq.wakeAll(ErrRetired)
				}
			}
		}
		c.kick()
		if c.ext != nil {
			defer c.ext.Retire()
		}
	}
	c.mu.Unlock()
}

// recvNow completes a read without blocking if it can; called under c.mu. ok reports whether the
// read completed (with v) or ended (with err). A writer it completed is returned in wake, to be
// notified once the lock is released, so the woken goroutine does not run into a held lock.
func (c *Chan[T]) recvNow(e *endCore) (v T, ok bool, err error, wake *signal) {
	if e.retired {
		return v, true, ErrRetired, nil
	}
	if c.n > 0 {
		v = c.pop()
		// A full buffer may have writers waiting: the oldest one's value takes the freed slot.
		if w := c.sendq.take(nil); w != nil {
			c.push(w.val)
			var zero T
			w.val = zero
			wake = w.sig
		}
		c.msgs++
		return v, true, nil, wake
	}
	if c.poisoned {
		return v, true, ErrPoisoned, nil
	}
	if w := c.sendq.take(nil); w != nil {
		v = w.val
		var zero T
		w.val = zero
		c.msgs++
		return v, true, nil, w.sig
	}
	if c.writersGone {
		return v, true, ErrRetired, nil
	}
	return v, false, nil, nil
}

// sendNow completes a write without blocking if it can; called under c.mu. A reader it completed is
// returned in wake, to be notified once the lock is released.
func (c *Chan[T]) sendNow(e *endCore, v T) (ok bool, err error, wake *signal) {
	if e.retired {
		return true, ErrRetired, nil
	}
	if c.poisoned {
		return true, ErrPoisoned, nil
	}
	if c.readersGone {
		return true, ErrRetired, nil
	}
	if w := c.recvq.take(nil); w != nil {
		w.val = v
		c.msgs++
		return true, nil, w.sig
	}
	if c.n < c.size {
		c.push(v)
		return true, nil, nil
	}
	return false, nil, nil
}
