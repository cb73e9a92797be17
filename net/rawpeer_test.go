package net

import (
	"bufio"
	"context"
	"errors"
	gonet "net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gocsp/gocsp/csp"
)

// rawPeer speaks the wire protocol by hand, to send what a well-behaved node never would.
type rawPeer struct {
	c  gonet.Conn
	br *bufio.Reader
}

// dialRawPeer connects to a node without TLS or secret and says it listens at claim.
func dialRawPeer(t *testing.T, addr, claim string) *rawPeer {
	t.Helper()
	c, err := gonet.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = handshake(c, appendHello(nil, claim, 0))
	require.NoError(t, err)
	return &rawPeer{c, bufio.NewReader(c)}
}

// acceptRawPeer takes one connection from ln and answers its hello as a node at ln's address.
func acceptRawPeer(t *testing.T, ln gonet.Listener) *rawPeer {
	t.Helper()
	c, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = handshake(c, appendHello(nil, ln.Addr().String(), 0))
	require.NoError(t, err)
	return &rawPeer{c, bufio.NewReader(c)}
}

func (p *rawPeer) send(t *testing.T, typ uint8, end uint32, op uint64, payload []byte) {
	t.Helper()
	_, err := p.c.Write(appendFrame(nil, typ, 0, end, op, payload))
	require.NoError(t, err)
}

// next returns the next frame that is not a heartbeat.
func (p *rawPeer) next(t *testing.T) frame {
	t.Helper()
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, _, err := readFrame(p.br, DefaultMaxFrame, nil)
		require.NoError(t, err)
		if f.typ != msgPing {
			return f
		}
	}
}

// logged says whether one of the entries, its message and fields together, contains every part.
func logged(entries []observer.LoggedEntry, parts ...string) bool {
	for _, e := range entries {
		text := e.Message
		for k, v := range e.ContextMap() {
			text += " " + k + "=" + toString(v)
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(text, p)
		}
		if all {
			return true
		}
	}
	return false
}

// A peer that opens ends beyond WithMaxEnds is refused each one past the cap, with a logged reason
// naming its address; the ends it has stay served, the node's goroutines stay bounded, and a good
// peer is unaffected.
func TestFloodOfOpensIsCapped(t *testing.T) {
	const limit, tries = 16, 200
	core, logs := observer.New(zap.InfoLevel)
	target := nodes(t, 1, WithMaxEnds(limit), WithLogger(zap.New(core)))[0]
	ch := csp.NewChan[int](csp.Named("c"))
	require.NoError(t, Export(target, "c", ch))
	good := nodes(t, 1)[0]
	gw, err := OpenWriter[int](ctxT(t), good, target.Addr()+"/c")
	require.NoError(t, err)
	r := ch.Reader()
	exchange(t, gw, r, 1)
	before := runtime.NumGoroutine()

	p := dialRawPeer(t, target.Addr(), "127.0.0.1:1")
	req := openReq{dir: uint8(csp.DirWrite), name: "c", typ: "int", codec: "cbor"}.append(nil)
	for id := uint32(1); id <= tries; id++ {
		p.send(t, msgOpen, id, 0, req)
	}
	opened, refused := 0, 0
	for opened+refused < tries {
		switch f := p.next(t); f.typ {
		case msgOpened:
			opened++
		case msgRefuse:
			refused++
			assert.Contains(t, refusal(f.payload).Error(), "WithMaxEnds")
		}
	}
	assert.Equal(t, limit, opened, "ends opened")
	assert.Equal(t, tries-limit, refused, "ends refused")
	// Its ends' homes and its link's reader and writer; the goroutines that served the opens end
	// just after answering. Counted here, not in Eventually, whose check runs in a goroutine of its own.
	bound := before + limit + 2
	for wait := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > bound && time.Now().Before(wait); {
		time.Sleep(5 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), bound, "goroutines with the peer's ends open (before: %d)", before)
	require.Eventually(t, func() bool { return logged(logs.All(), "refused an end", "WithMaxEnds", "127.0.0.1") },
		10*time.Second, 5*time.Millisecond, "no log line with the peer's address and the cap")
	exchange(t, gw, r, 2)

	// An end it has is still served: a write through it reaches the channel.
	payload, err := CBOR{}.Marshal(7)
	require.NoError(t, err)
	p.send(t, msgWrite, 1, 1, payload)
	v, err := r.Read()
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	f := p.next(t)
	assert.Equal(t, msgDone, f.typ)
	assert.NoError(t, errorOf(f.payload, nil))
}

