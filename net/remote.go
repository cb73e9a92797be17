package net

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/internal/transport"
)

// OpenReader opens a reader end of the channel exported at target ("host:port/name", or with
// WithNameServer a channel name alone, looked up there) and returns it
// as an ordinary *csp.Reader: a process may own it, read it, select on it and retire or poison it.
// The element type T and the codec must be the exported channel's; if not, the error (which
// errors.Is ErrTypeMismatch) names both.
func OpenReader[T any](ctx context.Context, n *Node, target string, opts ...EndOption) (*csp.Reader[T], error) {
	ch, err := openEnd[T](ctx, n, target, csp.DirRead, opts)
	if err != nil {
		return nil, err
	}
	return ch.Reader(), nil
}

// OpenWriter opens a writer end of the channel exported at target ("host:port/name"); see OpenReader.
// A Write on it, or an output guard (csp.Send) that fires, returns nil only once a reader (on any
// node) has the value, or the channel's buffer at its home has it.
func OpenWriter[T any](ctx context.Context, n *Node, target string, opts ...EndOption) (*csp.Writer[T], error) {
	ch, err := openEnd[T](ctx, n, target, csp.DirWrite, opts)
	if err != nil {
		return nil, err
	}
	return ch.Writer(), nil
}

func openEnd[T any](ctx context.Context, n *Node, target string, dir csp.Dir, opts []EndOption) (*csp.Chan[T], error) {
	if n == nil {
		panic(fmt.Sprintf("net: open %s end of %s on a nil *Node", dir, target))
	}
	if !strings.Contains(target, "/") && n.opts.names != "" {
		addr, err := n.Lookup(ctx, target)
		if err != nil {
			return nil, err
		}
		target = addr + "/" + target
	}
	addr, name, err := splitAddr(target)
	if err != nil {
		return nil, err
	}
	o := endOpts(opts)
	l, err := n.linkTo(ctx, addr)
	if err != nil {
		return nil, err
	}
	r := &remote[T]{dir: dir, l: l, codec: sessionOf(o.codec, reflect.TypeFor[T]()), target: target, opened: make(chan error, 1),
		posts: map[uint64]*post[T]{}, postID: map[transport.Op[T]]uint64{}}
	if r.id, err = l.addOpened(r); err != nil {
		return nil, err
	}
	req := openReq{dir: uint8(dir), name: name, typ: typeName(reflect.TypeFor[T]()), codec: o.codec.Name()}
	var flags uint8
	if o.credits && dir == csp.DirWrite && l.resumable() {
		flags = flagCredit
	}
	if err := l.send(msgOpen, flags, r.id, 0, req.append(nil)); err != nil {
		l.dropOpened(r.id)
		return nil, err
	}
	select {
	case err = <-r.opened:
	case <-ctx.Done():
		err = ctx.Err() // the end may open at the home: retire it there
		r.Retire()
	}
	if err != nil {
		l.dropOpened(r.id)
		return nil, wrapf(err, "net: open %s end of %s", dir, target)
	}
	ch := csp.NewChan[T](csp.Named(target))
	ch.Transport().SetExtern(r)
	r.mu.Lock()
	r.ch = ch
	r.mu.Unlock()
	return ch, nil
}

// reply is the home's answer to the current plain operation of a remote end.
type reply[T any] struct {
	v   T
	err error
	ok  bool // a value (a read) or a success (a write)
}

// post is a guard of a parked selection, posted to the home.
type post[T any] struct {
	op    transport.Op[T]
	write bool
	held  bool // the home holds it (an output guard between msgHeld and msgCommit or msgRelease)
}

