package net

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	gonet "net"
	"runtime"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gocsp/gocsp/csp"
)

// link is one connection to a peer node, shared by every end between the two: the ends this node
// opened on the peer's channels (opened) and the ends the peer opened on this node's (homes).
//
// Its reader goroutine never blocks on a channel: it hands frames for home ends to their mailboxes
// and settles the opener's side with compare-and-swaps, because whatever it waited for might need a
// frame still behind it on this very link (an answer that releases a held selection, say).
type link struct {
	n       *Node
	c       gonet.Conn
	peer    string
	inbound bool // accepted, not dialled: counts against WithMaxPeers

	ctx    context.Context // done once the link is lost
	cancel context.CancelFunc
	// stop is done once the node closes (or the link is lost): the home ends serve no more
	// operations; those under way end, sending their results if decided (close).
	stop    context.Context
	stopOps context.CancelFunc

	wmu sync.Mutex
	wq  []byte // encoded frames waiting for the writer
	// overflow: wq would have grown past maxQueued, and the link is being failed
	overflow bool
	wkick    chan struct{}
	bye      bool // msgBye is queued: nothing follows it
	// closeErr, set before stop ends: what a send after msgBye returns.
	closeErr error

	mu      sync.Mutex
	lost    error
	homes   map[uint32]homeEnd
	opening int // msgOpen being served: with homes, at most WithMaxEnds
	opened  map[uint32]openedEnd
	nextID  uint32

	// drained: the frame being dispatched is the last the reader has buffered (only the reader
	// goroutine uses it).
	drained bool
}

// homeEnd is the home side of an end a peer opened here.
type homeEnd interface {
	post(f frame) error // queue a frame for the end (payload copied); an error breaks the protocol
	cancel(op uint64)   // withdraw op if it is current or next
	idle() bool         // no operation under way (its result, if any, is queued)
}

// openedEnd is this node's side of an end it opened on the peer.
type openedEnd interface {
	handle(f frame) // called on the reader goroutine; must not block
	report()        // the link is about to be lost: tell the end's monitors (traces)
	linkLost(err error)
}

func newLink(n *Node, c gonet.Conn, peer string) *link {
	ctx, cancel := context.WithCancel(context.Background())
	stop, stopOps := context.WithCancel(ctx)
	return &link{n: n, c: c, peer: peer, ctx: ctx, cancel: cancel, stop: stop, stopOps: stopOps,
		wkick: make(chan struct{}, 1), homes: map[uint32]homeEnd{}, opened: map[uint32]openedEnd{}}
}

func (l *link) isLost() bool { return l.ctx.Err() != nil }

// resumable says whether the link runs on a session (a reconnection window on both nodes), whose
// byte stream survives a blip: credited writes are offered only there (WithCredits).
func (l *link) resumable() bool {
	_, ok := l.c.(*session)
	return ok
}

// lostErr is the error operations that depended on the link return.
func (l *link) lostErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		return nil
	}
	return fmt.Errorf("%w: peer %s: %v", ErrLinkLost, l.peer, l.lost)
}

// send queues a frame; it never blocks. It fails once the link is lost.
func (l *link) send(typ, flags uint8, end uint32, op uint64, payload []byte) error {
	if headerLen+len(payload) > l.n.opts.maxFrame {
		return fmt.Errorf("net: a value of %d bytes exceeds the maximum frame of %d", len(payload), l.n.opts.maxFrame)
	}
	l.wmu.Lock()
	if l.ctx.Err() != nil {
		l.wmu.Unlock()
		return l.lostErr()
	}
	if l.bye {
		l.wmu.Unlock()
		return l.closeErr
	}
	if q := l.n.opts.maxQueued(); len(l.wq)+headerLen+len(payload) > q {
		// The peer does not read what it is sent (or not nearly as fast): drop it rather than
		// buffer for it. Not here: the caller may hold locks that failing takes; and not by the
		// writer, which may be blocked writing to this very peer.
		first := !l.overflow
		l.overflow = true
		l.wmu.Unlock()
		if first {
			l.n.opts.log.Warn("dropped a peer that does not read", zap.String("peer", l.peer),
				zap.String("remote", l.c.RemoteAddr().String()), zap.Int("queued", q))
			l.n.wg.Add(1)
			go func() {
				defer l.n.wg.Done()
				l.fail(errSlowPeer(q))
			}()
		}
		return fmt.Errorf("%w: peer %s: %v", ErrLinkLost, l.peer, errSlowPeer(q))
	}
	l.wq = appendFrame(l.wq, typ, flags, end, op, payload)
	l.wmu.Unlock()
	l.kick()
	return nil
}