// A home that answers an open twice (and then refuses it too) does not stall the link: the
// node's reader goes on, and the end's operations complete as the home says.
func TestDoubleAnswerToOpen(t *testing.T) {
	ln, err := gonet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	user := nodes(t, 1, fastBeat)[0]
	type result struct {
		r   *csp.Reader[int]
		err error
	}
	opened := make(chan result, 1)
	go func() {
		r, err := OpenReader[int](ctxT(t), user, ln.Addr().String()+"/c")
		opened <- result{r, err}
	}()
	home := acceptRawPeer(t, ln)
	f := home.next(t)
	require.Equal(t, msgOpen, f.typ)
	home.send(t, msgOpened, f.end, 0, nil)
	home.send(t, msgOpened, f.end, 0, nil)
	home.send(t, msgRefuse, f.end, 0, appendRefusal(nil, errors.New("changed my mind")))
	res := <-opened
	require.NoError(t, res.err)

	read := make(chan error, 1)
	go func() { _, err := res.r.Read(); read <- err }()
	rd := home.next(t)
	require.Equal(t, msgRead, rd.typ)
	home.send(t, msgDone, rd.end, rd.op, []byte{resPoisoned})
	select {
	case err := <-read:
		require.ErrorIs(t, err, csp.ErrPoisoned, "the home's answer reached the end")
	case <-time.After(10 * time.Second):
		t.Fatal("the link stalled after a second answer to an open")
	}
}

// The connection one node opened carries the ends the other node opens on it too: one
// connection for both directions, with a shared secret and without.
func TestPeerConnectionIsShared(t *testing.T) {
	for name, opts := range map[string][]Option{
		"plain":  nil,
		"secret": {WithSecret([]byte("a secret of at least thirty-two bytes..."))},
	} {
		t.Run(name, func(t *testing.T) {
			ns := nodes(t, 2, opts...)
			a, b := ns[0], ns[1]
			ca, cb := csp.NewChan[int](csp.Named("a")), csp.NewChan[int](csp.Named("b"))
			require.NoError(t, Export(a, "a", ca))
			require.NoError(t, Export(b, "b", cb))
			wa, err := OpenWriter[int](ctxT(t), b, a.Addr()+"/a")
			require.NoError(t, err)
			exchange(t, wa, ca.Reader(), 1)
			wb, err := OpenWriter[int](ctxT(t), a, b.Addr()+"/b")
			require.NoError(t, err)
			exchange(t, wb, cb.Reader(), 2)
			for _, n := range ns {
				n.mu.Lock()
				links := len(n.all)
				n.mu.Unlock()
				assert.Equal(t, 1, links, "links of %s", n.Addr())
			}
		})
	}
}

// A closed node refuses exports and opens with ErrClosed; a nil node panics at the call, naming
// what was misused.
func TestClosedAndNilNode(t *testing.T) {
	n, err := Listen("")
	require.NoError(t, err)
	require.NoError(t, n.Close())
	require.ErrorIs(t, Export(n, "c", csp.NewChan[int]()), ErrClosed)
	_, err = OpenReader[int](context.Background(), n, "127.0.0.1:1/c")
	require.ErrorIs(t, err, ErrClosed)
	_, err = OpenWriter[int](context.Background(), n, "127.0.0.1:1/c")
	require.ErrorIs(t, err, ErrClosed)
	assert.PanicsWithValue(t, "net: Export on a nil *Node", func() { Export(nil, "c", csp.NewChan[int]()) })
	assert.PanicsWithValue(t, "net: open read end of 127.0.0.1:1/c on a nil *Node", func() {
		OpenReader[int](context.Background(), nil, "127.0.0.1:1/c")
	})
}
