package csp

import (
	"context"
	"fmt"
	"slices"

	"github.com/gocsp/gocsp/internal/transport"
)

// This file is the core's side of remote channels (package net). A transport needs two things from
// the core, and local channels pay for neither beyond a nil check: on the node that uses a remote
// end, a channel whose operations a transport.Extern carries (its guards posted to it as
// transport.Op); on the channel's home, reads that hold their writer until the remote reader has
// the value (transport.Reader.ReadHeld) and writes that complete only at once
// (transport.Writer.WriteNow). The interfaces, and how they fit together, are in
// internal/transport; csp implements them here with unexported types, reached through the
// Transport method of *Chan, *Reader and *Writer (the only doors: their types are internal, so a
// user of csp never sees them).
//
// Nobody waits for a held signal, since a peer meets it under a channel's lock: the peer passes it by
// (take) and marks it, and a release of a marked signal makes its agent look again (retry).

// Transport is for package net; its types are internal to this module. It returns the channel's
// face for a transport: make the channel, just made, one whose home is elsewhere, and report that
// the way there is lost.
func (c *Chan[T]) Transport() transport.Chan[T] {
	c.made("Transport")
	return (*chanTransport[T])(c)
}

// Transport is for package net; its types are internal to this module. It returns the end's face
// for a transport serving the channel's home: reads that hold their writer until a remote reader
// has the value.
func (r *Reader[T]) Transport() transport.Reader[T] { return (*readerTransport[T])(r) }

// Transport is for package net; its types are internal to this module. It returns the end's face
// for a transport serving the channel's home: writes that complete only at once.
func (w *Writer[T]) Transport() transport.Writer[T] { return (*writerTransport[T])(w) }

// chanTransport, readerTransport and writerTransport are the transport's views of a channel and
// its ends (the Transport methods): the same values, with the transport's methods.
type (
	chanTransport[T any]   Chan[T]
	readerTransport[T any] Reader[T]
	writerTransport[T any] Writer[T]
)

func (c *chanTransport[T]) SetExtern(ext transport.Extern[T]) { setExtern((*Chan[T])(c), ext) }
func (c *chanTransport[T]) ReportLinkLost()                   { reportLinkLost((*Chan[T])(c)) }

func (r *readerTransport[T]) ReadHeld(ctx context.Context) (T, transport.Held[T], error) {
	return readHeld(ctx, (*Reader[T])(r))
}
func (r *readerTransport[T]) ReadReady(ctx context.Context) error {
	return readReady(ctx, (*Reader[T])(r))
}
func (r *readerTransport[T]) ReadableNow() bool { return readableNow((*Reader[T])(r)) }

func (w *writerTransport[T]) WriteReady() (bool, <-chan struct{}) {
	return writeReady((*Writer[T])(w))
}
func (w *writerTransport[T]) WriteNow(v T) (bool, error) { return writeNow((*Writer[T])(w), v) }
func (w *writerTransport[T]) Reserve(k int) (int, error) { return reserve((*Writer[T])(w), k) }
func (w *writerTransport[T]) WriteReserved(v T) error    { return writeReserved((*Writer[T])(w), v) }