// remote is the opener's side of a remote end: the transport.Extern of the channel the end belongs to.
type remote[T any] struct {
	ch     *csp.Chan[T] // the channel this end is of, once made
	dir    csp.Dir
	l      *link
	id     uint32
	codec  Codec
	target string
	opened chan error

	mu      sync.Mutex
	nextOp  uint64
	cur     uint64 // the plain Read or Write under way, 0 if none
	curc    chan reply[T]
	posts   map[uint64]*post[T] // guards of parked selections, by operation id
	postID  map[transport.Op[T]]uint64
	lost    error
	poison  bool // sent
	retired bool // sent

	// Credits (WithCredits): a Write sends at once, and returns, while sent < granted.
	granted  uint64        // slots the home reserved for this end, since it opened (msgCredit)
	sent     uint64        // credited writes, and plain ones that used a reserved slot
	received uint64        // credited writes the home said it had, at its last msgCredit
	stopped  bool          // the home grants no more (flagStop)
	granting chan struct{} // a grant came (one token; made once the end has had one)
}

// Locate says where the channel lives (the home node's address) and whether the link is lost, for
// graphs' topology and snapshots (transport.Locator).
func (r *remote[T]) Locate() (home string, lost bool) {
	addr, _, _ := splitAddr(r.target)
	return addr, r.l.isLost()
}

