package csp

import (
	"context"
	"fmt"
	"slices"
)

// This file is the core's side of remote channels (package net). A transport needs two things from
// the core, and local channels pay for neither beyond a nil check:
//
//   - On the node that uses a remote end, the end is an ordinary *Reader or *Writer of a channel
//     made by NewExternChan: every operation on it, and every input guard on it in a selection, is
//     handed to the transport's Extern, which runs the protocol with the channel's home. A guard is
//     posted as an ExternOp, which the transport fires with ExternOp.Claim when the home offers it a
//     value; the selection's single compare-and-swap still decides which guard fires. An output guard
//     is posted the same way; the home holds it (ExternOp.Hold: armed → held) before it lets a reader
//     take its value, then commits or releases it. An input guard is held too before its home
//     takes a value for it (ReadReady, then ReadHeld), and fires with the value (ExternOp.Deliver).
//     Before a selection parks, its first pass asks each remote guard's home in turn whether it
//     can match now (Extern.TryRead, TryWrite).
//   - On the channel's home, a remote reader must not take a value before it has it: that would
//     turn a rendezvous into a buffer of one. ReadHeld takes the next value but holds its writer
//     (the writer's signal goes armed → held, and nothing else can fire or cancel it meanwhile) until
//     the transport knows the remote reader has it (Held.Commit: held → fired, the writer's Write
//     returns nil), or knows it does not (Held.Release: held → armed, the writer is queued again at
//     the front), or cannot know (Held.Fail: the writer fails with the transport's error).
//
// Nobody waits for a held signal, since a peer meets it under a channel's lock: the peer passes it by
// (take) and marks it, and a release of a marked signal makes its agent look again (retry).

// Extern carries the operations of a channel whose home is elsewhere (see NewExternChan). The
// errors it returns are wrapped in an *OpError naming the channel.
type Extern[T any] interface {
	// Read is a blocking read; ctx may be nil. With a non-nil ctx it must not lose a value: if the
	// home delivered one as ctx ended, Read returns it.
	Read(ctx context.Context) (T, error)
	// Write is a blocking write; ctx may be nil. It returns nil only once a reader has the value (or
	// the home's buffer has it).
	Write(ctx context.Context, v T) error
	// Post registers an input guard of a parked selection. It is called with the channel locked and
	// must not block. The transport fires it with op.Claim, at most once, until Withdraw.
	Post(op *ExternOp[T])
	// PostWrite registers an output guard of a parked selection, offering v. It is called with the
	// channel locked and must not block. The transport holds it (op.Hold) while it finds out whether
	// a reader takes v, then commits or releases it; or ends it with op.Claim and an error.
	PostWrite(op *ExternOp[T], v T)
	// TryRead and TryWrite are a selection's first look at a remote guard, made in scan order
	// before the selection settles for a Skip, a Timeout or a later guard: the home completes the
	// operation if it can match now (a value buffered, a writer or reader waiting there, the
	// channel poisoned or retired) and says so otherwise. ok reports that the operation happened
	// (with err nil) or ended with err; false that nothing could match now, and nothing changed.
	// They block for a round trip to the home, and are called with no lock held.
	TryRead() (v T, ok bool, err error)
	TryWrite(v T) (ok bool, err error)
	// Probe asks the home, without changing anything, whether the end's operation could match
	// now (as TryRead or TryWrite would find), and returns at once; wait returns the answer. A
	// selection tries the first remote guard its scan reaches while it probes the remote guards
	// after it, then tries only those that said ready. Called with no lock held.
	Probe() (wait func() (ready bool))
	// Withdraw ends a Post: after it returns the transport must not touch op again.
	Withdraw(op *ExternOp[T])
	// Poll returns a reason the channel can no longer be used (a link failure, say), or nil. It is called with the channel locked and must not block.
	Poll() error
	// Poison and Retire pass the end's poison or retirement to the home. They must not block.
	Poison(discard bool)
	Retire()
}

// Locator is implemented by an Extern that can say where its channel lives, for monitors and
// viewers (ChanStats.Home and LinkLost): home names the place (a node's address, say), lost says
// that the way there is lost for good. Locate must not block.
type Locator interface {
	Locate() (home string, lost bool)
}

