package net

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	gonet "net"
	"sync"
	"time"

	"go.uber.org/zap"
)

// WithReconnectWindow lets a link whose connection fails (an I/O error, or heartbeat silence)
// come back within d instead of being lost: its ends wait and their frames are kept meanwhile, the
// node that dialled the link dials again, through the whole handshake, and both resume exactly
// where the other stopped receiving, so that nothing is lost or delivered twice and no operation
// fails. Only a link not back within d is lost (ErrLinkLost, then the export's OnLinkLost). Both
// nodes must have a window above zero for their links to resume; where one has none, they link as
// without (a node of before windows, which says nothing of one, included).
//
// The default is 5s: more than three heartbeat bounds (1.5s by default), so that a connection
// found silent has time to be dialled again; it rides out a process paused for a few seconds (a
// long collection, a debugger, a container frozen or moved), a NAT rebinding and a proxy or load
// balancer restart. What it costs: a peer that died has its ends released after the window (and
// the heartbeat bound, if it went silent rather than closing its connection): about 6.5s instead
// of 2s; a suspended link keeps what it sent and was not acknowledged (at most twice the queue
// bound, 16 MiB by default) for that long; and a link on a session does more work for each write
// (it keeps it until acknowledged: see BenchmarkWindowCost). WithReconnectWindow(0) turns it off:
// a failed connection is a lost link at once, as before windows. Node.Close does not wait out a
// window: a suspended link of a closing node is dropped at once.
func WithReconnectWindow(d time.Duration) Option { return func(o *options) { o.window = d } }

// defaultWindow is a node's reconnection window unless WithReconnectWindow says otherwise (why 5s:
// WithReconnectWindow).
const defaultWindow = 5 * time.Second

// A link between two nodes with a reconnection window runs on a session: a byte stream (the
// link's frames) over one connection after another, each after the full handshake. On each
// connection, after the hellos (both with helloResume), the dialler sends
//
//	1   flags (sessResume: attach to the suspended session id; otherwise a new one)
//	16  session id, random
//	8   the bytes of the stream it has received so far
//
// and the acceptor answers with one status byte (1: attached or new; 0: no such session from
// this peer) and the bytes it has received. Each side then drops what the other has received from
// its resend buffer and sends the rest, starting exactly at the other's count. On the connection
// the stream goes in chunks:
//
//	sessData  4-byte length, then that many bytes of the stream
//	sessAck   8 bytes: the bytes of the stream received so far (whole chunks only)
//	sessFin   the sender closed the session: nothing follows
//
// Acks go with the next chunk once anything new arrived (the link's heartbeats make that at least
// once a heartbeat period), and at once every ackEvery bytes.
const (
	sessResume uint8 = 1

	sessData uint8 = 1
	sessAck  uint8 = 2
	sessFin  uint8 = 3

	sessHelloLen = 1 + 16 + 8
	sessReplyLen = 1 + 8
	maxChunk     = 256 << 10
	ackEvery     = 64 << 10
)

// helloResume: the sender has a reconnection window, and its links run on sessions.
const helloResume uint16 = 1 << 1

var (
	errSessionUnknown = errors.New("the peer has no suspended session of this id from this node")
	errSessionProto   = errors.New("session protocol violation")
)