// handle is the link reader's entry for a frame to this end; it must not block. It hands the
// frame to its message's function. Those that concern an operation or a posted guard run under
// r.mu (they read the end's state, queue answers and fire guards, as net/locking.go allows); the
// open's answer and the retirement's confirmation run without it.
func (r *remote[T]) handle(f frame) {
	switch f.typ {
	case msgOpened, msgRefuse:
		r.onOpened(f)
		return
	case msgDone:
		if f.op == 0 {
			r.onRetired()
			return
		}
	case msgCredit:
		r.mu.Lock()
		r.onCredit(f)
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.op == r.cur && r.cur != 0 {
		r.onReply(f)
		return
	}
	p := r.posts[f.op]
	if p == nil {
		r.onStale(f)
		return
	}
	switch f.typ {
	case msgOffer:
		r.onOffer(f, p)
	case msgHold:
		r.onHold(f, p)
	case msgCommit:
		r.onCommit(f, p)
	case msgRelease:
		r.onRelease(p)
	case msgDone:
		r.onGuardDone(f, p)
	}
}

// onOpened takes the home's answer to msgOpen (msgOpened, or msgRefuse with the reason). Without
// r.mu.
func (r *remote[T]) onOpened(f frame) {
	var err error
	if f.typ == msgRefuse {
		err = refusal(f.payload)
	}
	// Only the first answer counts. The reader must not wait on a peer that answers twice
	// (nobody would take the second), or the whole link would stall.
	select {
	case r.opened <- err:
	default:
	}
}

// onCredit takes the home's grant: totals, so the larger one counts. Under r.mu.
func (r *remote[T]) onCredit(f frame) {
	m, err := parseCredit(f.payload)
	if err != nil {
		return
	}
	r.granted = max(r.granted, m.granted)
	r.received = max(r.received, m.received)
	if f.flags&flagStop != 0 {
		r.stopped = true
	}
}

// onRetired: the home confirms this end's retirement (msgDone for operation 0). Without r.mu.
func (r *remote[T]) onRetired() { r.l.dropOpened(r.id) }

// onReply answers the plain operation under way: an offered value (a read, taken or refused if
// it does not decode) or a result. Under r.mu.
func (r *remote[T]) onReply(f frame) {
	var rep reply[T]
	if f.typ == msgOffer {
		if err := r.codec.Unmarshal(f.payload, &rep.v); err != nil {
			r.l.send(msgRefused, 0, r.id, f.op, nil)
			rep.err = fmt.Errorf("net: decoding a value of %s: %w", r.target, err)
		} else {
			r.l.send(msgTaken, 0, r.id, f.op, nil)
			rep.ok = true
		}
	} else {
		rep.err = errorOf(f.payload, nil)
		rep.ok = rep.err == nil
		if f.typ == msgDone && f.flags&flagCredit != 0 {
			r.sent++ // the home wrote it into a slot it had granted this end
		}
	}
	r.cur = 0
	r.curc <- rep
}

// onStale answers a frame for an operation this end no longer has: an offer or a hold for a
// withdrawn guard is refused (its selection is over); anything else is dropped. Under r.mu.
func (r *remote[T]) onStale(f frame) {
	if f.typ == msgOffer || f.typ == msgHold {
		r.l.send(msgRefused, 0, r.id, f.op, nil)
	}
}

// onOffer: the home offers a value to posted input guard p. A held guard fires with it; an
// unheld one is claimed if its selection is still open. Under r.mu.
func (r *remote[T]) onOffer(f frame, p *post[T]) {
	var v T
	var err error
	if derr := r.codec.Unmarshal(f.payload, &v); derr != nil {
		err = fmt.Errorf("net: decoding a value of %s: %w", r.target, derr)
	}
	if p.held { // the home held the selection for this value: the guard fires with it
		r.forget(f.op, p)
		if err != nil {
			p.op.Commit(err)
			r.l.send(msgRefused, 0, r.id, f.op, nil)
			return
		}
		p.op.Deliver(v)
		r.l.send(msgTaken, 0, r.id, f.op, nil)
		return
	}
	ok, busy := p.op.Claim(v, err)
	switch {
	case ok:
		r.forget(f.op, p)
		if err == nil {
			r.l.send(msgTaken, 0, r.id, f.op, nil)
		} else {
			r.l.send(msgRefused, 0, r.id, f.op, nil)
		}
	case busy:
		r.l.send(msgRefused, flagBusy, r.id, f.op, nil)
	default:
		r.l.send(msgRefused, 0, r.id, f.op, nil)
	}
}

// onHold: the home asks to hold p's selection (answered Held, or Refused, busy or not). Under r.mu.
func (r *remote[T]) onHold(f frame, p *post[T]) {
	ok, busy := p.op.Hold()
	switch {
	case ok:
		p.held = true
		r.l.send(msgHeld, 0, r.id, f.op, nil)
	case busy:
		r.l.send(msgRefused, flagBusy, r.id, f.op, nil)
	default:
		r.l.send(msgRefused, 0, r.id, f.op, nil)
	}
}

// onCommit: a held guard fires, with the home's result. Under r.mu.
func (r *remote[T]) onCommit(f frame, p *post[T]) {
	if p.held {
		p.op.Commit(errorOf(f.payload, nil))
		r.forget(f.op, p)
	}
}

// onRelease: the home lets a held selection go on without this guard. Under r.mu.
func (r *remote[T]) onRelease(p *post[T]) {
	if p.held {
		p.held = false
		p.op.Release()
	}
}

// onGuardDone: the home ends a posted guard with a result; a failure other than a cancel fires
// it (the selection reports the error). Under r.mu.
func (r *remote[T]) onGuardDone(f frame, p *post[T]) {
	var zero T
	if err := errorOf(f.payload, context.Canceled); err != nil && !errors.Is(err, context.Canceled) && !p.held {
		if ok, _ := p.op.Claim(zero, err); ok {
			r.forget(f.op, p)
		}
	}
}

func (r *remote[T]) forget(id uint64, p *post[T]) {
	delete(r.posts, id)
	delete(r.postID, p.op)
}

// report records in the channel's traces that its link is lost; not under r.mu, since it takes
// the channel's lock.
func (r *remote[T]) report() {
	r.mu.Lock()
	ch := r.ch
	r.mu.Unlock()
	if ch != nil {
		ch.Transport().ReportLinkLost()
	}
}

func (r *remote[T]) linkLost(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lost = err
	var zero T
	for id, p := range r.posts {
		if p.held {
			p.op.Commit(err) // its value's fate is unknown: the guard fails
		} else {
			p.op.Claim(zero, err)
		}
		r.forget(id, p)
	}
	select {
	case r.opened <- err:
	default:
	}
}

// writeCredited sends a credited write if the end has a credit; done reports that it did, or that
// the end can no longer write (its link lost). An end out of credits writes the acknowledged way,
// in line with the channel's other writers, rather than wait for a grant: its home grants when the
// buffer has room, which a full buffer may not have for long, and the acknowledged write cannot be
// starved by writers that keep it full.
func (r *remote[T]) writeCredited(payload []byte) (done bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost != nil {
		return true, r.lostErr()
	}
	if r.sent >= r.granted || r.stopped {
		return false, nil
	}
	if r.cur != 0 {
		panic(fmt.Sprintf("net: two operations at once on one end of %s (an end is used by one process at a time)", r.target))
	}
	if err := r.l.send(msgWrite, flagCredit, r.id, r.sent+1, payload); err != nil {
		return true, err // not sent (too large, or the link is going): the credit is still there
	}
	r.sent++
	return true, nil
}

// lostErr is what an operation on the end returns once its link is lost: the link's error, and,
// for an end that wrote with credits, how many of the writes that returned nil the home had not
// yet confirmed, which may not have reached it. Under r.mu.
func (r *remote[T]) lostErr() error {
	if n := r.sent - r.received; n > 0 {
		return fmt.Errorf("%w (%d credited writes of %s were not yet confirmed by its home: they may not have reached it)", r.lost, n, r.target)
	}
	return r.lost
}

// begin starts a plain operation.
func (r *remote[T]) begin() (uint64, chan reply[T], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost != nil {
		return 0, nil, r.lostErr()
	}
	if r.cur != 0 {
		panic(fmt.Sprintf("net: two operations at once on one end of %s (an end is used by one process at a time)", r.target))
	}
	if r.curc == nil {
		r.curc = make(chan reply[T], 1)
	}
	r.nextOp++
	r.cur = r.nextOp
	return r.cur, r.curc, nil
}

// wait waits for the reply to plain operation op, withdrawing it if ctx ends first (a value the
// home delivered meanwhile is still taken).
func (r *remote[T]) wait(ctx context.Context, op uint64, c chan reply[T]) (reply[T], error) {
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	for {
		select {
		case rep := <-c:
			if errors.Is(rep.err, context.Canceled) && ctx != nil && ctx.Err() != nil {
				rep.err = ctx.Err()
			}
			return rep, rep.err
		case <-done:
			r.l.send(msgCancel, 0, r.id, op, nil)
			done = nil
		case <-r.l.ctx.Done():
			r.mu.Lock()
			if r.cur == op {
				r.cur = 0
			}
			r.mu.Unlock()
			select {
			case rep := <-c: // answered just before the link went
				return rep, rep.err
			default:
			}
			return reply[T]{}, r.l.lostErr()
		}
	}
}

// Read implements transport.Extern.
func (r *remote[T]) Read(ctx context.Context) (T, error) {
	var zero T
	op, c, err := r.begin()
	if err != nil {
		return zero, err
	}
	if err := r.l.send(msgRead, 0, r.id, op, nil); err != nil {
		r.abandon(op)
		return zero, err
	}
	rep, err := r.wait(ctx, op, c)
	return rep.v, err
}

// Write implements transport.Extern. With a credit (WithCredits) it sends the value and returns:
// the home has a slot reserved for it. Without, it waits for the home's answer.
func (r *remote[T]) Write(ctx context.Context, v T) error {
	payload, err := r.codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("net: encoding a value for %s: %w", r.target, err)
	}
	if done, err := r.writeCredited(payload); done {
		return err
	}
	op, c, err := r.begin()
	if err != nil {
		return err
	}
	if err := r.l.send(msgWrite, 0, r.id, op, payload); err != nil {
		r.abandon(op)
		return err
	}
	_, err = r.wait(ctx, op, c)
	return err
}

