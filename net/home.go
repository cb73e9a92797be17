package net

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/gocsp/gocsp/csp"

	"github.com/gocsp/gocsp/internal/transport"
)

// export is a channel exported by a node.
type export[T any] struct {
	ch   *csp.Chan[T]
	name string
	o    endOptions
	typ  string
	// altWriters counts the remote output guards its homes serve now (serveAltWrite): a try to
	// read (flagTry) gives them a moment to come, as a local parked output guard is there at once.
	altWriters atomic.Int32
}

// open checks a peer's end against the channel and starts its home side.
func (e *export[T]) open(l *link, id uint32, req openReq) error {
	if req.typ != e.typ || req.codec != e.o.codec.Name() {
		return fmt.Errorf("%w: channel %q at %s carries %s (codec %s); the %s end opened from %s is for %s (codec %s)",
			ErrTypeMismatch, e.name, l.n.addr, e.typ, e.o.codec.Name(), csp.Dir(req.dir), l.peer, req.typ, req.codec)
	}
	h := &home[T]{exp: e, l: l, id: id, codec: sessionOf(e.o.codec, reflect.TypeFor[T]()), policy: e.o.lost,
		wake: make(chan struct{}, 1), answers: make(chan frame, 4)}
	if csp.Dir(req.dir) == csp.DirRead {
		h.r = e.ch.Reader()
	} else {
		h.w = e.ch.Writer()
		// Credits only where the link's byte stream survives a blip: a credited value in flight
		// is then lost only with the link for good (net/doc.go, "Credits").
		if buf := e.ch.Stats().Buffer; req.credit && buf > 0 && l.resumable() {
			h.window = min(buf, maxCreditWindow)
			h.thresh = max(1, h.window/4)
		}
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
	exp     *export[T]
	l       *link
	id      uint32
	codec   Codec
	policy  LinkLostPolicy // what the end does when its link is lost
	r       *csp.Reader[T] // exactly one of r and w
	w       *csp.Writer[T]
	wake    chan struct{} // a frame was queued
	answers chan frame    // msgTaken, msgRefused, msgHeld: one per question asked, so never full

	mu        sync.Mutex
	cur       uint64          // the operation being served, 0 if none
	opCtx     context.Context // the context operations run under, until one is withdrawn
	opCancel  context.CancelFunc
	cancelled uint64  // the last operation the remote end withdrew
	queue     []frame // operations, poison and retirement not yet served, in order
	busy      bool    // the home's goroutine is serving a frame it took from queue
	inline    bool    // the link's reader is serving a write (writeNow)
	pre       T       // operation preOp's value, decoded already by writeNow
	preOp     uint64

	// Credits (WithCredits): window > 0 when the end has them. granted counts the buffer slots
	// reserved for the end and granted to it, received the credited writes that came (including
	// plain writes that used a reserved slot), both since it opened: granted-received slots are
	// reserved in the channel now. Under mu; reserving (csp.Reserve) is the home goroutine's alone.
	window, thresh    int
	granted, received uint64
	creditStop        bool            // flagStop sent: no more grants
	space             <-chan struct{} // the channel may have room for the grants wanted (run waits on it)

	timer *time.Timer // answer's deadline; only the home's goroutine uses it
}

// maxCreditWindow bounds the slots reserved for one credited writer end: with the one frame a
// credited write costs, that bounds what the end has in flight.
const maxCreditWindow = 64

func (h *home[T]) end() csp.End {
	if h.r != nil {
		return h.r
	}
	return h.w
}

// maxQueued bounds an end's queue. An end posts one operation at a time, and an operation it
// withdraws before the home started it leaves the queue at once (cancel), so a peer that fills the
// queue is not following the protocol.
const maxQueued = 64

// maxQueuedWrites bounds the writes, each a copy of a value of up to a frame, queued for an end
// behind the one it serves: one operation at a time leaves at most one queued (a selection's next
// guard, posted after withdrawing the one being served), so a peer that queues more is flooding the
// node's memory, and loses its link.
const maxQueuedWrites = 2

// queuedWrites counts the writes queued. h.mu is held.
func (h *home[T]) queuedWrites() int {
	n := 0
	for _, f := range h.queue {
		if f.typ == msgWrite {
			n++
		}
	}
	return n
}

// errOutstanding is why a peer that queues more frames for an end than the protocol allows loses
// its link.
var errOutstanding = errors.New("more frames outstanding than the protocol allows")

func (h *home[T]) post(f frame) error {
	if f.typ == msgWrite && f.flags&flagCredit != 0 {
		return h.writeCredited(f)
	}
	// A probe carries no value and must write none (an empty payload may decode as one: Raw).
	if f.typ == msgWrite && f.flags&(flagAlt|flagProbe) == 0 && h.writeNow(f) {
		return nil
	}
	f.payload = append([]byte(nil), f.payload...)
	if f.typ == msgTaken || f.typ == msgRefused || f.typ == msgHeld {
		select {
		case h.answers <- f:
			return nil
		default:
			return fmt.Errorf("end %d: %w", h.id, errOutstanding)
		}
	}
	switch f.typ {
	case msgPoison:
		// Poison overtakes whatever the end has queued or under way, as it does on a local end:
		// the home's end is poisoned now, which wakes the operation it serves with ErrPoisoned.
		h.end().Poison()
		return nil
	case msgRetire:
		// So does retirement; run still answers the operation under way, then confirms it.
		h.end().Retire()
	}
	h.mu.Lock()
	if len(h.queue) >= maxQueued || f.typ == msgWrite && h.queuedWrites() >= maxQueuedWrites {
		h.mu.Unlock()
		return fmt.Errorf("end %d: %w", h.id, errOutstanding)
	}
	h.queue = append(h.queue, f)
	h.mu.Unlock()
	h.poke()
	return nil
}

// poke wakes the home's goroutine.
func (h *home[T]) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// writeCredited takes a credited write, on the link's reader goroutine: its value goes into the
// slot reserved for it (to a waiting reader, or into the buffer) at once, in the order the end
// wrote, since frames on the link keep it; the writer's Write returned when it was sent. A write
// beyond the credits granted, or a value that does not decode (the writer encoded it with the
// same codec), breaks the protocol: the link is dropped.
func (h *home[T]) writeCredited(f frame) error {
	h.mu.Lock()
	if h.window == 0 || h.received >= h.granted {
		h.mu.Unlock()
		return fmt.Errorf("end %d: a credited write beyond the %d credits granted", h.id, h.granted)
	}
	h.received++
	wake := h.window-int(h.granted-h.received) >= h.thresh && !h.creditStop
	h.mu.Unlock()
	var v T
	if err := h.codec.Unmarshal(f.payload, &v); err != nil {
		return fmt.Errorf("end %d: a credited value of channel %q does not decode: %w", h.id, h.exp.name, err)
	}
	if err := h.w.Transport(transport.Door()).WriteReserved(v); err != nil {
		wake = true // poisoned, or its readers retired: run tells the writer (flagStop)
	}
	if wake {
		h.poke()
	}
	return nil
}

// useCredit takes a slot reserved for the end for a plain write, if it has one (its grant is on
// its way to the writer, which wrote before it came): the write completes into it, and its result
// says so (flagCredit), so that the writer counts it as a credited one.
func (h *home[T]) useCredit() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.window == 0 || h.received >= h.granted {
		return false
	}
	h.received++
	return true
}

