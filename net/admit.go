package net

import (
	"fmt"
	gonet "net"
	"sync"
	"sync/atomic"
)

// WithMaxHandshakes caps the connections still in their handshake (TLS, hellos, the shared-secret
// proof), apart from the linked peers that WithMaxPeers counts: at most total at once (128 by
// default), at most perSource from one IP address (64). A connection that has not sent a byte
// yet gives way to a newcomer when either cap is reached (the oldest such one is closed); only when
// every connection in the way is talking is the newcomer refused. So sockets that connect and say
// nothing, however many and however often redialled, hold no slot an honest peer needs: it speaks
// first, at once, and its handshake ends within a round trip or three, well inside the handshake
// deadline (5s) that bounds every handshake. Each handshake costs a goroutine and a few kilobytes
// (with TLS, some tens) until it ends.
func WithMaxHandshakes(total, perSource int) Option {
	return func(o *options) {
		if total < 1 || perSource < 1 {
			panic(fmt.Sprintf("net: WithMaxHandshakes(%d, %d)", total, perSource))
		}
		o.maxHandshakes, o.maxHandshakesFrom = total, perSource
	}
}

// handshakes are the connections a node accepted that are still in their handshake.
type handshakes struct {
	mu   sync.Mutex
	all  []*pending // oldest first
	from map[string]int
}

// pending is one connection in its handshake.
type pending struct {
	c      gonet.Conn
	src    string
	talked atomic.Bool // the peer has sent something
	gone   bool        // evicted or done (under handshakes.mu)
}

// talkConn marks its pending connection as talking once a read returns bytes.
type talkConn struct {
	gonet.Conn
	p *pending
}

func (c talkConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && !c.p.talked.Load() {
		c.p.talked.Store(true)
	}
	return n, err
}

// admit registers c as handshaking. If a cap is reached it evicts the oldest silent connection in
// the way (returned, for the caller to close); if none is silent, c is refused with the reason.
func (h *handshakes) admit(c gonet.Conn, total, perSource int) (p *pending, evicted gonet.Conn, refused error) {
	src := c.RemoteAddr().String()
	if host, _, err := gonet.SplitHostPort(src); err == nil {
		src = host
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.from == nil {
		h.from = map[string]int{}
	}
	var victim *pending
	switch {
	case h.from[src] >= perSource:
		if victim = h.oldestSilent(src); victim == nil {
			return nil, nil, fmt.Errorf("already %d handshakes in progress from %s (WithMaxHandshakes)", perSource, src)
		}
	case len(h.all) >= total:
		if victim = h.oldestSilent(""); victim == nil {
			return nil, nil, fmt.Errorf("already %d handshakes in progress (WithMaxHandshakes)", total)
		}
	}
	if victim != nil {
		h.remove(victim)
		evicted = victim.c
	}
	p = &pending{c: c, src: src}
	h.all = append(h.all, p)
	h.from[src]++
	return p, evicted, nil
}

// oldestSilent returns the oldest connection (from src, if not "") that has sent nothing yet.
func (h *handshakes) oldestSilent(src string) *pending {
	for _, p := range h.all {
		if !p.talked.Load() && (src == "" || p.src == src) {
			return p
		}
	}
	return nil
}

// done removes p, whose handshake ended (it may have been evicted already).
func (h *handshakes) done(p *pending) {
	h.mu.Lock()
	h.remove(p)
	h.mu.Unlock()
}

func (h *handshakes) remove(p *pending) {
	if p.gone {
		return
	}
	p.gone = true
	for i, q := range h.all {
		if q == p {
			h.all = append(h.all[:i], h.all[i+1:]...)
			break
		}
	}
	if h.from[p.src]--; h.from[p.src] <= 0 {
		delete(h.from, p.src)
	}
}
