package net

import (
	"bufio"
	"encoding/binary"
	"fmt"
	gonet "net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gocsp/gocsp/csp"
)

// heapPeak samples the heap and stacks in use until the returned stop is called, which returns
// the peak growth over what was in use before.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if u := m.HeapInuse + m.StackInuse; u > peak.Load() {
				peak.Store(u)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-sampled
		return peak.Load() - min(peak.Load(), base.HeapInuse+base.StackInuse)
	}
}

// Peers each within WithMaxEnds cannot together open more than WithMaxEndsTotal ends on a node:
// the ends beyond it are refused with the reason. Before, the cap was per connection only (250
// connections held 256,000 ends and goroutines).
func TestEndsCappedNodeWide(t *testing.T) {
	const conns, perConn, total = 4, 24, 40
	target := nodes(t, 1, WithMaxEnds(perConn), WithMaxEndsTotal(total))[0]
	require.NoError(t, Export(target, "c", csp.NewChan[int](csp.Named("c"))))
	req := openReq{dir: uint8(csp.DirWrite), name: "c", typ: "int", codec: "cbor"}.append(nil)
	opened, refused := 0, 0
	for c := range conns {
		p := dialRawPeer(t, target.Addr(), fmt.Sprintf("127.0.0.1:%d", c+1))
		for id := uint32(1); id <= perConn; id++ {
			p.send(t, msgOpen, id, 0, req)
		}
		for range perConn {
			switch f := p.next(t); f.typ {
			case msgOpened:
				opened++
			case msgRefuse:
				refused++
				assert.Contains(t, refusal(f.payload).Error(), "WithMaxEndsTotal")
			}
		}
	}
	assert.Equal(t, total, opened)
	assert.Equal(t, conns*perConn-total, refused)
}

// A peer that floods opens for unknown names and never reads the refusals is dropped once a
// bounded queue of them is waiting for it, instead of the node buffering them all (before, one
// such connection took a node from 9 MB to 1.1 GB). The node's heap grows by about the bound. The
// flooder links as a node of before reconnection windows would (plain), or asks for a session as
// nodes with the default window do: then the refusals pile up in the session's resend buffer,
// which is bounded too (twice the queue bound), and the link is lost when it is full.
func TestPeerThatDoesNotReadIsDropped(t *testing.T) {
	for _, session := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "session"}[session], func(t *testing.T) {
			target := nodes(t, 1, WithHeartbeat(250*time.Millisecond, 30*time.Second))[0]
			require.NoError(t, Export(target, "c", csp.NewChan[int](csp.Named("c"))))
			var p *rawPeer
			if session {
				p = dialSessionPeer(t, target.Addr(), "127.0.0.1:1")
			} else {
				p = dialRawPeer(t, target.Addr(), "127.0.0.1:1")
			}
			name := string(make([]byte, 200))
			open := func(id uint32) []byte {
				return appendFrame(nil, msgOpen, 0, id, 0, openReq{dir: 1, name: name, typ: "int", codec: "cbor"}.append(nil))
			}
			batch := make([]byte, 0, 1<<20)
			stop := heapPeak()
			var err error
			sent := 0
			for id := uint32(1); err == nil && sent < 1<<30; id++ { // at most 1 GiB of opens
				batch = append(batch, open(id)...)
				if len(batch) >= 1<<20-512 {
					p.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
					if session {
						_, err = p.c.Write(sessionChunks(batch))
					} else {
						_, err = p.c.Write(batch)
					}
					sent += len(batch)
					batch = batch[:0]
				}
			}
			grew := stop()
			require.Error(t, err, "the node never dropped a peer that reads nothing")
			t.Logf("dropped after %.1f MiB of opens; the node's heap and stacks grew by %.1f MiB at the peak (queue bound %d MiB)",
				float64(sent)/(1<<20), float64(grew)/(1<<20), (&options{maxFrame: DefaultMaxFrame}).maxQueued()>>20)
			assert.Less(t, grew, uint64(128<<20))
		})
	}
}