// writeReserved completes plain write op into a slot useCredit took, and has the home's goroutine
// top the end's grants up (it may be waiting for nothing else).
func (h *home[T]) writeReserved(op uint64, v T) {
	err := h.w.Transport(transport.Door()).WriteReserved(v)
	res, text := resultOf(err)
	h.l.send(msgDone, flagCredit, h.id, op, append([]byte{res}, text...))
	h.poke()
}

// topUp grants the end the slots it lacks, on the home's goroutine: when at least thresh of its
// window are not reserved, it reserves what the buffer has free (csp.Reserve) and sends the new
// total (msgCredit: cumulative, so grants need no acknowledgement and a late one does no harm).
// Once the channel can take no more writes (poisoned, its readers retired), the writer is told to
// stop (flagStop): its next write goes the acknowledged way, and fails as a local one would.
func (h *home[T]) topUp() {
	h.mu.Lock()
	if h.creditStop {
		h.mu.Unlock()
		return
	}
	want := h.window - int(h.granted-h.received)
	h.mu.Unlock()
	if want < h.thresh {
		want = 0 // nothing to grant yet; Reserve still says whether the channel is past writing
	}
	got, err := h.w.Transport(transport.Door()).Reserve(want)
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil:
		h.creditStop = true
		h.l.send(msgCredit, flagStop, h.id, 0, creditMsg{h.granted, h.received}.append(nil))
	case got > 0:
		h.granted += uint64(got)
		h.l.send(msgCredit, 0, h.id, 0, creditMsg{h.granted, h.received}.append(nil))
	}
}

