package csp

// How a channel works, for the next engineer (runtime/chan.go does the same at its top).
//
// Data. A Chan is a chanCore (the part alternation, monitors and retirement see) plus a typed ring
// buffer and two FIFO wait queues of waiters: recvq holds blocked readers and the input guards of
// parked selections, sendq blocked writers and output guards, each carrying its value. A waiter
// belongs to one end or one guard and is reused for every operation, so Read, Write and a reused
// Alt allocate nothing.
//
// Locks. chanCore.mu guards every field of the chanCore and the Chan (buffer, queues, counters,
// poisoned, the retired flags of its ends) and the fields of the waiters while they are queued. A
// signal's state is atomic; its other fields (fired, err, rec, ctx) are written by the party that
// moved the state (the agent arming under the lock, or the claimer under the lock of the channel
// where it found the waiter) and read by the agent after it took the wake token.
//
// Lock order, everywhere: channel locks first, several of them only by a selection and always in
// address order (Alt.locks), as Go's select does; then a tracer's own locks (a tracer is called
// with channel locks held and must never operate on a channel: graphs' network lock sits here);
// then Monitor.hookMu. Monitor.mu and a process's adoption lock are never held while a channel
// lock is taken, nor taken under one, except that deadlock analysis takes one channel lock at a
// time with nothing else held.
//
// A transport reading for a remote reader (ReadHeld, extern.go) also waits in recvq, as a place in
// line with no signal (waiter.xport): a writer that finds it first does not complete against
// anyone behind it, but buffers or queues its value for the transport to hold.
//
// Invariants, under mu:
//   - recvq and sendq are never both non-empty with a claimable waiter each: an arriving operation
//     first completes against the other queue, so a waiter is queued only when no peer was ready
//     (a queued waiter may be stale: its selection fired elsewhere; take skips it). The one
//     exception is a transport first in line, with readers behind it: what it leaves when it goes
//     is handed to them (settle), and a value it held and puts back too.
//   - n > 0 implies recvq has no claimable waiter ahead of a transport; n+reserved < size implies
//     sendq has none. n+reserved <= size, but for values transports held and put back (pushFront).
//   - A waiter is completed by exactly one party, the one whose CAS on its signal moves it from
//     armed (signal.claim, or park's cancel); only the winner touches its value or sends the token.
//   - poisoned, readersGone and writersGone only ever go from false to true.
//   - rj >= rr and wj >= wr; readersGone means every reader end that ever joined has retired.
//
// Wakes. A completed peer is woken with one token on its signal's wake channel, which has room for
// exactly one, and a signal is claimed at most once per arming: so sending the token never blocks,
// and may be done under the lock. The hot paths (recvNow, sendNow) still return the peer to wake
// and send after unlocking, so the woken goroutine does not run straight into a held lock; poison
// and retirement, which are rare and wake many, send under the lock.

