package bench

import (
	"bytes"
	"sync"
	"testing"
)

const (
	small = 64
	large = 64 << 10
	// manyChannels is how many channels (streams, subjects) share one link in BenchmarkManyChannels.
	manyChannels = 64
)

// One op is one round trip: a value to the other side and its echo back.
func BenchmarkRoundTrip64B(b *testing.B)  { benchRoundTrip(b, small, 1) }
func BenchmarkRoundTrip64KB(b *testing.B) { benchRoundTrip(b, large, 1) }

// One op is one round trip, made by one of 64 pairs of processes, each on its own channel (gRPC:
// stream, NATS: subject, net/rpc: concurrent call), all over one link.
func BenchmarkManyChannels64B(b *testing.B) { benchRoundTrip(b, small, manyChannels) }

// One op is one value streamed from one side to the other, into a buffer of 64 at the reader's
// side (GoCSP), through bufio (TCP), down a client stream (gRPC) or published (NATS).
func BenchmarkStream64B(b *testing.B)  { benchStream(b, small, 1) }
func BenchmarkStream64KB(b *testing.B) { benchStream(b, large, 1) }

// The same from sixteen writers at once, each with its own end (stream), over one link.
func BenchmarkStream16Writers64B(b *testing.B) { benchStream(b, small, 16) }

func benchRoundTrip(b *testing.B, size, k int) {
	for _, p := range peers {
		if p.roundTrip == nil {
			continue
		}
		b.Run(p.name, func(b *testing.B) {
			rts := p.roundTrip(b, k)
			if rts == nil {
				b.Skip("no such form")
			}
			msg := make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			split(b, k, func(i, n int) {
				for range n {
					if _, err := rts[i](msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func benchStream(b *testing.B, size, writers int) {
	for _, p := range peers {
		if p.stream == nil {
			continue
		}
		b.Run(p.name, func(b *testing.B) {
			send, wait := p.stream(b, writers, b.N)
			msg := make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			split(b, writers, func(i, n int) {
				for range n {
					if err := send[i](msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := wait(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// split runs f(i, n) for each of k workers, sharing b.N out between them, and waits for them.
func split(b *testing.B, k int, f func(i, n int)) {
	if k == 1 {
		f(0, b.N)
		return
	}
	var wg sync.WaitGroup
	for i := range k {
		n := b.N / k
		if i < b.N%k {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, n)
		}()
	}
	wg.Wait()
}

// TestPeers checks the harness itself: every peer echoes each size intact on every path, and
// streams every value from several writers.
func TestPeers(t *testing.T) {
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			for _, size := range []int{small, large} {
				msg := bytes.Repeat([]byte{byte(size), 7}, size/2)
				for _, k := range []int{1, 3} {
					if p.roundTrip == nil {
						break
					}
					rts := p.roundTrip(t, k)
					if rts == nil {
						continue
					}
					for i, rt := range rts {
						got, err := rt(msg)
						if err != nil {
							t.Fatalf("%d-byte round trip on path %d of %d: %v", size, i, k, err)
						}
						if !bytes.Equal(got, msg) {
							t.Fatalf("%d-byte round trip on path %d of %d: echo differs", size, i, k)
						}
					}
				}
				if p.stream == nil {
					continue
				}
				const writers, each = 3, 50
				send, wait := p.stream(t, writers, writers*each)
				var wg sync.WaitGroup
				for _, s := range send {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range each {
							if err := s(msg); err != nil {
								t.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				if err := wait(); err != nil {
					t.Fatalf("%d-byte stream: %v", size, err)
				}
			}
		})
	}
}