// TryRead implements transport.Extern: one round trip, in which the home offers a value it can take now
// (taken at once, as by a plain read) or answers resNotReady.
func (r *remote[T]) TryRead() (T, bool, error) {
	var zero T
	op, c, err := r.begin()
	if err != nil {
		return zero, true, err
	}
	if err := r.l.send(msgRead, flagTry, r.id, op, nil); err != nil {
		r.abandon(op)
		return zero, true, err
	}
	rep, err := r.wait(nil, op, c)
	if errors.Is(err, errNotReady) {
		return zero, false, nil
	}
	return rep.v, true, err
}

// TryWrite implements transport.Extern: one round trip, in which the home writes v if a write can
// complete now, or answers resNotReady.
func (r *remote[T]) TryWrite(v T) (bool, error) {
	payload, err := r.codec.Marshal(v)
	if err != nil {
		return true, fmt.Errorf("net: encoding a value for %s: %w", r.target, err)
	}
	op, c, err := r.begin()
	if err != nil {
		return true, err
	}
	if err := r.l.send(msgWrite, flagTry, r.id, op, payload); err != nil {
		r.abandon(op)
		return true, err
	}
	_, err = r.wait(nil, op, c)
	if errors.Is(err, errNotReady) {
		return false, nil
	}
	return true, err
}