import (
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/gocsp/gocsp/internal/transport"
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
// The buffer's memory grows with what it holds, up to n, so a large bound (a channel meant never to
// block its writers in practice) costs nothing until it is used.
func Buffered(n int) ChanOption { return func(c *chanConfig) { c.buffer = n } }

// Chan is a typed, synchronising, any-to-any channel. Processes use it through ends: each call of
// Reader or Writer joins one more end. The zero value is not usable; make channels with NewChan.
type Chan[T any] struct {
	chanCore
	buf          []T // ring buffer: len(buf) <= size, grown as it fills
	head         int
	recvq, sendq waitq[T]
	ext          transport.Extern[T] // non-nil: the channel lives elsewhere and ext carries every operation
}

// chanCore is the part of a channel that does not depend on its element type: what alternation
// locks, what a Monitor reads and what retirement counts.
type chanCore struct {
	mu          sync.Mutex
	name        string
	poisoned    bool
	readersGone bool // every reader end retired: sticky, so a late joiner does not revive writers
	writersGone bool
	xheld       int // values transports hold (ReadHeld) and may still put back: not gone yet
	reserved    int // buffer slots transports reserved for writes from elsewhere (Reserve): taken, though empty
	rj, rr      int // reader ends joined, retired
	wj, wr      int
	msgs        uint64
	size, n     int        // buffer capacity and values buffered now
	ends        []*endCore // the ends joined and not retired; endCore.at is each one's index
	typ         reflect.Type
	self        Channel           // the typed channel this is the core of
	remote      bool              // made remote (transport.Chan.SetExtern): a wait on it is on another node, not a deadlock
	locator     transport.Locator // where a remote channel lives, if its transport says (Stats)
	discarded   bool              // a reader's poison discarded the buffer (a held value is not put back)
	xwatch      chan struct{}     // non-nil once a transport reads held (extern.go): closed on each change
}

// Channel is the part of a channel that does not depend on its element type, for code that looks at
// networks rather than moving values: monitors, topology writers, viewers.
type Channel interface {
	// Name returns the channel's name.
	Name() string
	// Stats returns the channel's counters at this moment.
	Stats() ChanStats
	// Poison poisons the channel (as a writer's poison: buffered values can still be read).
	Poison()
	// ElemType returns the type of the values the channel carries.
	ElemType() reflect.Type
}

// ChanStats is a channel's state at one moment.
type ChanStats struct {
	Name           string
	Buffer         int    // capacity; 0 for a rendezvous channel
	Len            int    // values in the buffer now
	Messages       uint64 // values delivered to readers so far
	Readers        int    // reader ends joined
	Writers        int    // writer ends joined
	ReadersRetired int
	WritersRetired int
	Poisoned       bool
	// Home is where a remote channel lives (its transport's Locator says, e.g. the home node's
	// address); empty for a channel of this process. LinkLost says that the way there is lost.
	Home     string
	LinkLost bool
}

// Stats returns the channel's counters. It takes the channel's lock briefly.
func (c *chanCore) Stats() ChanStats {
	c.made("Stats")
	c.mu.Lock()
	s := ChanStats{Name: c.Name(), Buffer: c.size, Len: c.n, Messages: c.msgs, Readers: c.rj,
		Writers: c.wj, ReadersRetired: c.rr, WritersRetired: c.wr, Poisoned: c.poisoned}
	c.mu.Unlock()
	if c.locator != nil { // outside the lock: the transport's state is its own
		s.Home, s.LinkLost = c.locator.Locate()
	}
	return s
}

// ElemType returns the type of the values the channel carries.
func (c *chanCore) ElemType() reflect.Type {
	c.made("ElemType")
	return c.typ
}

// made panics, naming the misuse, when c is a zero Chan rather than one NewChan made: its buffer,
// type and identity are missing, and using it would fail later and far from the call.
func (c *chanCore) made(op string) {
	if c.self == nil {
		panic(fmt.Sprintf("csp: %s on a zero Chan: the zero value is not usable; make channels with NewChan", op))
	}
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
		c.buf = make([]T, min(cfg.buffer, initialBuffer))
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
	c.made("Reader")
	r := &Reader[T]{c: c}
	r.sig.init()
	r.ch, r.dir = &c.chanCore, DirRead
	r.w.sig, r.w.end, r.endCore.sig = &r.sig, &r.endCore, &r.sig
	c.join(&r.endCore)
	return r
}

// Writer joins a new writer end to the channel.
func (c *Chan[T]) Writer() *Writer[T] {
	c.made("Writer")
	w := &Writer[T]{c: c}
	w.sig.init()
	w.ch, w.dir = &c.chanCore, DirWrite
	w.w.sig, w.w.end, w.endCore.sig = &w.sig, &w.endCore, &w.sig
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
	e.at = len(c.ends)
	c.ends = append(c.ends, e)
	c.mu.Unlock()
}

// Poison poisons the channel as a writer's poison does: readers may still take what is buffered.
// It never blocks and may be called any number of times.
func (c *Chan[T]) Poison() {
	c.made("Poison")
	c.poison(false)
}

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

// initialBuffer is how many values a buffered channel has room for before its ring first grows.
const initialBuffer = 64

func (c *Chan[T]) push(v T) {
	if c.n == len(c.buf) {
		c.grow()
	}
	c.buf[(c.head+c.n)%len(c.buf)] = v
	c.n++
	c.kick()
}

// grow doubles the ring, up to the channel's size, keeping the values in order.
func (c *Chan[T]) grow() {
	buf := make([]T, min(max(2*len(c.buf), 1), c.size))
	k := copy(buf, c.buf[c.head:])
	copy(buf[k:], c.buf[:c.head])
	c.buf, c.head = buf, 0
}

func (c *Chan[T]) pop() T {
	var zero T
	v := c.buf[c.head]
	c.buf[c.head] = zero
	c.head++
	if c.head == len(c.buf) {
		c.head = 0
	}
	c.n--
	c.kick()
	return v
}

// retire records that end e leaves the channel and, when it was the last of its side, wakes the
// other side with ErrRetired. An operation or selection still waiting on e itself (retired from
// another goroutine) is woken with ErrRetired too: a retired end can no longer send or receive.
func (c *Chan[T]) retire(e *endCore) {
	c.mu.Lock()
	if e.retired {
		c.mu.Unlock()
		return
	}
	e.retired = true
	own := &c.recvq
	if e.dir == DirRead {
		c.rr++
		if c.rr == c.rj && !c.readersGone {
			c.readersGone = true
			c.sendq.wakeAll(ErrRetired)
		}
	} else {
		own = &c.sendq
		if e.reserved > 0 {
			c.unreserve(e)
		}
		c.wr++
		if c.wr == c.wj && !c.writersGone {
			c.writersGone = true
			if c.n == 0 && c.xheld == 0 {
				c.recvq.wakeAll(ErrRetired)
			}
		}
	}
	own.wakeEnd(e, ErrRetired)
	c.dropEnd(e)
	c.kick()
	c.mu.Unlock()
	if c.ext != nil {
		c.ext.Retire()
	}
	c.recheck()
}

// popRefill takes the value at the head of the buffer; a full buffer may have writers waiting, and
// the oldest one's value takes the freed slot: that writer is returned, to be woken. Under c.mu;
// for transports (ReadHeld, settle), while recvNow writes it out.
func (c *Chan[T]) popRefill() (v T, wake *signal) {
	v = c.pop()
	if w := c.sendq.take(nil); w != nil {
		c.push(w.val)
		var zero T
		w.val = zero
		wake = w.sig
	}
	return v, wake
}

// recvNow completes a read without blocking if it can; called under c.mu. ok reports whether the
// read completed (with v) or ended (with err). A writer it completed is returned in wake, to be
// notified once the lock is released, so the woken goroutine does not run into a held lock.
func (c *Chan[T]) recvNow(e *endCore) (v T, ok bool, err error, wake *signal) {
	if e.retired {
		return v, true, ErrRetired, nil
	}
	if c.n > 0 {
		// popRefill, written out: the extra call cost buffered pipelines about 10% (BenchmarkPipeline
		// csp/native 0.72 → 0.80, scripts/bench-ab.sh HEAD "" 6 Pipeline, twice).
		v = c.pop()
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
	if c.writersGone && c.xheld == 0 {
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
	if c.n+c.reserved < c.size {
		c.push(v)
		return true, nil, nil
	}
	return false, nil, nil
}

// dropEnd removes a retired end from the channel's list, which so holds the live ends only: a
// channel that ends join and leave all day neither grows nor slows its retirements. Under mu.
func (c *chanCore) dropEnd(e *endCore) {
	last := len(c.ends) - 1
	c.ends[e.at] = c.ends[last]
	c.ends[e.at].at = e.at
	c.ends[last] = nil
	c.ends = c.ends[:last]
}

// recheck asks the monitors of the processes that own ends of the channel to analyse again. An end
// leaving can turn "an end outside might still act" into a deadlock without any process of theirs
// moving, which is all their counters see.
func (c *chanCore) recheck() {
	var ms []*Monitor
	c.mu.Lock()
	for _, e := range c.ends {
		if rec := e.owner.Load(); rec != nil && !slices.Contains(ms, rec.m) {
			ms = append(ms, rec.m)
		}
	}
	c.mu.Unlock()
	for _, m := range ms {
		m.blocked.Add(1 << 32) // a new generation: what was found clean must be looked at again
		m.check()
	}
}
