package net

import (
	"context"
	gonet "net"
	"sync"
	"sync/atomic"
	"time"
)

// faults is a dialer whose connections a test can cut (both directions closed) or freeze (the
// peer goes silent: nothing more is delivered either way, as with a hung host).
type faults struct {
	mu    sync.Mutex
	conns []*faultConn
}

type faultConn struct {
	gonet.Conn
	frozen atomic.Bool
	thaw   chan struct{}
}

func (f *faults) dial(ctx context.Context, addr string) (gonet.Conn, error) {
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

// fastBeat makes link loss quick to detect in tests.
var fastBeat = WithHeartbeat(20*time.Millisecond, 150*time.Millisecond)