// cancel withdraws op: the one being served is cancelled through its context, one still queued is
// dropped (a plain operation is told so; a selection's guard has forgotten it already).
func (h *home[T]) cancel(op uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == op && op != 0 {
		h.opCancel()
	}
	if op > h.cancelled {
		h.cancelled = op
	}
	for i, f := range h.queue {
		if f.op == op && (f.typ == msgRead || f.typ == msgWrite) {
			h.queue = append(h.queue[:i], h.queue[i+1:]...)
			if f.flags&flagAlt == 0 {
				h.l.send(msgDone, 0, h.id, op, []byte{resCancelled})
			}
			return
		}
	}
}

// writeNow serves a plain remote Write on the link's reader goroutine, if the home is idle (nothing
// queued or being served, so the end's frames stay in order and its end is free) and the write
// completes at once (a reader waits, or buffer room): that saves the hand-off to the home's
// goroutine, a futex wake-up on few cores. False if it did nothing; the frame then goes the usual way.
func (h *home[T]) writeNow(f frame) bool {
	if h.w == nil {
		return false
	}
	h.mu.Lock()
	idle := !h.busy && len(h.queue) == 0 && f.op > h.cancelled
	h.inline = idle // a closing node waits for the result this may send (idle)
	h.mu.Unlock()
	if !idle {
		return false
	}
	defer func() {
		h.mu.Lock()
		h.inline = false
		h.mu.Unlock()
	}()
	var v T
	if h.codec.Unmarshal(f.payload, &v) != nil {
		return false // the home reports it
	}
	if h.useCredit() {
		h.writeReserved(f.op, v)
		return true
	}
	done, err := h.w.Transport(transport.Door()).WriteNow(v)
	if !done && h.l.drained {
		// The reader has nothing else to dispatch: let the processes it just woke run first. The
		// usual case is a round trip, whose reply (just dispatched) woke the process that reads
		// this value next: yielding lets it reach its Read, and the write completes here instead
		// of parking the home's goroutine, which that Read would then wake again.
		runtime.Gosched()
		done, err = h.w.Transport(transport.Door()).WriteNow(v)
	}
	if !done { // the home's goroutine writes it, without decoding it again
		h.mu.Lock()
		h.pre, h.preOp = v, f.op
		h.mu.Unlock()
		return false
	}
	h.done(f.op, err)
	if h.window > 0 {
		h.poke() // a credited end wrote the acknowledged way: the home's goroutine tops it up
	}
	return true
}

// next returns the next queued frame, waiting for one; false once the link is lost. A credited
// end's grants are topped up before each wait: after each operation served (an acknowledged write
// of an end that ran out of credits pokes too), and when credited writes have spent a quarter of
// the window (writeCredited pokes). The home does not watch the buffer for room (every credited
// end of a busy channel would wake at each value): an end that finds it full writes the
// acknowledged way, in line with the channel's other writers, and after that its home looks again.
func (h *home[T]) next() (frame, bool) {
	for {
		h.mu.Lock()
		if len(h.queue) > 0 {
			f := h.queue[0]
			h.queue = h.queue[1:]
			h.busy = true
			h.mu.Unlock()
			return f, true
		}
		h.busy = false
		h.mu.Unlock()
		if h.window > 0 {
			h.topUp()
		}
		select {
		case <-h.wake:
		case <-h.l.ctx.Done():
			return frame{}, false
		}
	}
}