// ReportLinkLost, for transports, tells the monitors of the processes that own ends of the remote
// channel c that the way to its home is lost, so that their traces record it (EventLinkLost, once
// per monitor, attributed to one owner); snapshots see it through Locator.
func ReportLinkLost[T any](c *Chan[T]) {
	c.mu.Lock()
	var recs []*procRecord
	for _, e := range c.ends {
		if rec := e.owner.Load(); rec != nil && rec.m.tracer != nil && !slices.ContainsFunc(recs, func(r *procRecord) bool { return r.m == rec.m }) {
			recs = append(recs, rec)
		}
	}
	c.mu.Unlock()
	for _, rec := range recs {
		rec.traceOp(EventLinkLost, &c.chanCore)
	}
}

// NewExternChan makes a channel whose operations ext carries: its ends are ordinary ends (owned by
// processes, used in selections, traced) but their values come and go through ext. Give it the
// remote channel's name with Named; a buffer option is ignored, since the buffer lives at the home.
func NewExternChan[T any](ext Extern[T], opts ...ChanOption) *Chan[T] {
	if ext == nil {
		panic("csp: NewExternChan with a nil Extern")
	}
	c := NewChan[T](opts...)
	c.buf, c.size = nil, 0
	c.ext = ext
	c.remote = true
	c.locator, _ = ext.(Locator)
	return c
}

// ExternOp is an input guard of a parked selection, posted to a transport by Extern.Post.
type ExternOp[T any] struct {
	sig *signal
	idx int
	w   *waiter[T]
}

// Claim fires the guard with v (or, if err is not nil, ends the selection with err on this guard).
// It reports whether it did: false when the selection fired otherwise or was cancelled (gone), or
// while another transport holds it (busy, so the caller may offer again later).
func (op *ExternOp[T]) Claim(v T, err error) (ok, busy bool) {
	s := op.sig
	if !s.state.CompareAndSwap(armed, fired) {
		return false, s.heldNow()
	}
	s.won(op.idx, err)
	if err == nil {
		op.w.val = v // counted by the selection when it collects it (see Commit)
	}
	s.notify()
	return true, false
}

// Hold holds the guard's selection for the transport: nothing else can fire or cancel it until
// Commit or Release. busy reports that another transport holds it now (try again later); ok false
// and busy false that the selection is over.
func (op *ExternOp[T]) Hold() (ok, busy bool) {
	s := op.sig
	if s.state.CompareAndSwap(armed, held) {
		return true, false
	}
	return false, s.heldNow()
}

// Deliver fires a held input guard with v, the value its home took for it while it held it.
func (op *ExternOp[T]) Deliver(v T) {
	op.w.val = v
	op.Commit(nil)
}

// Commit fires a held guard; err is nil when its value was delivered.
//
// Claim, Hold, Deliver, Commit and Release never take the channel's lock: a transport calls them
// holding its own lock, which Post, PostWrite, Withdraw and Poll (called with the channel locked)
// take too, so taking the channel's lock here would deadlock against a selection posting its next
// guard on the same end. The selection counts the message (delivered) when it collects the guard.
func (op *ExternOp[T]) Commit(err error) {
	op.sig.commit(op.idx, err)
}

// Release lets a held guard's selection go on waiting. If a peer met the selection while it was
// held, the selection looks at its guards again instead, and withdraws and re-posts this one.
func (op *ExternOp[T]) Release() { op.sig.release() }

// Held is a value ReadHeld took but has not yet delivered; exactly one of Commit, Release and Fail
// must follow.
type Held[T any] struct {
	c *Chan[T]
	w *waiter[T] // the held writer; nil when the value came from the buffer
	v T
}

// ReadHeld, for transports, takes the next value of r's channel as Read would, but holds the writer
// it came from until Commit, Release or Fail. It returns ctx's error if ctx ends first, and
// ErrPoisoned or ErrRetired as Read does (unwrapped). While it waits it has its turn among the
// channel's readers, but a writer never completes against it: the writer waits (or its value waits
// in the buffer) for ReadHeld to hold it, and only the transport's Commit completes it.
func ReadHeld[T any](ctx context.Context, r *Reader[T]) (T, *Held[T], error) {
	c := r.c
	if c.ext != nil {
		panic("csp: ReadHeld on a remote end")
	}
	// The transport waits in line with the channel's other readers, so that a reader that is
	// always back first (a local one, say) does not take every value while it waits.
	place := &waiter[T]{xport: true}
	for {
		c.mu.Lock()
		if c.xwatch == nil {
			c.xwatch = make(chan struct{})
		}
		v, h, err, done := c.readHeldNow(r)
		if done {
			if place.queued {
				c.recvq.remove(place)
			}
			c.settle()
			c.mu.Unlock()
			return v, h, err
		}
		if !place.queued {
			c.recvq.push(place)
			c.kick() // a reader waits now: a transport's output guard (WriteReady) may go on
		}
		watch := c.xwatch
		c.mu.Unlock()
		select {
		case <-watch:
		case <-ctx.Done():
			c.mu.Lock()
			c.recvq.remove(place)
			c.settle() // what came for this transport goes to the readers behind it
			c.mu.Unlock()
			var zero T
			return zero, nil, ctx.Err()
		}
	}
}