// session is the gonet.Conn a resumable link runs on. Its deadlines are no-ops: it watches its
// connection's silence itself, and its Read and Write fail only once the session is over.
type session struct {
	n       *Node
	id      [16]byte
	peer    string
	dialled bool
	host    string
	local   gonet.Addr
	remote  gonet.Addr
	stopN   func() bool // stops the node-closing watch

	mu       sync.Mutex
	cond     sync.Cond
	c        gonet.Conn // the current connection; nil while suspended
	gen      uint64     // bumped by every suspension and attachment: a stale loop's word is ignored
	done     chan struct{}
	wk       chan struct{}
	err      error     // the session is over: Read and Write return this
	closing  bool      // Close: the writer sends what is left, then sessFin
	writing  bool      // a goroutine is in push, writing on c: the others leave their bytes to it
	wset     time.Time // when c's write deadline was last moved
	nodeDone bool      // the node is closing: no suspension
	timer    *time.Timer
	out      []byte // the stream's bytes [outBase, outBase+len(out)) not yet acknowledged
	outBase  uint64
	wpos     uint64              // the stream's bytes written on the current connection
	wlen     uint64              // the bytes past wpos that push is writing now (s.mu let go)
	hdr      [1 + 8 + 1 + 4]byte // push's chunk header: ack, then data or fin
	bufs     [2][]byte           // push's header and data, for one writev
	in       []byte              // received, not yet read
	recv     uint64              // the stream's bytes received
	acked    uint64              // recv as last acknowledged

	// rmu is held by Read, which reads the connection itself (the link's reader goroutine, so
	// that a frame reaches the link without a hand-off from another goroutine); rd is its state.
	rmu sync.Mutex
	rd  sessionReader
}

func newSession(n *Node, id [16]byte, peer string, dialled bool, host string, c gonet.Conn) *session {
	s := &session{n: n, id: id, peer: peer, dialled: dialled, host: host, local: c.LocalAddr(),
		remote: c.RemoteAddr(), done: make(chan struct{}), wk: make(chan struct{}, 1)}
	s.cond.L = &s.mu
	// Under s.mu: on a node already closing, AfterFunc runs nodeClosing at once on a goroutine of
	// its own, whose terminal → release reads stopN.
	s.mu.Lock()
	s.stopN = context.AfterFunc(n.closing, s.nodeClosing)
	s.mu.Unlock()
	return s
}

// start runs the session's writer loop on c (its first connection, or the one just attached);
// Read reads c.
func (s *session) start(g uint64, done, wk chan struct{}) {
	s.n.wg.Add(1)
	go s.writeLoop(g, done, wk)
}

// Read returns what the peer sent next, reading the current connection on the caller's goroutine
// (the link's reader) when nothing is left over from the last chunk: no goroutine in between, so
// a frame costs the link no hand-off. While the session is suspended it waits for the next
// connection; it fails only once the session is over.
func (s *session) Read(b []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.mu.Lock()
	for {
		if len(s.in) > 0 {
			n := copy(b, s.in)
			s.in = s.in[n:]
			if len(s.in) == 0 {
				s.in = nil
			}
			s.mu.Unlock()
			return n, nil
		}
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return 0, err
		}
		if s.c == nil {
			s.cond.Wait() // suspended: attach brings the next connection
			continue
		}
		c, g := s.c, s.gen
		s.mu.Unlock()
		if s.rd.c != c || s.rd.g != g {
			s.rd = sessionReader{c: c, g: g, br: bufio.NewReaderSize(c, 64<<10), buf: s.rd.buf}
		}
		s.readChunk()
		s.mu.Lock()
	}
}

// Write appends b to the stream and, unless the session is suspended, writes it on the caller's
// goroutine (the link's writer): no hand-off to another goroutine per write. It fails only once
// the session is over; a connection that fails meanwhile suspends the session, and b goes again on
// the next.
func (s *session) Write(b []byte) (int, error) {
	s.mu.Lock()
	if s.err != nil {
		defer s.mu.Unlock()
		return 0, s.err
	}
	if q := 2 * s.n.opts.maxQueued(); len(s.out)+len(b) > q {
		err := fmt.Errorf("more than %d bytes sent and not acknowledged", q)
		s.terminal(err)
		s.mu.Unlock()
		return 0, err
	}
	s.out = append(s.out, b...)
	s.push()
	return len(b), nil
}

func kickc(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Close ends the session: the writer sends what is left and sessFin (within a heartbeat period),
// so that the peer's link ends at once instead of waiting for the connection to come back.
func (s *session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil
	}
	s.err = gonet.ErrClosed
	s.closing = true
	s.cond.Broadcast()
	s.release()
	if s.c == nil {
		close(s.done)
		return nil
	}
	s.c.SetWriteDeadline(time.Now().Add(s.n.opts.beat))
	kickc(s.wk)
	return nil
}