func (l *link) kick() {
	select {
	case l.wkick <- struct{}{}:
	default:
	}
}

// maxQueued bounds the bytes a link queues for its peer beyond what its connection took: 8 frames
// of the largest size, at least 8 MiB. A peer that falls that far behind is not reading its
// replies (an open flood whose refusals it never reads, say), and its link is lost.
func (o *options) maxQueued() int { return max(8<<20, 8*o.maxFrame) }

func errSlowPeer(q int) error {
	return fmt.Errorf("the peer does not read what it is sent: more than %d bytes queued for it", q)
}

func (l *link) writeLoop() {
	defer l.n.wg.Done()
	t := time.NewTicker(l.n.opts.beat)
	defer t.Stop()
	var buf []byte
	var wset time.Time // when the write deadline was last moved
	last := time.Now()
	for {
		select {
		case <-l.wkick:
		case now := <-t.C:
			if now.Sub(last) < l.n.opts.beat {
				continue
			}
			l.wmu.Lock()
			if !l.bye {
				l.wq = appendFrame(l.wq, msgPing, 0, 0, 0, nil)
			}
			l.wmu.Unlock()
		case <-l.ctx.Done():
			return
		}
		// Let the goroutines this node just woke queue their frames too (the reply that follows a
		// delivered value, say), so that one write carries them all: syscalls are the cost here.
		runtime.Gosched()
		l.wmu.Lock()
		buf, l.wq = l.wq, buf[:0]
		l.wmu.Unlock()
		if len(buf) == 0 {
			continue
		}
		if now := time.Now(); now.Sub(wset) >= l.n.opts.beat {
			l.c.SetWriteDeadline(now.Add(l.n.opts.deadAfter))
			wset = now
		}
		if _, err := l.c.Write(buf); err != nil {
			l.fail(err)
			return
		}
		last = time.Now()
		if cap(buf) > keepWriteBuf {
			buf = nil // a burst of large values does not keep its buffer for the link's life
		}
	}
}

// keepWriteBuf bounds the write buffer a link keeps between writes: batches up to this size reuse
// it, a larger one is let go once written.
const keepWriteBuf = 256 << 10

func (l *link) readLoop() {
	defer l.n.wg.Done()
	br := bufio.NewReaderSize(l.c, 64<<10)
	var buf []byte
	var set time.Time
	for {
		// Moving the deadline costs a timer update: move it at most once a heartbeat period, so
		// a silent peer is still noticed within deadAfter+beat.
		if now := time.Now(); now.Sub(set) >= l.n.opts.beat {
			l.c.SetReadDeadline(now.Add(l.n.opts.deadAfter))
			set = now
		}
		var f frame
		var err error
		f, buf, err = readFrame(br, l.n.opts.maxFrame, buf)
		if err != nil {
			l.fail(err)
			return
		}
		if f.typ == msgBye {
			// Everything the peer owed came before this, and has been dispatched.
			l.fail(errPeerClosed)
			return
		}
		l.drained = br.Buffered() == 0
		if err := l.dispatch(f); err != nil {
			l.n.opts.log.Warn("protocol violation", zap.String("peer", l.peer), zap.String("remote", l.c.RemoteAddr().String()), zap.Error(err))
			l.fail(err)
			return
		}
	}
}