// begin returns the context of operation op: it ends when the remote end withdraws op or the link
// is lost. Operations share one context until one is withdrawn, which ends it; the next gets a new
// one. Making one per operation cost a few percent of a round trip, and nothing outlives an
// operation that could see the next one's cancellation: the core waits on a context only while
// the operation is under way.
func (h *home[T]) begin(op uint64) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.opCtx == nil || h.opCtx.Err() != nil {
		h.opCtx, h.opCancel = context.WithCancel(h.l.stop)
	}
	h.cur = op
	if h.cancelled >= op {
		h.opCancel()
	}
	return h.opCtx
}

func (h *home[T]) finish() {
	h.mu.Lock()
	h.cur = 0
	h.mu.Unlock()
}

func (h *home[T]) idle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.busy && !h.inline && h.cur == 0
}

// cutShort says whether the node's closing (not the remote end's withdrawal) ended operation op
// with err: then the home sends no result, and the remote end's operation ends with the link
// (msgBye follows), as every operation waiting on a closing node does, with ErrLinkLost.
func (h *home[T]) cutShort(op uint64, err error) bool {
	if !errors.Is(err, context.Canceled) || h.l.closing() == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cancelled < op
}

// stop releases the operations' context when the home ends.
func (h *home[T]) stop() {
	h.mu.Lock()
	if h.opCancel != nil {
		h.opCancel()
	}
	h.mu.Unlock()
}

// drop leaves the channel when the end's link is lost, as the export's policy says: the end
// retires (LeaveOnLinkLost), or poisons the channel on behalf of the unreachable process behind
// it, whose failure would have (PoisonOnLinkLost; a process that ends normally retires its ends
// first, and a retired end is not poisoned).
func (h *home[T]) drop() {
	if h.policy == PoisonOnLinkLost {
		h.end().Poison()
		return
	}
	h.end().Retire()
}

