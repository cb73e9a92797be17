package net

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	gonet "net"
	"sync"
	"testing"

	"github.com/gocsp/gocsp/csp"
)

// BenchmarkRemotePingPong: one op is a round trip between two nodes: a rendezvous write of an int
// to the other node and its reply. Each channel's home is its reader's node, so that a write is one
// message there and one acknowledgement back. tcp is the same round trip of 8-byte messages over a
// raw loopback connection.
func BenchmarkRemotePingPong(b *testing.B) {
	b.Run("csp", func(b *testing.B) {
		ns := nodes(b, 2)
		ping, pong := csp.NewChan[int](), csp.NewChan[int]()
		Export(ns[1], "ping", ping)
		Export(ns[0], "pong", pong)
		ctx := context.Background()
		pw, err := OpenWriter[int](ctx, ns[0], ns[1].Addr()+"/ping")
		if err != nil {
			b.Fatal(err)
		}
		qw, err := OpenWriter[int](ctx, ns[1], ns[0].Addr()+"/pong")
		if err != nil {
			b.Fatal(err)
		}
		pr, qr := ping.Reader(), pong.Reader()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				v, err := pr.Read()
				if err != nil {
					return
				}
				if qw.Write(v) != nil {
					return
				}
			}
		}()
		b.ResetTimer()
		for i := range b.N {
			if err := pw.Write(i); err != nil {
				b.Fatal(err)
			}
			if _, err := qr.Read(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		ping.Poison()
		<-done
	})
	b.Run("tcp", func(b *testing.B) {
		a, c := tcpPair(b)
		go func() {
			var m [8]byte
			for {
				if _, err := io.ReadFull(c, m[:]); err != nil {
					return
				}
				if _, err := c.Write(m[:]); err != nil {
					return
				}
			}
		}()
		var m [8]byte
		b.ResetTimer()
		for i := range b.N {
			binary.BigEndian.PutUint64(m[:], uint64(i))
			if _, err := a.Write(m[:]); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(a, m[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRemoteStream: one op is one 64-byte value streamed from one node to another, through a
// remote channel with a buffer of 64 at the reader's node (csp), or through bufio over a raw loopback
// connection (tcp).
func BenchmarkRemoteStream(b *testing.B) {
	b.Run("csp", func(b *testing.B) { remoteStream(b, 1) })
	b.Run("tcp", func(b *testing.B) {
		a, c := tcpPair(b)
		done := make(chan struct{})
		go func() {
			defer close(done)
			br := bufio.NewReader(c)
			var m [64]byte
			for range b.N {
				if _, err := io.ReadFull(br, m[:]); err != nil {
					return
				}
			}
		}()
		bw := bufio.NewWriter(a)
		msg := make([]byte, 64)
		b.SetBytes(64)
		b.ResetTimer()
		for range b.N {
			if _, err := bw.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		bw.Flush()
		<-done
	})
	// A remote write returns once the home has the value, so one writer streams one value per
	// round trip; sixteen writers (each its own end, as sixteen processes would have) keep sixteen in
	// flight on the one link. After tcp, so that scripts/bench-ab.sh pairs csp with tcp.
	b.Run("csp-16writers", func(b *testing.B) { remoteStream(b, 16) })
}

// remoteStream streams b.N values through a remote buffered channel from that many writer ends on one node
// (each written by its own goroutine, as by its own process) to a reader at the channel's home.
func remoteStream(b *testing.B, writers int) {
	ns := nodes(b, 2)
	ch := csp.NewChan[[]byte](csp.Buffered(64))
	Export(ns[1], "s", ch, WithCodec(Raw{}))
	ws := make([]*csp.Writer[[]byte], writers)
	for i := range ws {
		w, err := OpenWriter[[]byte](context.Background(), ns[0], ns[1].Addr()+"/s", WithCodec(Raw{}))
		if err != nil {
			b.Fatal(err)
		}
		ws[i] = w
	}
	r := ch.Reader()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range b.N {
			if _, err := r.Read(); err != nil {
				return
			}
		}
	}()
	msg := make([]byte, 64)
	b.SetBytes(64)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, w := range ws {
		n := b.N / writers
		if i < b.N%writers {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := w.Write(msg); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	<-done
}

func tcpPair(b *testing.B) (gonet.Conn, gonet.Conn) {
	ln, err := gonet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan gonet.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	a, err := gonet.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	c := <-acc
	b.Cleanup(func() { a.Close(); c.Close() })
	return a, c
}