// readHeldNow is ReadHeld's attempt under c.mu: done reports a value (held) or an error.
func (c *Chan[T]) readHeldNow(r *Reader[T]) (v T, h *Held[T], err error, done bool) {
	switch {
	case r.retired:
		return v, nil, ErrRetired, true
	case c.n > 0:
		v, wake := c.popRefill()
		if wake != nil {
			wake.notify() // under the lock, as settle's wakes: a transport's path, not a hot one
		}
		c.xheld++
		return v, &Held[T]{c: c, v: v}, nil, true
	case c.poisoned:
		return v, nil, ErrPoisoned, true
	}
	if w := c.sendq.takeHold(); w != nil {
		c.xheld++
		return w.val, &Held[T]{c: c, w: w, v: w.val}, nil, true
	}
	if c.writersGone && c.xheld == 0 {
		return v, nil, ErrRetired, true
	}
	return v, nil, nil, false
}

// settle serves readers left waiting beside a value: when a transport leaves the line, what came
// while it was first (a writer that queued, a value that went into the buffer) is theirs; when it
// puts back a value it held, a reader may have queued meanwhile. Called under c.mu; it stops at a
// transport still first in line. The wakes it sends under the lock are what commit sends anyway.
func (c *Chan[T]) settle() {
	for c.recvq.head != nil && !c.recvq.head.xport && (c.n > 0 || c.sendq.head != nil) {
		var w *waiter[T] // a writer whose value goes straight to the reader, held until then
		if c.n == 0 {
			if w = c.sendq.takeHold(); w == nil {
				break
			}
		}
		r := c.recvq.take(nil)
		if r == nil {
			if w != nil && w.sig.release() {
				c.sendq.pushFront(w)
			}
			break
		}
		if w != nil {
			r.val = w.val
			w.sig.commit(w.idx, nil)
		} else {
			var wake *signal
			if r.val, wake = c.popRefill(); wake != nil {
				wake.notify()
			}
		}
		c.msgs++
		r.sig.notify()
	}
	// The last writer's retirement reaches readers once the buffer is empty and no transport
	// holds a value it might put back; readers that waited behind a transport hear it now.
	if c.writersGone && c.n == 0 && c.xheld == 0 {
		c.recvq.wakeAll(ErrRetired)
	}
	c.kick()
}

// ReadReady, for transports, waits until a read on r could complete at once (a value buffered, a
// writer waiting that nobody holds, or the read would fail), without taking anything: a transport
// then holds its remote selection, and only then takes the value with ReadHeld, so that a value
// never leaves the buffer for a selection that may still refuse it. While it waits it has its
// place in line among the readers, as ReadHeld does, so that writers (and transports' output
// guards, WriteReady) see a reader waiting. It returns ctx's error if ctx ends first.
func ReadReady[T any](ctx context.Context, r *Reader[T]) error {
	c := r.c
	if c.ext != nil {
		panic("csp: ReadReady on a remote end")
	}
	place := &waiter[T]{xport: true}
	for {
		c.mu.Lock()
		if c.xwatch == nil {
			c.xwatch = make(chan struct{})
		}
		if c.readableNow(r) {
			if place.queued {
				c.recvq.remove(place)
				c.settle()
			}
			c.mu.Unlock()
			return nil
		}
		if !place.queued {
			c.recvq.push(place)
			c.kick()
		}
		watch := c.xwatch
		c.mu.Unlock()
		select {
		case <-watch:
		case <-ctx.Done():
			c.mu.Lock()
			c.recvq.remove(place)
			c.settle()
			c.mu.Unlock()
			return ctx.Err()
		}
	}
}