func (h *home[T]) run() {
	defer h.l.n.wg.Done()
	defer h.l.endDone()
	defer h.stop()
	for {
		f, ok := h.next()
		if !ok {
			h.drop()
			return
		}
		if (f.typ == msgRead || f.typ == msgWrite) && f.flags&flagProbe != 0 {
			h.serveProbe(f)
			continue
		}
		switch f.typ {
		case msgRead:
			switch {
			case h.r == nil:
			case f.flags&flagTry != 0:
				h.serveTryRead(f)
			case f.flags&flagAlt != 0:
				h.serveAltRead(f)
			default:
				h.serveRead(f)
			}
		case msgWrite:
			switch {
			case h.w == nil:
			case f.flags&flagTry != 0:
				h.serveTryWrite(f)
			case f.flags&flagAlt != 0:
				h.serveAltWrite(f)
			default:
				h.serveWrite(f)
			}
		case msgRetire: // retired already (post)
			h.l.dropHome(h.id)
			h.l.send(msgDone, 0, h.id, 0, []byte{resRetired})
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
	h.mu.Lock()
	pre := h.preOp == f.op
	if pre {
		var zero T
		v, h.pre, h.preOp = h.pre, zero, 0
	}
	h.mu.Unlock()
	if !pre {
		if err := h.codec.Unmarshal(f.payload, &v); err != nil {
			h.done(f.op, fmt.Errorf("decoding the value: %w", err))
			return
		}
	}
	if h.useCredit() {
		h.writeReserved(f.op, v)
		return
	}
	err := h.w.WriteContext(ctx, v)
	if err != nil && (h.l.isLost() || h.cutShort(f.op, err)) {
		return
	}
	h.done(f.op, err)
}

// serveRead runs a remote Read: the value is offered with its writer held, and the writer
// completes only when the remote end has taken it (a plain read always takes).
func (h *home[T]) serveRead(f frame) {
	ctx := h.begin(f.op)
	defer h.finish()
	if !h.readOffer(ctx, f.op) && !h.l.isLost() && !h.cutShort(f.op, ctx.Err()) {
		h.done(f.op, ctx.Err()) // withdrawn before a value came
	}
}

// serveTryRead runs a remote selection's first look at an input guard (flagTry): a value that can
// be taken now is offered as to a plain read (the selection waits for it, and takes it); otherwise
// the answer is resNotReady. Remote output guards served here are not queued as writers until
// they see a reader, so while there are any the try waits in line for linger.
func (h *home[T]) serveTryRead(f frame) {
	ctx := h.begin(f.op)
	defer h.finish()
	wait := time.Duration(0)
	if h.exp.altWriters.Load() > 0 {
		wait = linger
	}
	tctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if !h.readOffer(tctx, f.op) && ctx.Err() == nil && !h.l.isLost() {
		h.done(f.op, errNotReady)
	}
}

// errNotReady is a try's answer when nothing could match now (resNotReady).
var errNotReady = errors.New("net: not ready")

// readOffer takes the next value held, offers it for op and settles its writer by the answer. It
// reports false, having told the remote end nothing, when ctx ended before a value came.
func (h *home[T]) readOffer(ctx context.Context, op uint64) bool {
	for {
		v, held, err := h.r.Transport(transport.Door()).ReadHeld(ctx)
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, csp.ErrPoisoned) && !errors.Is(err, csp.ErrRetired) {
				return false
			}
			if !h.l.isLost() {
				h.done(op, err)
			}
			return true
		}
		payload, err := h.codec.Marshal(v)
		if err != nil {
			held.Release()
			h.done(op, fmt.Errorf("encoding the value: %w", err))
			return true
		}
		if err := h.l.send(msgOffer, 0, h.id, op, payload); err != nil {
			held.Release() // not sent: certainly not delivered
			if !h.l.isLost() {
				h.done(op, err)
			}
			return true
		}
		a, lost := h.answer(op)
		taken, busy := a.typ == msgTaken, a.flags&flagBusy != 0
		switch {
		case lost:
			held.Fail(h.l.lostErr()) // the remote end may or may not have it: its writer must not succeed
			return true
		case taken:
			held.Commit()
			return true
		case !busy:
			held.Release()
			return true
		}
		// The remote selection is held by another channel's home: let it decide, then offer again.
		held.Release()
		select {
		case <-time.After(h.l.n.opts.pause()):
		case <-ctx.Done():
			if !h.l.isLost() && !h.cutShort(op, ctx.Err()) {
				h.done(op, ctx.Err())
			}
			return true
		}
	}
}

// holdResult is what asking a remote selection to hold for this home came to.
type holdResult int

const (
	holdHeld  holdResult = iota // the selection is held for this home: go on
	holdAgain                   // it was held by another home: asked again after a pause
	holdOver                    // it is over (refused, withdrawn), or the link is lost
)

// hold sends Hold for the remote selection of op and waits for its answer; a busy refusal waits
// a short random pause before the caller asks again.
func (h *home[T]) hold(ctx context.Context, op uint64) holdResult {
	if h.l.send(msgHold, 0, h.id, op, nil) != nil {
		return holdOver
	}
	a, lost := h.answer(op)
	switch {
	case lost:
		return holdOver
	case a.typ == msgRefused && a.flags&flagBusy == 0:
		return holdOver // the selection is over
	case a.typ == msgRefused:
		select {
		case <-time.After(h.l.n.opts.pause()):
			return holdAgain
		case <-ctx.Done():
			return holdOver
		}
	}
	return holdHeld
}