func (s *session) LocalAddr() gonet.Addr            { return s.local }
func (s *session) RemoteAddr() gonet.Addr           { return s.remote }
func (s *session) SetDeadline(time.Time) error      { return nil }
func (s *session) SetReadDeadline(time.Time) error  { return nil }
func (s *session) SetWriteDeadline(time.Time) error { return nil }

// release stops what waits for the session (s.mu held, the session over).
func (s *session) release() {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.stopN()
	if !s.dialled {
		s.n.mu.Lock()
		if s.n.sessions[s.id] == s {
			delete(s.n.sessions, s.id)
		}
		s.n.mu.Unlock()
	}
}

// terminal ends the session with err, dropping its connection (s.mu held).
func (s *session) terminal(err error) {
	if s.err != nil {
		return
	}
	s.err = err
	s.cond.Broadcast()
	s.release()
	close(s.done)
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
}

func (s *session) fail(err error) {
	s.mu.Lock()
	s.terminal(err)
	s.mu.Unlock()
}

func (s *session) nodeClosing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodeDone = true
	if s.c == nil {
		s.terminal(fmt.Errorf("node %s is closing", s.n.addr))
	}
}

// suspend drops connection generation g after err, and waits for the next one within the window
// (the dialler dials it).
func (s *session) suspend(g uint64, err error) {
	s.mu.Lock()
	old := s.suspendLocked(g, err)
	s.mu.Unlock()
	if old != nil {
		old.Close()
		s.n.opts.log.Info("link suspended", zap.String("self", s.n.addr), zap.String("peer", s.peer), zap.Error(err))
	}
}

// suspendLocked is suspend with s.mu held: it returns the connection dropped, for the caller to
// close once it lets s.mu go, or nil if g was no longer current (or the session ended instead).
func (s *session) suspendLocked(g uint64, err error) gonet.Conn {
	if s.gen != g || s.err != nil || s.c == nil {
		return nil
	}
	if s.nodeDone {
		s.terminal(err)
		return nil
	}
	old := s.c
	s.c = nil
	s.gen++
	g = s.gen
	close(s.done)
	s.done = make(chan struct{})
	window := s.n.opts.window
	s.timer = time.AfterFunc(window, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gen == g && s.c == nil {
			s.terminal(fmt.Errorf("not back within the reconnection window of %v: %v", window, err))
		}
	})
	if s.dialled {
		s.n.wg.Add(1)
		go s.redial(g, time.Now().Add(window))
	}
	return old
}

// attach makes c the session's connection after the session hellos: peerRecv is what the peer has
// received; reply, if not nil, answers the peer (the acceptor's side) with this side's count,
// before anything else goes on c: under s.mu, before c is the session's, since the link's writer
// writes on the session's connection as soon as it is there (a 9-byte write on a fresh connection,
// within the handshake's deadline). If reply fails, the session is left as it was.
func (s *session) attach(c gonet.Conn, peerRecv uint64, reply func(recv uint64) error) error {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return s.err
	}
	if peerRecv < s.outBase || peerRecv > s.outBase+uint64(len(s.out)) {
		err := fmt.Errorf("%w: the peer has received %d bytes, and %d to %d can be sent", errSessionProto,
			peerRecv, s.outBase, s.outBase+uint64(len(s.out)))
		s.terminal(err)
		s.mu.Unlock()
		return err
	}
	if reply != nil {
		if err := reply(s.recv); err != nil {
			s.mu.Unlock()
			c.Close() // the peer dials again
			return err
		}
	}
	c.SetDeadline(time.Time{}) // before push sets its own
	old := s.c
	s.out = s.out[peerRecv-s.outBase:]
	s.outBase, s.wpos, s.wlen = peerRecv, peerRecv, 0 // a write on the old connection counts no more
	s.c = c
	s.gen++
	g := s.gen
	close(s.done)
	s.done, s.wk = make(chan struct{}), make(chan struct{}, 1)
	done, wk := s.done, s.wk
	if s.timer != nil {
		s.timer.Stop()
	}
	s.acked = s.recv
	s.wset = time.Time{}
	s.cond.Broadcast() // Read may wait for a connection
	s.mu.Unlock()
	if old != nil {
		old.Close() // the peer has given it up already
	}
	s.start(g, done, wk)
	kickc(wk)
	s.n.opts.log.Info("link resumed", zap.String("self", s.n.addr), zap.String("peer", s.peer), zap.Uint64("resent_from", peerRecv))
	return nil
}