func (l *link) dispatch(f frame) error {
	switch f.typ {
	case msgPing:
		return nil
	case msgOpen:
		req, err := parseOpen(f.payload)
		if err != nil {
			return err
		}
		req.credit = f.flags&flagCredit != 0
		if err := l.reserveEnd(); err != nil {
			l.refuse(f.end, req, err)
			return nil
		}
		l.n.wg.Add(1)
		go l.open(f.end, req) // joining a channel takes its lock, which this goroutine must not wait for
		return nil
	case msgRead, msgWrite, msgTaken, msgRefused, msgPoison, msgRetire, msgCancel, msgHeld:
		l.mu.Lock()
		h := l.homes[f.end]
		l.mu.Unlock()
		if h == nil {
			return nil // an end retired or refused meanwhile
		}
		if f.typ == msgCancel {
			h.cancel(f.op)
			return nil
		}
		return h.post(f)
	default: // msgOpened, msgRefuse, msgOffer, msgDone, msgHold, msgCommit, msgRelease
		l.mu.Lock()
		o := l.opened[f.end]
		l.mu.Unlock()
		if o != nil {
			o.handle(f)
		}
		return nil
	}
}

// open serves a peer's msgOpen.
func (l *link) open(id uint32, req openReq) {
	defer l.n.wg.Done()
	started := false
	defer func() {
		if started {
			return // addHome moved it to homes; it gives its place back when its home ends (endDone)
		}
		l.mu.Lock()
		l.opening--
		l.mu.Unlock()
		l.n.ends.Add(-1)
	}()
	e := l.n.lookup(req.name)
	if e == nil {
		l.refuse(id, req, fmt.Errorf("%w: %q at %s", ErrNoChannel, req.name, l.n.addr))
		return
	}
	l.mu.Lock()
	if _, dup := l.homes[id]; dup || l.ctx.Err() != nil {
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	if err := e.open(l, id, req); err != nil {
		l.refuse(id, req, err)
		return
	}
	started = true
	l.send(msgOpened, 0, id, 0, nil)
}

// reserveEnd takes a place for an end the peer opens, within WithMaxEnds for the peer and
// WithMaxEndsTotal for the node, from the moment its open arrives, so that opens being served are
// capped with the ends; or says why not.
func (l *link) reserveEnd() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.homes)+l.opening >= l.n.opts.maxEnds {
		return fmt.Errorf("%s has %d ends open here already (WithMaxEnds)", l.peer, l.n.opts.maxEnds)
	}
	if l.n.ends.Add(1) > int64(l.n.opts.maxEndsTotal) {
		l.n.ends.Add(-1)
		return fmt.Errorf("the node has %d ends open already (WithMaxEndsTotal)", l.n.opts.maxEndsTotal)
	}
	l.opening++
	return nil
}

// endDone gives back the place of an end whose home has ended.
func (l *link) endDone() { l.n.ends.Add(-1) }

// refuse answers a peer's msgOpen with why not, and logs it.
func (l *link) refuse(id uint32, req openReq, err error) {
	l.n.opts.log.Warn("refused an end", zap.String("peer", l.peer), zap.String("remote", l.c.RemoteAddr().String()),
		zap.String("channel", req.name), zap.Stringer("dir", csp.Dir(req.dir)), zap.Error(err))
	l.send(msgRefuse, 0, id, 0, appendRefusal(nil, err))
}

// addHome registers a home end; false if the link is already lost (the end must not start).
func (l *link) addHome(id uint32, h homeEnd) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return false
	}
	l.homes[id] = h
	l.opening-- // the end moves from opening to homes at once, so that it never counts twice
	return true
}

func (l *link) dropHome(id uint32) {
	l.mu.Lock()
	delete(l.homes, id)
	l.mu.Unlock()
}

// addOpened registers an end this node opens and returns its id.
func (l *link) addOpened(o openedEnd) (uint32, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return 0, fmt.Errorf("%w: peer %s: %v", ErrLinkLost, l.peer, l.lost)
	}
	l.nextID++
	l.opened[l.nextID] = o
	return l.nextID, nil
}

