package net

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gocsp/gocsp/csp"
)

// export is a channel exported by a node.
type export[T any] struct {
	ch   *csp.Chan[T]
	name string
	o    endOptions
	typ  string
}

// open checks a peer's end against the channel and starts its home side.
func (e *export[T]) open(l *link, id uint32, req openReq) error {
	if req.typ != e.typ || req.codec != e.o.codec.Name() {
		return fmt.Errorf("%w: channel %q at %s carries %s (codec %s); the %s end opened from %s is for %s (codec %s)",
			ErrTypeMismatch, e.name, l.n.addr, e.typ, e.o.codec.Name(), csp.Dir(req.dir), l.peer, req.typ, req.codec)
	}
	h := &home[T]{l: l, id: id, codec: e.o.codec, mbox: make(chan frame, l.n.opts.maxPending)}
	if csp.Dir(req.dir) == csp.DirRead {
		h.r = e.ch.Reader()
	} else {
		h.w = e.ch.Writer()
	}
	if !l.addHome(id, h) {
		h.drop()
		return l.lostErr()
	}
	l.n.wg.Add(1)
	go h.run()
	return nil
}

// home is the home side of one remote end: a real end of the exported channel, through which one
// goroutine runs the remote end's operations one at a time, as the remote process posts them.
type home[T any] struct {
	l     *link
	id    uint32
	codec Codec
	r     *csp.Reader[T] // exactly one of r and w
	w     *csp.Writer[T]
	mbox  chan frame

	mu        sync.Mutex
	cur       uint64 // the operation being served, 0 if none
	curCancel context.CancelFunc
	cancelled uint64 // the last operation the remote end withdrew
	deferred  []frame
}

func (h *home[T]) end() csp.End {
	if h.r != nil {
		return h.r
	}
	return h.w
}

func (h *home[T]) post(f frame) bool {
	f.payload = append([]byte(nil), f.payload...)
	select {
	case h.mbox <- f:
		return true
	default:
		return false
	}
}

func (h *home[T]) cancel(op uint64) {
	h.mu.Lock()
	if h.cur == op && h.curCancel != nil {
		h.curCancel()
	}
	if op > h.cancelled {
		h.cancelled = op
	}
	h.mu.Unlock()
}

// begin makes the context of operation op: it ends when the remote end withdraws op or the link is lost.
func (h *home[T]) begin(op uint64) context.Context {
	ctx, cancel := context.WithCancel(h.l.ctx)
	h.mu.Lock()
	h.cur, h.curCancel = op, cancel
	if h.cancelled >= op {
		cancel()
	}
	h.mu.Unlock()
	return ctx
}

func (h *home[T]) finish() {
	h.mu.Lock()
	if h.curCancel != nil {
		h.curCancel()
	}
	h.cur, h.curCancel = 0, nil
	h.mu.Unlock()
}

// drop leaves the channel when the end's link is lost: the remote process behind it can no longer
// be reached, and its failure would have poisoned the channel, so the home poisons it on its behalf
// (a process that ends normally retires its ends first, and a retired end is not poisoned).
func (h *home[T]) drop() { h.end().Poison() }

func (h *home[T]) run() {
	defer h.l.n.wg.Done()
	for {
		var f frame
		if len(h.deferred) > 0 {
			f, h.deferred = h.deferred[0], h.deferred[1:]
		} else {
			select {
			case f = <-h.mbox:
			case <-h.l.ctx.Done():
				h.drop()
				return
			}
		}
		switch f.typ {
		case msgRead:
			if h.r != nil {
				h.serveRead(f)
			}
		case msgWrite:
			if h.w != nil {
				h.serveWrite(f)
			}
		case msgPoison:
			h.end().Poison()
		case msgRetire:
			h.end().Retire()
			h.l.dropHome(h.id)
			return
		}
	}
}

// serveWrite runs a remote Write: the home end writes the value and the remote writer is told only
// once the home's Write returned, so its Write returns nil only once a reader has the value.
func (h *home[T]) serveWrite(f frame) {
	ctx := h.begin(f.op)
	defer h.finish()
	var v T
	if err := h.codec.Unmarshal(f.payload, &v); err != nil {
		h.done(f.op, fmt.Errorf("decoding the value: %w", err))
		return
	}
	err := h.w.WriteContext(ctx, v)
	if err != nil && h.l.isLost() {
		return
	}
	h.done(f.op, err)
}

// serveRead runs a remote Read, or an input guard of a remote selection: the value is offered with
// its writer held, and the writer completes only when the remote end has taken it.
func (h *home[T]) serveRead(f frame) {
	ctx := h.begin(f.op)
	defer h.finish()
	for {
		v, held, err := csp.ReadHeld(ctx, h.r)
		if err != nil {
			if !h.l.isLost() {
				h.done(f.op, err)
			}
			return
		}
		payload, err := h.codec.Marshal(v)
		if err != nil {
			held.Release()
			h.done(f.op, fmt.Errorf("encoding the value: %w", err))
			return
		}
		if err := h.l.send(msgOffer, 0, h.id, f.op, payload); err != nil {
			held.Release() // not sent: certainly not delivered
			if !h.l.isLost() {
				h.done(f.op, err)
			}
			return
		}
		taken, busy, lost := h.answer(f.op)
		switch {
		case lost:
			held.Fail(h.l.lostErr()) // the remote end may or may not have it: its writer must not succeed
			return
		case taken:
			held.Commit()
			return
		case !busy:
			held.Release()
			return
		}
		// The remote selection is held by another channel's home: let it decide, then offer again.
		held.Release()
		select {
		case <-time.After(time.Duration(20+rand.IntN(200)) * time.Microsecond):
		case <-ctx.Done():
			if !h.l.isLost() {
				h.done(f.op, ctx.Err())
			}
			return
		}
	}
}

// answer waits for the remote end's answer to the offer for op. Other frames that come meanwhile
// (a poison) are kept for later.
func (h *home[T]) answer(op uint64) (taken, busy, lost bool) {
	for {
		select {
		case f := <-h.mbox:
			switch {
			case (f.typ == msgTaken || f.typ == msgRefused) && f.op == op:
				return f.typ == msgTaken, f.flags&flagBusy != 0, false
			case f.typ == msgTaken || f.typ == msgRefused: // a stale answer
			default:
				h.deferred = append(h.deferred, f)
			}
		case <-h.l.ctx.Done():
			return false, false, true
		}
	}
}

// done tells the remote end how operation op ended.
func (h *home[T]) done(op uint64, err error) {
	res, text := resultOf(err)
	h.l.send(msgDone, 0, h.id, op, append([]byte{res}, text...))
}

func resultOf(err error) (uint8, string) {
	switch {
	case err == nil:
		return resOK, ""
	case errors.Is(err, csp.ErrPoisoned):
		return resPoisoned, ""
	case errors.Is(err, csp.ErrRetired):
		return resRetired, ""
	case errors.Is(err, context.Canceled):
		return resCancelled, ""
	}
	return resFailed, err.Error()
}

// errorOf is resultOf's inverse on the opener's side; ctxErr is what a cancelled operation returns.
func errorOf(p []byte, ctxErr error) error {
	if len(p) == 0 {
		return errors.New("net: malformed result")
	}
	switch p[0] {
	case resOK:
		return nil
	case resPoisoned:
		return csp.ErrPoisoned
	case resRetired:
		return csp.ErrRetired
	case resCancelled:
		if ctxErr == nil {
			ctxErr = context.Canceled
		}
		return ctxErr
	}
	return fmt.Errorf("at the channel's home: %s", p[1:])
}