// redial dials the peer again until the session is back or the deadline passes.
func (s *session) redial(g uint64, deadline time.Time) {
	defer s.n.wg.Done()
	ctx, cancel := context.WithDeadline(s.n.closing, deadline)
	defer cancel()
	stale := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.gen != g || s.err != nil
	}
	pause := 10 * time.Millisecond
	for ctx.Err() == nil && !stale() {
		err := s.resume(ctx)
		if err == nil {
			return
		}
		if errors.Is(err, errSessionUnknown) {
			s.fail(err)
			return
		}
		s.n.opts.log.Debug("redial failed", zap.String("peer", s.peer), zap.Error(err))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
		}
		pause = min(2*pause, s.n.opts.beat)
	}
}

func (s *session) resume(ctx context.Context) error {
	c, err := s.n.opts.dialer(ctx, s.peer)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	sc, _, flags, err := s.n.establish(c, true, s.host)
	if err != nil {
		c.Close()
		return err
	}
	if flags&helloResume == 0 {
		c.Close()
		return fmt.Errorf("%w: the peer no longer resumes links", errSessionUnknown)
	}
	s.mu.Lock()
	recv := s.recv
	s.mu.Unlock()
	peerRecv, err := sessionHello(sc, s.id, true, recv, s.n.opts.handshake)
	if err != nil {
		sc.Close()
		return err
	}
	if !stop() {
		sc.Close()
		return ctx.Err()
	}
	return s.attach(sc, peerRecv, nil)
}

// sessionHello is the dialler's side of the session hellos: it returns the acceptor's count.
func sessionHello(c gonet.Conn, id [16]byte, resume bool, recv uint64, timeout time.Duration) (uint64, error) {
	c.SetDeadline(time.Now().Add(timeout))
	var b [sessHelloLen]byte
	if resume {
		b[0] = sessResume
	}
	copy(b[1:], id[:])
	binary.BigEndian.PutUint64(b[17:], recv)
	if _, err := c.Write(b[:]); err != nil {
		return 0, err
	}
	var r [sessReplyLen]byte
	if _, err := io.ReadFull(c, r[:]); err != nil {
		return 0, err
	}
	if r[0] != 1 {
		return 0, errSessionUnknown
	}
	c.SetDeadline(time.Time{})
	return binary.BigEndian.Uint64(r[1:]), nil
}