// Probe implements transport.Extern: it sends the probe and returns a wait for the home's answer. An
// end that cannot ask (its link lost) says ready, so that the try that follows reports why.
func (r *remote[T]) Probe() func() bool {
	op, c, err := r.begin()
	if err != nil {
		return func() bool { return true }
	}
	typ := msgRead
	if r.dir == csp.DirWrite {
		typ = msgWrite
	}
	if err := r.l.send(typ, flagProbe, r.id, op, nil); err != nil {
		r.abandon(op)
		return func() bool { return true }
	}
	return func() bool {
		_, err := r.wait(nil, op, c)
		return !errors.Is(err, errNotReady)
	}
}

func (r *remote[T]) abandon(op uint64) {
	r.mu.Lock()
	if r.cur == op {
		r.cur = 0
	}
	r.mu.Unlock()
}

// Post implements transport.Extern.
func (r *remote[T]) Post(op transport.Op[T]) { r.post(op, false, nil) }

// PostWrite implements transport.Extern.
func (r *remote[T]) PostWrite(op transport.Op[T], v T) {
	payload, err := r.codec.Marshal(v)
	if err != nil {
		var zero T
		op.Claim(zero, fmt.Errorf("net: encoding a value for %s: %w", r.target, err))
		return
	}
	r.post(op, true, payload)
}

func (r *remote[T]) post(op transport.Op[T], write bool, payload []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost != nil {
		var zero T
		op.Claim(zero, r.lost)
		return
	}
	r.nextOp++
	r.posts[r.nextOp] = &post[T]{op: op, write: write}
	r.postID[op] = r.nextOp
	typ := msgRead
	if write {
		typ = msgWrite
	}
	if err := r.l.send(typ, flagAlt, r.id, r.nextOp, payload); err != nil {
		var zero T
		op.Claim(zero, err)
		r.forget(r.nextOp, r.posts[r.nextOp])
	}
}

// Withdraw implements transport.Extern.
func (r *remote[T]) Withdraw(op transport.Op[T]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.postID[op]; ok {
		r.forget(id, r.posts[id])
		r.l.send(msgCancel, 0, r.id, id, nil)
	}
}

// Poll implements transport.Extern.
func (r *remote[T]) Poll() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost
}

// Poison implements transport.Extern.
func (r *remote[T]) Poison(bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.poison && !r.retired {
		r.poison = true
		r.l.send(msgPoison, 0, r.id, 0, nil)
	}
}

// Retire implements transport.Extern.
func (r *remote[T]) Retire() {
	r.mu.Lock()
	if r.retired {
		r.mu.Unlock()
		return
	}
	r.retired = true
	r.mu.Unlock()
	// The end stays registered until the home confirms (msgDone for operation 0): until then the
	// home may still offer a value or ask to hold a guard, and must be answered.
	r.l.send(msgRetire, 0, r.id, 0, nil)
}
