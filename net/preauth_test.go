package net

import (
	"context"
	"errors"
	"io"
	gonet "net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gocsp/gocsp/csp"
)

// silentFlood keeps k sockets connected to addr that never say a word, dialling again each one
// the node closes, until the test ends.
func silentFlood(t *testing.T, addr string, k int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	var d gonet.Dialer
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					select {
					case <-ctx.Done():
					case <-time.After(time.Millisecond):
					}
					continue
				}
				stop := context.AfterFunc(ctx, func() { c.Close() })
				io.Copy(io.Discard, c) // says nothing, reads until the node closes it
				stop()
				c.Close()
			}
		}()
	}
}

// 300 silent sockets, dialled again as soon as the node closes one, do not keep an honest peer
// with the secret out: connections still in their handshake are capped apart from the linked
// peers (WithMaxPeers), and a silent one gives way to a newcomer. Before, they filled
// WithMaxPeers and the honest peer got nothing through.
func TestSilentFloodLeavesRoomForHonestPeer(t *testing.T) {
	secret := []byte("the right secret, thirty-two bytes or more")
	target := nodes(t, 1, WithSecret(secret), WithMaxPeers(16))[0]
	ch := csp.NewChan[int](csp.Named("c"))
	require.NoError(t, Export(target, "c", ch))
	stop := heapPeak()
	silentFlood(t, target.Addr(), 300)
	time.Sleep(200 * time.Millisecond) // let the flood fill whatever it can

	honest := nodes(t, 1, WithSecret(secret))[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const writes = 24
	got := make(chan int, writes)
	go func() {
		r := ch.Reader()
		for range writes {
			v, err := r.ReadContext(ctx)
			if err != nil {
				return
			}
			got <- v
		}
	}()
	var w *csp.Writer[int]
	var err error
	for tries := 1; ctx.Err() == nil; tries++ { // a client retries a refused dial, as any would
		if w, err = OpenWriter[int](ctx, honest, target.Addr()+"/c"); err == nil {
			t.Logf("the honest peer got in on try %d", tries)
			break
		}
	}
	require.NoError(t, err, "the honest peer never got a link")
	for i := range writes {
		require.NoError(t, w.WriteContext(ctx, i))
	}
	for i := range writes {
		assert.Equal(t, i, <-got)
	}
	t.Logf("the node's heap and stacks grew by %.1f MiB at the peak (flood and honest peer together, in one process)",
		float64(stop())/(1<<20))
}

// A refused handshake says why, on both sides, with a sentinel a caller can test for.
func TestHandshakeRefusalsSayWhy(t *testing.T) {
	secret := []byte("the right secret, thirty-two bytes or more")
	cases := []struct {
		name       string
		home, peer []Option
		want       error
		text       string
	}{
		{"peer without the secret", []Option{WithSecret(secret)}, nil, ErrNoSecret, "requires a shared secret"},
		{"home without the secret", nil, []Option{WithSecret(secret)}, ErrNoSecret, "has no shared secret"},
		{"wrong secret", []Option{WithSecret(secret)}, []Option{WithSecret([]byte("another secret, thirty-two bytes long"))}, ErrWrongSecret, "shared secrets differ"},
	}
	pki, other := newPKI(t), newPKI(t)
	cases = append(cases, struct {
		name       string
		home, peer []Option
		want       error
		text       string
	}{"certificate from another authority", []Option{WithTLS(pki.config(t, 1))}, []Option{WithTLS(other.config(t, 2))}, ErrTLS, "TLS handshake failed"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := nodes(t, 1, c.home...)[0]
			require.NoError(t, Export(home, "c", csp.NewChan[int]()))
			peer := nodes(t, 1, c.peer...)[0]
			_, err := OpenWriter[int](ctxT(t), peer, home.Addr()+"/c")
			require.Error(t, err)
			assert.ErrorIs(t, err, c.want)
			assert.ErrorIs(t, err, ErrHandshake)
			assert.Contains(t, err.Error(), c.text)
			assert.NotContains(t, err.Error(), "frame exceeds")
		})
	}
}

// A peer that speaks another protocol version is told so, with ErrProtocolVersion: version 1's
// hello (no flags) is refused on its version, not read as a hello of this one.
func TestHandshakeVersionMismatch(t *testing.T) {
	old := []byte("GCSP\x00\x01\x00\x03a:1")
	err := parseHelloHead(old)
	require.True(t, errors.Is(err, ErrProtocolVersion), "%v", err)
	assert.Contains(t, err.Error(), "the peer speaks version 1, this node 2")

	core, logs := observer.New(zap.InfoLevel)
	home := nodes(t, 1, WithLogger(zap.New(core)))[0]
	c, err := gonet.Dial("tcp", home.Addr())
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Write(old)
	require.NoError(t, err)
	io.Copy(io.Discard, c) // the node's hello, then it closes
	require.Eventually(t, func() bool { return logged(logs.All(), "refused a peer", "protocol version mismatch", "version 1") },
		10*time.Second, 5*time.Millisecond)
}