// acceptSession is the acceptor's side of the session hellos on c from peer: a new session
// (returned, to adopt as a link's connection) or one resumed (nil, nil).
func (n *Node) acceptSession(c gonet.Conn, peer string) (*session, error) {
	c.SetDeadline(time.Now().Add(n.opts.handshake))
	var b [sessHelloLen]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return nil, fmt.Errorf("%w: session: %v", errHello, err)
	}
	var id [16]byte
	copy(id[:], b[1:])
	peerRecv := binary.BigEndian.Uint64(b[17:])
	reply := func(ok bool, recv uint64) error {
		var r [sessReplyLen]byte
		if ok {
			r[0] = 1
		}
		binary.BigEndian.PutUint64(r[1:], recv)
		_, err := c.Write(r[:])
		return err
	}
	if b[0]&sessResume == 0 {
		if peerRecv != 0 {
			return nil, fmt.Errorf("%w: a new session that has received %d bytes", errSessionProto, peerRecv)
		}
		s := newSession(n, id, peer, false, "", c)
		n.mu.Lock()
		_, dup := n.sessions[id]
		if !dup {
			n.sessions[id] = s
		}
		n.mu.Unlock()
		if dup {
			s.fail(errSessionProto)
			return nil, fmt.Errorf("%w: a new session with the id of another", errSessionProto)
		}
		if err := reply(true, 0); err != nil {
			s.fail(err)
			return nil, err
		}
		c.SetDeadline(time.Time{})
		return s, nil
	}
	n.mu.Lock()
	s := n.sessions[id]
	n.mu.Unlock()
	if s == nil || s.peer != peer {
		reply(false, 0)
		return nil, fmt.Errorf("%s: %w", peer, errSessionUnknown)
	}
	return nil, s.attach(c, peerRecv, func(recv uint64) error { return reply(true, recv) })
}

// newSessionID draws a session's id.
func newSessionID() [16]byte {
	var id [16]byte
	rand.Read(id[:])
	return id
}

// sessionReader is Read's state on one connection (generation g).
type sessionReader struct {
	c   gonet.Conn
	g   uint64
	br  *bufio.Reader
	set time.Time // when c's read deadline was last moved
	buf []byte
	hdr [8]byte
}

// readChunk reads one chunk from the current connection (s.rd) and acts on it: data is added to
// s.in, an ack drops what it acknowledges from the resend buffer. A connection that fails is
// suspended; a protocol violation or sessFin ends the session. Read's goroutine, without s.mu.
func (s *session) readChunk() {
	rd := &s.rd
	c, g, br := rd.c, rd.g, rd.br
	if now := time.Now(); now.Sub(rd.set) >= s.n.opts.beat {
		c.SetReadDeadline(now.Add(s.n.opts.deadAfter))
		rd.set = now
	}
	typ, err := br.ReadByte()
	if err != nil {
		s.suspend(g, err)
		return
	}
	switch typ {
	case sessData:
		if _, err := io.ReadFull(br, rd.hdr[:4]); err != nil {
			s.suspend(g, err)
			return
		}
		k := int(binary.BigEndian.Uint32(rd.hdr[:4]))
		if k == 0 || k > maxChunk {
			s.protocol(g, fmt.Errorf("%w: a chunk of %d bytes", errSessionProto, k))
			return
		}
		if cap(rd.buf) < k {
			rd.buf = make([]byte, k)
		}
		if _, err := io.ReadFull(br, rd.buf[:k]); err != nil {
			s.suspend(g, err)
			return
		}
		s.mu.Lock()
		if s.gen != g || s.err != nil {
			s.mu.Unlock()
			return
		}
		s.in = append(s.in, rd.buf[:k]...)
		s.recv += uint64(k)
		ack := s.recv-s.acked >= ackEvery
		wk := s.wk
		s.mu.Unlock()
		if ack {
			kickc(wk)
		}
	case sessAck:
		if _, err := io.ReadFull(br, rd.hdr[:]); err != nil {
			s.suspend(g, err)
			return
		}
		a := binary.BigEndian.Uint64(rd.hdr[:])
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gen != g || s.err != nil {
			return
		}
		// Against what is written or being written, not wpos alone: the peer may acknowledge a
		// write before it returned here. Bytes kept but never sent (a resend under way, a queue
		// behind a slow write) cannot have arrived: push would slice out from below outBase.
		if sent := s.wpos + s.wlen; a > sent {
			s.terminal(fmt.Errorf("%w: an ack of %d bytes, %d sent", errSessionProto, a, sent))
			return
		}
		if a > s.outBase {
			s.out = s.out[a-s.outBase:]
			s.outBase = a
			if len(s.out) == 0 {
				s.out = nil
			}
		}
	case sessFin:
		s.protocol(g, io.EOF)
	default:
		s.protocol(g, fmt.Errorf("%w: chunk type %d", errSessionProto, typ))
	}
}