// dialSessionPeer connects to a node as a raw peer that has a reconnection window: its link runs on
// a session, whose chunks the test writes itself (sessionChunks).
func dialSessionPeer(t *testing.T, addr, claim string) *rawPeer {
	t.Helper()
	c, err := gonet.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	theirs, err := handshake(c, appendHello(nil, claim, helloResume))
	require.NoError(t, err)
	_, flags, err := parseHello(theirs)
	require.NoError(t, err)
	require.NotZero(t, flags&helloResume, "the node has no reconnection window by default")
	_, err = sessionHello(c, newSessionID(), false, 0, 10*time.Second)
	require.NoError(t, err)
	return &rawPeer{c, bufio.NewReader(c)}
}

// sessionChunks wraps b, a part of a link's stream, in a session's data chunks.
func sessionChunks(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		k := min(len(b), maxChunk)
		out = append(out, sessData)
		out = binary.BigEndian.AppendUint32(out, uint32(k))
		out = append(out, b[:k]...)
		b = b[k:]
	}
	return out
}

// A peer that queues writes on one end beyond what one operation at a time allows, each a copy of
// a value of up to a frame at the home, loses its link instead of holding the node's memory (it
// could queue 64 frames an end before).
func TestQueuedWritesPerEndBounded(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	target := nodes(t, 1, WithMaxFrame(4<<20), WithLogger(zap.New(core)))[0]
	ch := csp.NewChan[[]byte](csp.Named("c")) // nobody reads: the first write waits
	require.NoError(t, Export(target, "c", ch, WithCodec(Raw{})))
	p := dialRawPeer(t, target.Addr(), "127.0.0.1:1")
	p.send(t, msgOpen, 1, 0, openReq{dir: uint8(csp.DirWrite), name: "c", typ: "[]uint8", codec: "raw"}.append(nil))
	require.Equal(t, msgOpened, p.next(t).typ)
	value := make([]byte, 2<<20)
	var err error
	for op := uint64(1); op <= 64 && err == nil; op++ {
		p.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, err = p.c.Write(appendFrame(nil, msgWrite, 0, 1, op, value))
	}
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for err == nil {
		_, _, err = readFrame(p.br, DefaultMaxFrame, nil)
	}
	require.Error(t, err, "the link outlived 64 queued writes of 2 MiB")
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the node kept the link")
	assert.True(t, logged(logs.All(), "protocol violation", "more frames outstanding", "127.0.0.1"),
		"the link was not dropped for the queued writes")
}

// What an end a peer opens costs the node (its home's goroutine and state, the channel's end),
// for the worst-case figure in the package doc: GOCSP_STRESS multiplies the ends.
func TestMemoryPerEnd(t *testing.T) {
	ends := 1000 * stress()
	target := nodes(t, 1, WithMaxEnds(ends))[0]
	require.NoError(t, Export(target, "c", csp.NewChan[int](csp.Named("c"))))
	p := dialRawPeer(t, target.Addr(), "127.0.0.1:1")
	req := openReq{dir: uint8(csp.DirWrite), name: "c", typ: "int", codec: "cbor"}.append(nil)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for id := uint32(1); id <= uint32(ends); id++ {
		p.send(t, msgOpen, id, 0, req)
	}
	for range ends {
		f := p.next(t)
		require.Equal(t, msgOpened, f.typ, "%s", f.payload)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapInuse + after.StackInuse - before.HeapInuse - before.StackInuse) / uint64(ends)
	t.Logf("%d ends: %d bytes each (heap and stacks)", ends, per)
	assert.Less(t, per, uint64(64<<10))
}

// What a connection in its handshake costs the node, for the worst-case figure in the package doc.
func TestMemoryPerHandshake(t *testing.T) {
	const k = 60 // within the 64 from one address
	target := nodes(t, 1)[0]
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range k {
		c, err := gonet.Dial("tcp", target.Addr())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
	}
	require.Eventually(t, func() bool {
		target.shaking.mu.Lock()
		defer target.shaking.mu.Unlock()
		return len(target.shaking.all) == k
	}, 10*time.Second, time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapInuse + after.StackInuse - before.HeapInuse - before.StackInuse) / k
	t.Logf("%d silent connections in their handshake: %d bytes each (heap and stacks, the dialling side's included)", k, per)
	assert.Less(t, per, uint64(64<<10))
}