// serveAltRead runs an input guard of a parked remote selection. It never takes a value the
// selection may refuse: it waits in line until a value could be taken (ReadReady), holds the
// selection (msgHold → msgHeld), and only then takes the value (ReadHeld) and hands it over
// (msgOffer to a held guard, which fires with it: msgTaken), so a buffered value stays in the
// buffer, in its place, until a selection that cannot refuse it has it. If the value went to
// another reader meanwhile, the selection is released (msgRelease) once linger has passed.
func (h *home[T]) serveAltRead(f frame) {
	ctx := h.begin(f.op)
	defer h.finish()
	for {
		if err := h.r.Transport(transport.Door()).ReadReady(ctx); err != nil {
			return // withdrawn, or the link is lost
		}
		switch h.hold(ctx, f.op) {
		case holdOver:
			return
		case holdAgain:
			continue
		}
		rctx, cancel := context.WithTimeout(h.l.ctx, linger)
		v, held, err := h.r.Transport(transport.Door()).ReadHeld(rctx)
		cancel()
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			h.l.send(msgRelease, 0, h.id, f.op, nil)
			continue
		case err != nil && h.l.isLost():
			return // the opener's side ends the held selection with ErrLinkLost
		case err != nil:
			h.commit(f.op, err) // poisoned or retired: the guard fires with it
			return
		}
		payload, err := h.codec.Marshal(v)
		if err != nil {
			held.Release()
			h.commit(f.op, fmt.Errorf("encoding the value: %w", err))
			return
		}
		if err := h.l.send(msgOffer, 0, h.id, f.op, payload); err != nil {
			// Not sent (too large for a frame, or the link is going): certainly not delivered, so
			// the value goes back and its writer keeps waiting; the held selection ends with why
			// (or with the link), never left held.
			held.Release()
			if !h.l.isLost() {
				h.commit(f.op, err)
			}
			return
		}
		a, lost := h.answer(f.op)
		switch {
		case lost:
			held.Fail(h.l.lostErr()) // the remote end may or may not have it: its writer must not succeed
		case a.typ == msgTaken:
			held.Commit()
		default:
			held.Release() // it could not decode the value: its guard ended with that error
		}
		return
	}
}

// serveTryWrite runs a remote selection's first look at an output guard (flagTry): if a write
// could complete now (a reader waits here, locally or through a transport, or the buffer has
// room), the home writes, giving up after linger if the reader went elsewhere; the answer is the
// write's result, or resNotReady.
func (h *home[T]) serveTryWrite(f frame) {
	ctx := h.begin(f.op)
	defer h.finish()
	var v T
	if err := h.codec.Unmarshal(f.payload, &v); err != nil {
		h.done(f.op, fmt.Errorf("decoding the value: %w", err))
		return
	}
	err := errNotReady
	if ready, _ := h.w.Transport(transport.Door()).WriteReady(); ready {
		wctx, cancel := context.WithTimeout(ctx, linger)
		err = h.w.WriteContext(wctx, v)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			err = errNotReady
		}
	}
	if err != nil && (h.l.isLost() || h.cutShort(f.op, err)) {
		return
	}
	h.done(f.op, err)
}

// serveProbe answers a selection's probe (flagProbe): Done(op) if the end's operation could match
// now (for a read, also while remote output guards are coming: the try that follows waits for
// them), resNotReady if not. It changes nothing.
func (h *home[T]) serveProbe(f frame) {
	var ready bool
	if h.r != nil {
		ready = h.r.Transport(transport.Door()).ReadableNow() || h.exp.altWriters.Load() > 0
	} else {
		ready, _ = h.w.Transport(transport.Door()).WriteReady()
	}
	var err error
	if !ready {
		err = errNotReady
	}
	h.done(f.op, err)
}

// commit tells the remote end how its held operation op ended.
func (h *home[T]) commit(op uint64, err error) {
	res, text := resultOf(err)
	h.l.send(msgCommit, 0, h.id, op, append([]byte{res}, text...))
}