// protocol ends the session after what connection generation g said (a violation, or sessFin).
func (s *session) protocol(g uint64, err error) {
	s.mu.Lock()
	if s.gen == g {
		s.terminal(err)
	}
	s.mu.Unlock()
}

// writeLoop writes for connection generation g what no Write carries: acks while the link sends
// nothing, the resend after an attachment, and sessFin after Close.
func (s *session) writeLoop(g uint64, done, wk chan struct{}) {
	defer s.n.wg.Done()
	for {
		select {
		case <-wk:
		case <-done:
			return
		}
		s.mu.Lock()
		if s.gen != g {
			s.mu.Unlock()
			return
		}
		s.push()
	}
}

// push writes on the current connection what is due: the stream from wpos, an ack, sessFin after
// Close (s.mu held; it lets it go). One goroutine writes at a time: one that finds another in push
// leaves its part to that one, which looks again under s.mu before it stops. A connection that
// fails is dropped (suspended) under the same lock, so that nothing more is written on it; one
// dropped while this wrote is no longer written on either, and what it carried goes again on the
// next from the peer's count.
func (s *session) push() {
	if s.writing {
		s.mu.Unlock()
		return
	}
	s.writing = true
	for {
		c, g := s.c, s.gen
		if c == nil || (s.err != nil && !s.closing) {
			break
		}
		d := s.out[s.wpos-s.outBase:]
		if len(d) > maxChunk {
			d = d[:maxChunk]
		}
		ack, sendAck := s.recv, s.recv != s.acked
		fin := s.closing && len(d) == 0
		if len(d) == 0 && !sendAck && !fin {
			break
		}
		hdr := s.hdr[:0]
		if sendAck {
			hdr = append(hdr, sessAck)
			hdr = binary.BigEndian.AppendUint64(hdr, ack)
		}
		if fin {
			hdr = append(hdr, sessFin)
		} else if len(d) > 0 {
			hdr = append(hdr, sessData)
			hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(d)))
		}
		if now := time.Now(); !s.closing && now.Sub(s.wset) >= s.n.opts.beat {
			c.SetWriteDeadline(now.Add(s.n.opts.deadAfter))
			s.wset = now
		}
		s.wlen = uint64(len(d))
		s.mu.Unlock()
		var err error
		if len(d) == 0 {
			_, err = c.Write(hdr)
		} else {
			s.bufs[0], s.bufs[1] = hdr, d
			bufs := gonet.Buffers(s.bufs[:])
			_, err = bufs.WriteTo(c)
			s.bufs = [2][]byte{} // keeps no acknowledged bytes alive
		}
		s.mu.Lock()
		s.wlen = 0
		if s.gen != g {
			continue
		}
		if s.closing && (fin || err != nil) {
			// Close's last word is sent, or the connection failed first: nothing more goes.
			s.closing = false
			s.c = nil
			close(s.done)
			s.writing = false
			s.mu.Unlock()
			c.Close()
			return
		}
		if err != nil {
			old := s.suspendLocked(g, err)
			s.writing = false
			s.mu.Unlock()
			if old != nil {
				old.Close()
				s.n.opts.log.Info("link suspended", zap.String("self", s.n.addr), zap.String("peer", s.peer), zap.Error(err))
			}
			return
		}
		s.wpos += uint64(len(d))
		if sendAck && ack > s.acked {
			s.acked = ack
		}
	}
	s.writing = false
	s.mu.Unlock()
}

// run starts the session on its first connection.
func (s *session) run(c gonet.Conn) {
	s.mu.Lock()
	if s.err != nil { // the node began closing first
		s.mu.Unlock()
		c.Close()
		return
	}
	s.c = c
	g, done, wk := s.gen, s.done, s.wk
	s.cond.Broadcast()
	s.mu.Unlock()
	s.start(g, done, wk)
}