// reportLinkLost is transport.Chan.ReportLinkLost.
func reportLinkLost[T any](c *Chan[T]) {
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

// setExtern is transport.Chan.SetExtern.
func setExtern[T any](c *Chan[T], ext transport.Extern[T]) {
	if ext == nil {
		panic(fmt.Sprintf("csp: SetExtern(%q) with a nil Extern", c.Name()))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ext != nil || c.rj+c.wj > 0 {
		panic(fmt.Sprintf("csp: SetExtern(%q) on a channel already remote or with ends joined: make it remote first", c.Name()))
	}
	c.buf, c.size = nil, 0
	c.ext = ext
	c.remote = true
	c.locator, _ = ext.(transport.Locator)
}

// externOp is a guard of a parked selection, posted to a transport (transport.Op, whose doc says
// what each method does).
type externOp[T any] struct {
	sig *signal
	idx int
	w   *waiter[T]
}

// Claim, Hold, Deliver, Commit and Release never take the channel's lock: a transport calls them
// holding its own lock, which Post, PostWrite, Withdraw and Poll (called with the channel locked)
// take too (transport.Op says more). The selection counts the message (delivered) when it
// collects the guard.

func (op *externOp[T]) Claim(v T, err error) (ok, busy bool) {
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

func (op *externOp[T]) Hold() (ok, busy bool) {
	s := op.sig
	if s.state.CompareAndSwap(armed, held) {
		return true, false
	}
	return false, s.heldNow()
}

func (op *externOp[T]) Deliver(v T) {
	op.w.val = v
	op.Commit(nil)
}

func (op *externOp[T]) Commit(err error) {
	op.sig.commit(op.idx, err)
}

func (op *externOp[T]) Release() { op.sig.release() }

// heldValue is a value readHeld took but has not yet delivered (transport.Held).
type heldValue[T any] struct {
	c *Chan[T]
	w *waiter[T] // the held writer; nil when the value came from the buffer
	v T
}

// readHeld is transport.Reader.ReadHeld.
func readHeld[T any](ctx context.Context, r *Reader[T]) (T, transport.Held[T], error) {
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
func (c *Chan[T]) readHeldNow(r *Reader[T]) (v T, h transport.Held[T], err error, done bool) {
	switch {
	case r.retired:
		return v, nil, ErrRetired, true
	case c.n > 0:
		v, wake := c.popRefill()
		if wake != nil {
			wake.notify() // under the lock, as settle's wakes: a transport's path, not a hot one
		}
		c.xheld++
		return v, &heldValue[T]{c: c, v: v}, nil, true
	case c.poisoned:
		return v, nil, ErrPoisoned, true
	}
	if w := c.sendq.takeHold(); w != nil {
		c.xheld++
		return w.val, &heldValue[T]{c: c, w: w, v: w.val}, nil, true
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

// readReady is transport.Reader.ReadReady.
func readReady[T any](ctx context.Context, r *Reader[T]) error {
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

// readableNow is transport.Reader.ReadableNow.
func readableNow[T any](r *Reader[T]) bool {
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

// writeReady is transport.Writer.WriteReady.
func writeReady[T any](w *Writer[T]) (ready bool, watch <-chan struct{}) {
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

// writeNow is transport.Writer.WriteNow.
func writeNow[T any](w *Writer[T], v T) (done bool, err error) {
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

// reserve is transport.Writer.Reserve: it reserves up to k more free slots of the buffer of w's channel for
// values that come from elsewhere through w (a remote writer with credits), each filled later by
// WriteReserved, and returns how many it reserved. Until then a reserved slot counts as taken: other
// writers see the buffer full when its values and its reserved slots fill it, so Stats().Len plus
// the slots reserved never exceeds the buffer (but for values a transport held and put back). A
// slot is reserved only when no writer waits for one: they come first. err says why no slot will
// ever be reserved again (the channel is poisoned, its readers or w retired); the slots w holds
// are given back when w retires.
func reserve[T any](w *Writer[T], k int) (got int, err error) {
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

// writeReserved is transport.Writer.WriteReserved: it writes v into a slot Reserve reserved for w, and never blocks:
// a waiting reader takes v, or the buffer does. If a reader's poison discarded the buffer, or every
// reader retired, since the slot was reserved, v goes as a buffered value would have (lost) and the
// error says why; after a writer's poison v is still buffered, for the readers to drain, as it would
// have been had it arrived first. It panics if w holds no reserved slot.
func writeReserved[T any](w *Writer[T], v T) error {
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

func (h *heldValue[T]) Value() T { return h.v }

func (h *heldValue[T]) Commit() {
	h.gone(true)
	if h.w != nil {
		h.w.sig.commit(h.w.idx, nil)
	}
}

// gone records that the held value left the channel for good (delivered, or lost with a link).
func (h *heldValue[T]) gone(delivered bool) {
	c := h.c
	c.mu.Lock()
	if delivered {
		c.msgs++
	}
	c.xheld--
	c.settle()
	c.mu.Unlock()
}

func (h *heldValue[T]) Fail(err error) {
	h.gone(false)
	if h.w != nil {
		h.w.sig.commit(h.w.idx, err)
	}
}

func (h *heldValue[T]) Release() {
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
		g.xop = &externOp[T]{}
	}
	*g.xop = externOp[T]{sig: g.w.sig, idx: g.w.idx, w: &g.w}
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
		g.xop = &externOp[T]{}
	}
	*g.xop = externOp[T]{sig: g.w.sig, idx: g.w.idx, w: &g.w}
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