func (l *link) dropOpened(id uint32) {
	l.mu.Lock()
	delete(l.opened, id)
	l.mu.Unlock()
}

// errPeerClosed is why a link ends when its peer closed its node (msgBye).
var errPeerClosed = errors.New("the peer closed")

// close ends the link for its node's Close, delivering first what this node owes the peer: it
// ends the home ends' operations (one already decided sends its result; one the closing cuts short
// sends none, and ends at the peer with the link), waits for them, and queues msgBye after
// everything queued so far; the peer, having dispatched all of it, drops the link, which ends it
// here. If ctx ends first, the link is dropped at once.
func (l *link) close(ctx context.Context) {
	l.wmu.Lock()
	l.closeErr = fmt.Errorf("%w: node %s is closing", ErrLinkLost, l.n.addr)
	l.wmu.Unlock()
	l.stopOps()
	for !l.idle() && ctx.Err() == nil && l.ctx.Err() == nil {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
		case <-l.ctx.Done():
		}
	}
	l.wmu.Lock()
	if l.ctx.Err() == nil && !l.bye {
		l.bye = true
		l.wq = appendFrame(l.wq, msgBye, 0, 0, 0, nil)
	}
	l.wmu.Unlock()
	select {
	case l.wkick <- struct{}{}:
	default:
	}
	select {
	case <-l.ctx.Done():
	case <-ctx.Done():
	}
	l.fail(errors.New("node closed"))
}

// closing returns closeErr: nil unless the node is closing.
func (l *link) closing() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.closeErr
}

// idle says whether no home end on the link has an operation under way.
func (l *link) idle() bool {
	// The homes are asked outside l.mu: a home asks for l.mu under its own lock (link.send on a
	// lost link), so home.mu comes first (locking.go).
	l.mu.Lock()
	homes := make([]homeEnd, 0, len(l.homes))
	for _, h := range l.homes {
		homes = append(homes, h)
	}
	l.mu.Unlock()
	for _, h := range homes {
		if !h.idle() {
			return false
		}
	}
	return true
}

// fail ends the link: every operation that depended on it returns ErrLinkLost.
func (l *link) fail(cause error) {
	l.mu.Lock()
	if l.lost != nil {
		l.mu.Unlock()
		return
	}
	l.lost = cause
	opened := make([]openedEnd, 0, len(l.opened))
	for _, o := range l.opened {
		opened = append(opened, o)
	}
	l.mu.Unlock()
	// Traces first, while the processes waiting on these ends still own them: once the link's
	// context ends they return, and end.
	for _, o := range opened {
		o.report()
	}
	l.wmu.Lock()
	l.cancel() // under wmu, so that no send queues a frame after it
	l.wmu.Unlock()
	l.c.Close()
	l.n.forget(l)
	l.n.opts.log.Info("link lost", zap.String("self", l.n.addr), zap.String("peer", l.peer), zap.Error(cause))
	err := l.lostErr()
	for _, o := range opened {
		o.linkLost(err)
	}
}

// msgRefuse's payload: one byte saying which sentinel the reason wraps (0 none, 1 ErrNoChannel,
// 2 ErrTypeMismatch), then the reason's text.
func appendRefusal(dst []byte, err error) []byte {
	code := byte(0)
	switch {
	case errors.Is(err, ErrNoChannel):
		code = 1
	case errors.Is(err, ErrTypeMismatch):
		code = 2
	}
	return append(append(dst, code), err.Error()...)
}

func refusal(p []byte) error {
	if len(p) == 0 {
		return errors.New("refused")
	}
	text := string(p[1:])
	switch p[0] {
	case 1:
		return &refused{ErrNoChannel, text}
	case 2:
		return &refused{ErrTypeMismatch, text}
	}
	return errors.New(text)
}

// refused is a home's reason for refusing an end: its text, and the sentinel it wraps.
type refused struct {
	kind error
	text string
}

func (e *refused) Error() string { return e.text }
func (e *refused) Unwrap() error { return e.kind }
