package net

import (
	"context"
	"errors"
	gonet "net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faults is a dialer whose connections a test can cut (both directions closed) or freeze (the
// peer goes silent: nothing more is delivered either way, as with a hung host). A node with a
// reconnection window dials again after a cut or a freeze, and faults lets the redial through (a
// blip that heals) unless the test made the loss for good (lose, silence), as a peer that died
// would.
type faults struct {
	mu     sync.Mutex
	conns  []*faultConn
	refuse atomic.Bool // every dial fails: the peer is gone for good
}

type faultConn struct {
	gonet.Conn
	frozen atomic.Bool
	thaw   chan struct{}
}

func (f *faults) dial(ctx context.Context, addr string) (gonet.Conn, error) {
	if f.refuse.Load() {
		return nil, errors.New("faults: the peer is gone for good")
	}
	var d gonet.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	fc := &faultConn{Conn: c, thaw: make(chan struct{})}
	f.mu.Lock()
	f.conns = append(f.conns, fc)
	f.mu.Unlock()
	return fc, nil
}

func (c *faultConn) Write(b []byte) (int, error) {
	if c.frozen.Load() {
		return len(b), nil // swallowed
	}
	return c.Conn.Write(b)
}

func (c *faultConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	for c.frozen.Load() && err == nil {
		n, err = c.Conn.Read(b) // swallowed
	}
	return n, err
}

// faultyPair makes a home node and a user node that dials it through f, both with opts, both
// closed when the test ends.
func faultyPair(t testing.TB, f *faults, opts ...Option) (home, user *Node) {
	t.Helper()
	home = nodes(t, 1, opts...)[0]
	user = nodes(t, 1, append(opts[:len(opts):len(opts)], WithDialer(f.dial))...)[0]
	return home, user
}

// cut closes every connection dialled so far.
func (f *faults) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Conn.Close()
	}
}

// freeze silences every connection dialled so far.
func (f *faults) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.frozen.Store(true)
	}
}

// lose cuts every connection dialled so far and refuses every later dial: the link is lost at once
// without a reconnection window, and once the window passes with one.
func (f *faults) lose() {
	f.refuse.Store(true)
	f.cut()
}

// silence freezes every connection dialled so far and refuses every later dial: the link is lost
// after the heartbeat bound without a reconnection window, and after the bound and the window with
// one.
func (f *faults) silence() {
	f.refuse.Store(true)
	f.freeze()
}

// A loss says how the nodes of a test that needs a link lost for good are configured: without a
// reconnection window (a failed connection is the loss), or with a short one whose redials are all
// refused (faults.lose, faults.silence), so that both paths to a lost link are tested and neither
// waits out the default window.
type loss struct {
	name   string
	window Option
}

// losses are the two ways a link is lost for good. shortWindow is long enough for a redial to be
// tried and refused, short enough to keep the tests quick.
var losses = []loss{{"no-window", WithReconnectWindow(0)}, {"window", WithReconnectWindow(shortWindow)}}

const shortWindow = 10 * time.Millisecond

// fastBeat makes link loss quick to detect in tests.
var fastBeat = WithHeartbeat(20*time.Millisecond, 150*time.Millisecond)