// ReadableNow, for transports, reports whether a read on r could complete at once (as ReadReady
// waits for), without waiting or taking anything.
func ReadableNow[T any](r *Reader[T]) bool {
	c := r.c
	if c.ext != nil {
		panic("csp: ReadableNow on a remote end")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readableNow(r)
}

func (c *Chan[T]) readableNow(r *Reader[T]) bool {
	return r.retired || c.n > 0 || c.poisoned || c.sendq.claimable() || (c.writersGone && c.xheld == 0)
}

// claimable reports whether a waiter in q could be claimed now (armed: not fired, cancelled or
// held elsewhere).
func (q *waitq[T]) claimable() bool {
	for w := q.head; w != nil; w = w.next {
		if !w.xport && w.sig.state.Load() == armed {
			return true
		}
	}
	return false
}

// WriteReady, for transports, reports whether a write on w could complete at once: a reader waits
// (here or through a transport's ReadHeld), the buffer has room, or the write would fail. If not,
// watch is closed when that may have changed.
func WriteReady[T any](w *Writer[T]) (ready bool, watch <-chan struct{}) {
	c := w.c
	if c.ext != nil {
		panic("csp: WriteReady on a remote end")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.xwatch == nil {
		c.xwatch = make(chan struct{})
	}
	if w.retired || c.poisoned || c.readersGone || c.recvq.head != nil || c.n+c.reserved < c.size {
		return true, nil
	}
	return false, c.xwatch
}

// WriteNow, for transports, writes v on w only if the write completes at once: a reader waits, the
// buffer has room, or the write fails at once (poisoned, retired). Otherwise done is false and
// nothing happened: the transport goes on as it would have (a WriteContext that may block).
func WriteNow[T any](w *Writer[T], v T) (done bool, err error) {
	c := w.c
	if c.ext != nil {
		panic("csp: WriteNow on a remote end")
	}
	c.mu.Lock()
	ok, err, wake := c.sendNow(&w.endCore, v)
	c.mu.Unlock()
	if !ok {
		return false, nil
	}
	if wake != nil {
		wake.notify()
	}
	if err != nil {
		return true, w.opErr("write", err)
	}
	w.trace(EventWrite)
	return true, nil
}

// Reserve, for transports: it reserves up to k more free slots of the buffer of w's channel for
// values that come from elsewhere through w (a remote writer with credits), each filled later by
// WriteReserved, and returns how many it reserved. Until then a reserved slot counts as taken: other
// writers see the buffer full when its values and its reserved slots fill it, so Stats().Len plus
// the slots reserved never exceeds the buffer (but for values a transport held and put back). A
// slot is reserved only when no writer waits for one: they come first. err says why no slot will
// ever be reserved again (the channel is poisoned, its readers or w retired); the slots w holds
// are given back when w retires.
func Reserve[T any](w *Writer[T], k int) (got int, err error) {
	c := w.c
	if c.ext != nil {
		panic("csp: Reserve on a remote end")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case w.retired:
		return 0, ErrRetired
	case c.poisoned:
		return 0, ErrPoisoned
	case c.readersGone:
		return 0, ErrRetired
	}
	if c.sendq.claimable() {
		return 0, nil
	}
	got = max(0, min(k, c.size-c.n-c.reserved-c.xheld))
	w.reserved += got
	c.reserved += got
	return got, nil
}

// WriteReserved, for transports: it writes v into a slot Reserve reserved for w, and never blocks:
// a waiting reader takes v, or the buffer does. If a reader's poison discarded the buffer, or every
// reader retired, since the slot was reserved, v goes as a buffered value would have (lost) and the
// error says why; after a writer's poison v is still buffered, for the readers to drain, as it would
// have been had it arrived first. It panics if w holds no reserved slot.
func WriteReserved[T any](w *Writer[T], v T) error {
	c := w.c
	c.mu.Lock()
	if w.retired {
		c.mu.Unlock()
		return w.opErr("write", ErrRetired)
	}
	if w.reserved == 0 {
		c.mu.Unlock()
		panic(fmt.Sprintf("csp: WriteReserved on channel %q without a reserved slot", c.Name()))
	}
	w.reserved--
	c.reserved--
	var err error
	var wake *signal
	switch {
	case c.discarded:
		err = ErrPoisoned
	case c.readersGone:
		err = ErrRetired
	default:
		if r := c.recvq.take(nil); r != nil {
			r.val = v
			c.msgs++
			wake = r.sig
		} else {
			c.push(v)
		}
	}
	c.refill() // the slot is free again unless v went into it: a waiting writer takes it
	c.mu.Unlock()
	if wake != nil {
		wake.notify()
	}
	if err != nil {
		return w.opErr("write", err)
	}
	w.trace(EventWrite)
	return nil
}

// unreserve gives back the slots e reserved (it retires). Under c.mu.
func (c *Chan[T]) unreserve(e *endCore) {
	c.reserved -= e.reserved
	e.reserved = 0
	c.refill()
}

// refill lets writers waiting for room take the buffer slots that are free (a reservation ended).
// Under c.mu.
func (c *Chan[T]) refill() {
	for c.n+c.reserved < c.size {
		w := c.sendq.take(nil)
		if w == nil {
			break
		}
		c.push(w.val)
		var zero T
		w.val = zero
		w.sig.notify()
	}
	c.kick()
}

// Value returns the value held.
func (h *Held[T]) Value() T { return h.v }

// Commit completes the read: the value was delivered, and its writer's Write returns nil.
func (h *Held[T]) Commit() {
	h.gone(true)
	if h.w != nil {
		h.w.sig.commit(h.w.idx, nil)
	}
}

// gone records that the held value left the channel for good (delivered, or lost with a link).
func (h *Held[T]) gone(delivered bool) {
	c := h.c
	c.mu.Lock()
	if delivered {
		c.msgs++
	}
	c.xheld--
	c.settle()
	c.mu.Unlock()
}

// Fail ends the read when it is unknown whether the value was delivered: its writer gets err, so a
// writer never succeeds with a value that may be lost. A value from the buffer (whose writer
// already succeeded) is then counted as delivered at most once: it is not offered again.
func (h *Held[T]) Fail(err error) {
	h.gone(false)
	if h.w != nil {
		h.w.sig.commit(h.w.idx, err)
	}
}

// Release undoes the read: the value was not delivered here. If a reader came while the value was
// out, it takes it now (the writer's Write returns nil); otherwise a held writer is queued again at
// the front of the channel and a buffered value goes back to the front of the buffer. If the
// channel was poisoned or its readers retired meanwhile, a held writer fails as the queued writers
// did; a buffered value that a reader's poison discarded meanwhile goes with the buffer.
func (h *Held[T]) Release() {
	c := h.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.xheld--
	switch {
	case h.w != nil && c.poisoned:
		// The poison woke every queued writer while this one was out of the queue: it gets what
		// they got, as it would had it stayed.
		h.w.sig.commit(h.w.idx, ErrPoisoned)
	case h.w != nil && c.readersGone:
		h.w.sig.commit(h.w.idx, ErrRetired)
	case h.w == nil && c.discarded:
		// A reader's poison discarded the buffer meanwhile: the value goes with it.
	case h.w == nil:
		c.pushFront(h.v)
	case h.w.sig.release():
		// Back at the front, unless the writer's agent looks again (retry) and queues anew.
		c.sendq.pushFront(h.w)
	}
	// A reader that queued while the value was out found nothing, and nothing else would wake it
	// for this value; settle also tells the transports that the channel changed.
	c.settle()
}

// pushFront puts a released value back at the head of the buffer. The buffer may have filled up
// meanwhile (a writer took the slot the value left), so the ring grows by one slot if need be;
// writers still see the declared capacity (size), so it never holds more than size+released.
func (c *Chan[T]) pushFront(v T) {
	if c.n == len(c.buf) {
		nb := make([]T, len(c.buf)+1)
		for i := 0; i < c.n; i++ {
			nb[i+1] = c.buf[(c.head+i)%len(c.buf)]
		}
		c.buf, c.head = nb, 1
	}
	c.head--
	if c.head < 0 {
		c.head = len(c.buf) - 1
	}
	c.buf[c.head] = v
	c.n++
	c.kick()
}

func (q *waitq[T]) pushFront(w *waiter[T]) {
	w.prev, w.next, w.queued = nil, q.head, true
	if q.head == nil {
		q.tail = w
	} else {
		q.head.prev = w
	}
	q.head = w
}

// takeHold removes waiters from the front until one can be held, and returns it (nil if none).
func (q *waitq[T]) takeHold() *waiter[T] {
	for w := q.head; w != nil; w = q.head {
		q.remove(w)
		if w.sig.take(held) {
			return w
		}
	}
	return nil
}

// readExt is Read on a remote end.
func (r *Reader[T]) readExt(ctx context.Context) (T, error) {
	c := r.c
	c.mu.Lock()
	retired := r.retired
	c.mu.Unlock()
	var v T
	err := ErrRetired
	if !retired {
		done := r.remoteWait(StateBlockedRead, ctx)
		v, err = c.ext.Read(ctx)
		done()
	}
	if err != nil {
		return v, r.opErr("read", err)
	}
	c.delivered()
	r.trace(EventRead)
	return v, nil
}

// writeExt is Write on a remote end.
func (w *Writer[T]) writeExt(ctx context.Context, v T) error {
	c := w.c
	c.mu.Lock()
	retired := w.retired
	c.mu.Unlock()
	err := ErrRetired
	if !retired {
		done := w.remoteWait(StateBlockedWrite, ctx)
		err = c.ext.Write(ctx, v)
		done()
	}
	if err != nil {
		return w.opErr("write", err)
	}
	c.delivered()
	w.trace(EventWrite)
	return nil
}

// delivered counts a value that went through a remote end: the channel's messages, as its
// monitor and viewers see them on this node.
func (c *chanCore) delivered() {
	c.mu.Lock()
	c.msgs++
	c.mu.Unlock()
}

func (g *RecvGuard[T]) pollExt() (bool, error, *signal) {
	if g.r.retired {
		return true, ErrRetired, nil
	}
	if err := g.r.c.ext.Poll(); err != nil {
		return true, err, nil
	}
	return false, nil, nil
}

// tryExt is a remote input guard's first look, outside any lock: a round trip to the home.
func (g *RecvGuard[T]) tryExt() (bool, error) {
	c := g.r.c
	c.mu.Lock()
	ok, err, _ := g.pollExt()
	c.mu.Unlock()
	if ok {
		return true, err
	}
	v, ok, err := c.ext.TryRead()
	if ok && err == nil {
		g.val = v
		c.delivered()
	}
	return ok, err
}

func (g *RecvGuard[T]) probeExt() func() bool {
	c := g.r.c
	c.mu.Lock()
	ok, _, _ := g.pollExt()
	c.mu.Unlock()
	if ok {
		return func() bool { return true }
	}
	return c.ext.Probe()
}

func (g *RecvGuard[T]) postExt() {
	if g.xop == nil {
		g.xop = &ExternOp[T]{}
	}
	*g.xop = ExternOp[T]{sig: g.w.sig, idx: g.w.idx, w: &g.w}
	g.r.c.ext.Post(g.xop)
}

func (g *RecvGuard[T]) withdrawExt() { g.r.c.ext.Withdraw(g.xop) }

func (g *SendGuard[T]) pollExt() (bool, error, *signal) {
	if g.wr.retired {
		return true, ErrRetired, nil
	}
	if err := g.wr.c.ext.Poll(); err != nil {
		return true, err, nil
	}
	return false, nil, nil
}

// tryExt is a remote output guard's first look, outside any lock: a round trip to the home.
func (g *SendGuard[T]) tryExt() (bool, error) {
	c := g.wr.c
	c.mu.Lock()
	ok, err, _ := g.pollExt()
	c.mu.Unlock()
	if ok {
		return true, err
	}
	ok, err = c.ext.TryWrite(g.v)
	if ok && err == nil {
		c.delivered()
	}
	return ok, err
}

func (g *SendGuard[T]) probeExt() func() bool {
	c := g.wr.c
	c.mu.Lock()
	ok, _, _ := g.pollExt()
	c.mu.Unlock()
	if ok {
		return func() bool { return true }
	}
	return c.ext.Probe()
}

func (g *SendGuard[T]) postExt() {
	if g.xop == nil {
		g.xop = &ExternOp[T]{}
	}
	*g.xop = ExternOp[T]{sig: g.w.sig, idx: g.w.idx, w: &g.w}
	g.wr.c.ext.PostWrite(g.xop, g.v)
}

// remoteWait shows an observed process waiting on a remote end as blocked on that end's channel,
// as a timed wait: it waits on another node, which this monitor cannot see, so it counts as live
// and is never part of a deadlock here. The function it returns ends the wait.
func (e *endCore) remoteWait(st State, ctx context.Context) (done func()) {
	rec := e.owner.Load()
	if rec == nil {
		return func() {}
	}
	rec.timedWait(st, e, nil, deadlineOf(ctx))
	return rec.endTimedWait
}
