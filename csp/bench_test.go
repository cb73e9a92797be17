package csp

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The benchmarks run the framework and a raw Go channel baseline side by side (sub-benchmarks csp
// and native): quote the ratio, from one machine and one run, never a lone time.

// BenchmarkCommsTime is the classic occam/JCSP CommsTime ring: Prefix → Delta → Successor → Prefix,
// with Delta also feeding a consumer (to Successor and consumer in sequence). One op is one cycle of
// the ring, as the consumer sees it. Every process runs a known number of cycles, so neither side
// pays for a shutdown check in its loop.
func BenchmarkCommsTime(b *testing.B) {
	b.Run("csp", func(b *testing.B) {
		n := b.N
		a, bb, c, d := NewChan[int](), NewChan[int](), NewChan[int](), NewChan[int]()
		aw, ar, bw, br, cw, cr, dw, dr := a.Writer(), a.Reader(), bb.Writer(), bb.Reader(), c.Writer(), c.Reader(), d.Writer(), d.Reader()
		b.ReportAllocs()
		b.ResetTimer()
		err := Parallel(
			Proc("prefix", func(context.Context) error {
				if err := aw.Write(0); err != nil {
					return err
				}
				for range n - 1 {
					v, err := cr.Read()
					if err != nil {
						return err
					}
					if err := aw.Write(v); err != nil {
						return err
					}
				}
				_, err := cr.Read()
				return err
			}, aw, cr),
			Proc("delta", func(context.Context) error {
				for range n {
					v, err := ar.Read()
					if err != nil {
						return err
					}
					if err := bw.Write(v); err != nil {
						return err
					}
					if err := dw.Write(v); err != nil {
						return err
					}
				}
				return nil
			}, ar, bw, dw),
			Proc("successor", func(context.Context) error {
				for range n {
					v, err := br.Read()
					if err != nil {
						return err
					}
					if err := cw.Write(v + 1); err != nil {
						return err
					}
				}
				return nil
			}, br, cw),
			Proc("consumer", func(context.Context) error {
				for range n {
					if _, err := dr.Read(); err != nil {
						return err
					}
				}
				return nil
			}, dr),
		)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("native", func(b *testing.B) {
		n := b.N
		a, bb, c, d := make(chan int), make(chan int), make(chan int), make(chan int)
		var wg sync.WaitGroup
		wg.Add(3)
		b.ReportAllocs()
		b.ResetTimer()
		go func() { // prefix
			defer wg.Done()
			a <- 0
			for range n - 1 {
				a <- <-c
			}
			<-c
		}()
		go func() { // delta
			defer wg.Done()
			for range n {
				v := <-a
				bb <- v
				d <- v
			}
		}()
		go func() { // successor
			defer wg.Done()
			for range n {
				c <- <-bb + 1
			}
		}()
		for range n { // consumer
			<-d
		}
		wg.Wait()
		b.StopTimer()
	})
}

// BenchmarkStressedAlt: 10 writers on each of 10 channels, and one process alting over all ten
// channels. One op is one value received. The native baseline is a static 10-case select.
func BenchmarkStressedAlt(b *testing.B) {
	b.Run("csp", func(b *testing.B) { benchAlt(b, 10, 10) })
	b.Run("native", func(b *testing.B) {
		cs, stop := nativeFlood(10, 10)
		defer stop()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			select {
			case <-cs[0]:
			case <-cs[1]:
			case <-cs[2]:
			case <-cs[3]:
			case <-cs[4]:
			case <-cs[5]:
			case <-cs[6]:
			case <-cs[7]:
			case <-cs[8]:
			case <-cs[9]:
			}
		}
		b.StopTimer()
	})
}

// benchAlt times b.N selections of one reused Alt of Recv guards over chans channels, each fed by
// writersPer writers that write as fast as they can.
func benchAlt(b *testing.B, chans, writersPer int) {
	guards := make([]Guard, chans)
	var ws []*Writer[int]
	for i := range guards {
		c := NewChan[int]()
		guards[i] = Recv(c.Reader())
		for range writersPer {
			ws = append(ws, c.Writer())
		}
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 0; w.Write(v) == nil; v++ {
			}
		}()
	}
	alt := NewAlt(guards...)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := alt.SelectContext(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, w := range ws {
		w.Poison()
	}
	wg.Wait()
}

// nativeFlood is benchAlt's setup over Go channels: it returns the channels and a function that
// stops the writers (by closing the channels; a writer's send then panics, and it recovers).
func nativeFlood(chans, writersPer int) ([]chan int, func()) {
	cs := make([]chan int, chans)
	var wg sync.WaitGroup
	for i := range cs {
		cs[i] = make(chan int)
		for range writersPer {
			wg.Add(1)
			go func(ch chan int) {
				defer wg.Done()
				defer func() { recover() }() // the channel was closed: the benchmark is over
				for v := 0; ; v++ {
					ch <- v
				}
			}(cs[i])
		}
	}
	return cs, func() {
		for _, c := range cs {
			close(c)
		}
		wg.Wait()
	}
}

// BenchmarkSpawn runs b.N trivial processes in one Parallel (for b.N around a million, as the
// benchmark settles on, that is a million processes per run) and reports the cost per process:
// ns/proc and B/proc (heap bytes allocated, from runtime.MemStats.TotalAlloc).
func BenchmarkSpawn(b *testing.B) {
	body := func(context.Context) error { return nil }
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	procs := Replicate(b.N, func(int) *Process { return Proc("p", body) })
	if err := Parallel(procs...); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/proc")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "B/proc")
}

// BenchmarkReadWrite sends one value per op over a rendezvous channel to a reader goroutine.
func BenchmarkReadWrite(b *testing.B) {
	b.Run("csp", func(b *testing.B) {
		c := NewChan[int]()
		w, r := c.Writer(), c.Reader()
		done := goDone(func() {
			for {
				if _, err := r.Read(); err != nil {
					return
				}
			}
		})
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := w.Write(i); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		w.Poison()
		<-done
	})
	b.Run("native", func(b *testing.B) {
		c := make(chan int)
		done := goDone(func() {
			for range c {
			}
		})
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			c <- i
		}
		b.StopTimer()
		close(c)
		<-done
	})
}

// BenchmarkSelect is one selection of a reused Alt over four channels, each fed by its own writer
// goroutine; native is a static four-case select. It shows the allocations per selection (zero).
func BenchmarkSelect(b *testing.B) {
	b.Run("csp", func(b *testing.B) { benchAlt(b, 4, 1) })
	b.Run("native", func(b *testing.B) {
		cs, stop := nativeFlood(4, 1)
		defer stop()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			select {
			case <-cs[0]:
			case <-cs[1]:
			case <-cs[2]:
			case <-cs[3]:
			}
		}
		b.StopTimer()
	})
}