// answer waits for the remote end's answer (msgTaken, msgRefused, msgHeld) about op, skipping
// stale answers to questions about earlier operations. The peer answers at once (on its link's
// reader), so one that has not answered within the heartbeat bound (and, on a link that runs on a
// session, the reconnection window, over which its answer may be resent; a link without one cannot
// come back, so waiting out this node's window for it would only stall the channel longer), while
// it may be holding this channel's writer through the question, is broken or hostile: its link is
// dropped, as a silent one's would be, and the wait ends as for a lost link. Dropping the link first is what keeps exactly-once: no answer arrives
// after it, so a late msgTaken cannot complete a writer that has already failed.
func (h *home[T]) answer(op uint64) (a frame, lost bool) {
	select { // answered already: no timer
	case f := <-h.answers:
		if f.op == op {
			return f, false
		}
	default:
	}
	bound := h.l.n.opts.deadAfter
	if _, resumable := h.l.c.(*session); resumable {
		bound += h.l.n.opts.window
	}
	if h.timer == nil {
		h.timer = time.NewTimer(bound)
	} else {
		h.timer.Reset(bound)
	}
	defer func() {
		if !h.timer.Stop() { // Go 1.23 timers need no drain; one built with asynctimerchan=1 would
			select {
			case <-h.timer.C:
			default:
			}
		}
	}()
	for {
		select {
		case f := <-h.answers:
			if f.op == op {
				return f, false
			}
		case <-h.l.ctx.Done():
			return h.queued(op)
		case <-h.timer.C:
			err := fmt.Errorf("end %d: no answer to operation %d of channel %q within %v", h.id, op, h.exp.name, bound)
			h.l.n.opts.log.Warn("protocol violation", zap.String("peer", h.l.peer),
				zap.String("remote", h.l.c.RemoteAddr().String()), zap.Error(err))
			h.l.fail(err)
			return h.queued(op) // an answer the reader queued before the link went still counts
		}
	}
}

// queued looks, once the link is lost, for an answer about op that the reader queued before it
// went: that is still the answer, and without looking, a value the remote end had taken would
// make its writer fail.
func (h *home[T]) queued(op uint64) (a frame, lost bool) {
	for {
		select {
		case f := <-h.answers:
			if f.op == op {
				return f, false
			}
		default:
			return frame{}, true
		}
	}
}

// busyPause is how long a home waits before offering again to a selection that another home holds:
// a random pause, so that two homes offering to two selections that hold each other's guards do not
// retry in step for ever.
func busyPause() time.Duration { return time.Duration(20+rand.IntN(200)) * time.Microsecond }

// linger is how long a held output guard waits for a reader that was there when it was held: if
// the reader went elsewhere meanwhile, the guard is released rather than held while nobody reads.
const linger = 2 * time.Millisecond

// serveAltWrite runs an output guard of a remote selection. When a write could complete here (a
// reader waits, or buffer room), the home holds the remote selection (msgHold → msgHeld), writes
// with it held, and commits it (msgCommit) once a reader has the value, or releases it
// (msgRelease) if no reader took it within linger, and waits for the next chance.
func (h *home[T]) serveAltWrite(f frame) {
	ctx := h.begin(f.op)
	defer h.finish()
	h.exp.altWriters.Add(1)
	defer h.exp.altWriters.Add(-1)
	var v T
	if err := h.codec.Unmarshal(f.payload, &v); err != nil {
		h.done(f.op, fmt.Errorf("decoding the value: %w", err))
		return
	}
	for {
		ready, watch := h.w.Transport(transport.Door()).WriteReady()
		if !ready {
			select {
			case <-watch:
				continue
			case <-ctx.Done(): // withdrawn, or the link is lost
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		switch h.hold(ctx, f.op) {
		case holdOver:
			return
		case holdAgain:
			continue
		}
		wctx, cancel := context.WithTimeout(h.l.ctx, linger)
		err := h.w.WriteContext(wctx, v)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			h.l.send(msgRelease, 0, h.id, f.op, nil)
			continue
		}
		if err != nil && h.l.isLost() {
			return // the opener's side ends the held selection with ErrLinkLost
		}
		res, text := resultOf(err)
		h.l.send(msgCommit, 0, h.id, f.op, append([]byte{res}, text...))
		return
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
	case err == errNotReady:
		return resNotReady, ""
	case errors.Is(err, ErrLinkLost):
		// A value in flight to a reader whose link was lost: the writer's operation depended on
		// that link, so it fails as one that did, with ErrLinkLost.
		return resLinkLost, err.Error()
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
	case resNotReady:
		return errNotReady
	case resLinkLost:
		return fmt.Errorf("%w at the channel's home: %s", ErrLinkLost, p[1:])
	}
	return fmt.Errorf("at the channel's home: %s", p[1:])
}
