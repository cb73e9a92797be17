package net

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	gonet "net"
	"os"
	"sync"
	"time"
)

// memNet is an in-memory network for the simulation: listeners and connections with no sockets, a
// seeded delay on every write, and a seeded cut. Every Write on any connection is one step of the
// protocol (the link writer sends one batch of frames per Write); at step cutAt the writing
// connection delivers a seeded prefix of that batch (a torn frame, maybe) and is then cut in both
// directions, so a seed names the protocol point where a link dies.
type memNet struct {
	mu        sync.Mutex
	rng       *rand.Rand
	maxDelay  time.Duration
	listeners map[string]*memListener
	nextPort  int
	steps     int
	cutAt     int // 0: never
	cut       bool
	// driven: writes wait in pending until the simulation's driver delivers them, one at a time,
	// in an order it draws (see simdet_test.go); otherwise each write is delivered as it is made.
	driven  bool
	pending []delivery
	conns   int
	trace   hash.Hash64 // the order of a driven network's deliveries
	// heal says what the cut is to nodes with a reconnection window (which the scenario gives
	// them unless it is cutForever): cutHeals lets the redial through, cutForGood refuses it.
	heal cutKind
}

// cutKind: what the simulation's cut is.
type cutKind int

const (
	cutForever cutKind = iota // no reconnection window: the cut link is lost at once
	cutHeals                  // a window, and the redial is let through: the link resumes
	cutForGood                // a window, and every dial after the cut is refused: lost after it
)

// frames splits a write into the frames it holds, so that a driven network delivers (and orders,
// and cuts) frames, not the batches a link writer happened to gather; a write that is not a whole
// number of frames (a hello, a part of a large batch) is one unit.
func frames(b []byte) [][]byte {
	var us [][]byte
	for o := 0; o < len(b); {
		if len(b)-o < headerLen {
			return [][]byte{b}
		}
		n := 4 + int(binary.BigEndian.Uint32(b[o:]))
		if n < headerLen || n > len(b)-o {
			return [][]byte{b}
		}
		us = append(us, b[o:o+n])
		o += n
	}
	return us
}

// delivery is one write waiting in a driven network.
type delivery struct {
	c *memConn
	b []byte
}

func newMemNet(seed uint64, cutAt int, maxDelay time.Duration) *memNet {
	return &memNet{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), cutAt: cutAt,
		maxDelay: maxDelay, listeners: map[string]*memListener{}}
}

func (m *memNet) listen() *memListener {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextPort++
	l := &memListener{m: m, addr: memAddr(fmt.Sprintf("mem:%d", m.nextPort)), conns: make(chan gonet.Conn, 16),
		done: make(chan struct{})}
	m.listeners[string(l.addr)] = l
	return l
}

func (m *memNet) dial(ctx context.Context, addr string) (gonet.Conn, error) {
	m.mu.Lock()
	l := m.listeners[addr]
	refuse := m.heal == cutForGood && m.cut
	m.mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("memnet: no listener at %s", addr)
	}
	if refuse {
		return nil, errors.New("memnet: refused after the cut")
	}
	a2b, b2a := newHalf(), newHalf()
	m.mu.Lock()
	m.conns++
	id := m.conns
	m.mu.Unlock()
	client := &memConn{m: m, id: 2 * id, in: b2a, out: a2b, local: "client", remote: l.addr}
	server := &memConn{m: m, id: 2*id + 1, in: a2b, out: b2a, local: l.addr, remote: "client"}
	client.peer, server.peer = server, client
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, errors.New("memnet: listener closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// step draws the delay for one write and says whether this write is the cut, and how much of it
// goes through first.
func (m *memNet) step(n int) (delay time.Duration, cut bool, keep int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.steps++
	if m.maxDelay > 0 {
		delay = time.Duration(m.rng.Int64N(int64(m.maxDelay)))
	}
	if !m.cut && m.steps == m.cutAt {
		m.cut = true
		return delay, true, m.rng.IntN(n + 1)
	}
	return delay, false, n
}

// wasCut reports whether the cut has happened yet.
func (m *memNet) wasCut() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cut
}

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

type memListener struct {
	m     *memNet
	addr  memAddr
	conns chan gonet.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *memListener) Accept() (gonet.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, gonet.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *memListener) Addr() gonet.Addr { return l.addr }

// half is one direction of a connection: an unbounded byte queue.
type half struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool
}

func newHalf() *half {
	h := &half{}
	h.cond = sync.NewCond(&h.mu)
	return h
}

func (h *half) close() {
	h.mu.Lock()
	h.closed = true
	h.cond.Broadcast()
	h.mu.Unlock()
}

func (h *half) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// put appends b to the half, unless it is closed.
func (h *half) put(b []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.buf = append(h.buf, b...)
		h.cond.Broadcast()
	}
}

type memConn struct {
	m             *memNet
	id            int // in dialling order: a driven network's trace names connections by it
	in, out       *half
	peer          *memConn
	local, remote memAddr
}

func (c *memConn) Read(b []byte) (int, error) {
	h := c.in
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.buf) == 0 && !h.closed {
		h.cond.Wait()
	}
	if len(h.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(b, h.buf)
	h.buf = h.buf[n:]
	return n, nil
}

func (c *memConn) Write(b []byte) (int, error) {
	if m := c.m; m.driven {
		m.mu.Lock()
		defer m.mu.Unlock()
		if c.out.isClosed() {
			return 0, gonet.ErrClosed
		}
		for _, u := range frames(b) {
			m.pending = append(m.pending, delivery{c, append([]byte(nil), u...)})
		}
		return len(b), nil
	}
	delay, cut, keep := c.m.step(len(b))
	if delay > 0 {
		time.Sleep(delay)
	}
	h := c.out
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return 0, gonet.ErrClosed
	}
	h.buf = append(h.buf, b[:keep]...)
	h.cond.Broadcast()
	h.mu.Unlock()
	if cut {
		c.Close()
		return keep, os.ErrDeadlineExceeded
	}
	return len(b), nil
}

func (c *memConn) Close() error {
	c.in.close()
	c.out.close()
	return nil
}

func (c *memConn) LocalAddr() gonet.Addr            { return c.local }
func (c *memConn) RemoteAddr() gonet.Addr           { return c.remote }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
