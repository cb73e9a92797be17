package csp

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// The classic CSP benchmarks beside CommsTime and StressedAlt, each with its Go-channel baseline in
// the same run (sub-benchmarks csp and native): a token ring, spawning and tearing down a million
// processes, a buffered pipeline and a farm.

// BenchmarkRing passes one token around a ring of N processes; one op is one hop. The ring is
// started before the timer and shut down after it, so that a timed op is one hop whatever b.N
// settles on (timing the start made an op of a small b.N "start 10,000 processes"): the benchmark
// puts the token in, the process that sees it after b.N hops says so and keeps it, and a stop token
// then goes round once, untimed.
func BenchmarkRing(b *testing.B) {
	for _, n := range []int{256, 10000} {
		b.Run(fmt.Sprintf("csp/%d", n), func(b *testing.B) {
			chans := make([]*Chan[int], n)
			for i := range chans {
				chans[i] = NewChan[int]()
			}
			var ready sync.WaitGroup
			ready.Add(n)
			done := make(chan struct{})
			procs := make([]*Process, n)
			for i := range procs {
				in, out := chans[(i+n-1)%n].Reader(), chans[i].Writer()
				procs[i] = Proc("node", func(context.Context) error {
					ready.Done()
					for {
						v, err := in.Read()
						switch {
						case err != nil:
							return err
						case v < 0: // stop: pass it on, up to the ring's last process
							if i == n-1 {
								return nil
							}
							return out.Write(v)
						case v >= b.N:
							close(done)
							continue
						}
						if err := out.Write(v + 1); err != nil {
							return err
						}
					}
				}, in, out)
			}
			inject := chans[n-1].Writer()
			ran := make(chan error, 1)
			go func() { ran <- Parallel(procs...) }()
			ready.Wait()
			b.ResetTimer()
			if err := inject.Write(0); err != nil {
				b.Fatal(err)
			}
			<-done
			b.StopTimer()
			if err := inject.Write(-1); err != nil {
				b.Fatal(err)
			}
			inject.Retire()
			if err := <-ran; err != nil {
				b.Fatal(err)
			}
		})
		b.Run(fmt.Sprintf("native/%d", n), func(b *testing.B) {
			chans := make([]chan int, n)
			for i := range chans {
				chans[i] = make(chan int)
			}
			var ready, wg sync.WaitGroup
			ready.Add(n)
			wg.Add(n)
			done := make(chan struct{})
			for i := range n {
				in, out := chans[(i+n-1)%n], chans[i]
				go func() {
					defer wg.Done()
					ready.Done()
					for {
						v := <-in
						switch {
						case v < 0:
							if i != n-1 {
								out <- v
							}
							return
						case v >= b.N:
							close(done)
							continue
						}
						out <- v + 1
					}
				}()
			}
			ready.Wait()
			b.ResetTimer()
			chans[n-1] <- 0
			<-done
			b.StopTimer()
			chans[n-1] <- -1
			wg.Wait()
		})
	}
}

// BenchmarkSpawnAndTearDown starts b.N trivial processes (a million, as b.N settles) and waits for
// all of them: csp with one Parallel, native with goroutines and a WaitGroup. One op is one process.
func BenchmarkSpawnAndTearDown(b *testing.B) {
	b.Run("csp", func(b *testing.B) {
		body := func(context.Context) error { return nil }
		b.ReportAllocs()
		procs := Replicate(b.N, func(int) *Process { return Proc("p", body) })
		if err := Parallel(procs...); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("native", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		wg.Add(b.N)
		for range b.N {
			go func() { wg.Done() }()
		}
		wg.Wait()
	})
}

// BenchmarkPipeline moves b.N values through a producer, 4 stages and a consumer joined by
// channels buffered to 64; one op is one value through the whole pipeline.
func BenchmarkPipeline(b *testing.B) {
	const stages, buffer = 4, 64
	b.Run("csp", func(b *testing.B) {
		chans := make([]*Chan[int], stages+1)
		for i := range chans {
			chans[i] = NewChan[int](Buffered(buffer))
		}
		w := chans[0].Writer()
		procs := []*Process{Proc("producer", func(context.Context) error {
			for i := range b.N {
				if err := w.Write(i); err != nil {
					return err
				}
			}
			return nil
		}, w)}
		for s := range stages {
			in, out := chans[s].Reader(), chans[s+1].Writer()
			procs = append(procs, Proc("stage", func(context.Context) error {
				for {
					v, err := in.Read()
					if err != nil {
						return err
					}
					if err := out.Write(v + 1); err != nil {
						return err
					}
				}
			}, in, out))
		}
		r := chans[stages].Reader()
		procs = append(procs, Proc("consumer", func(context.Context) error {
			for {
				if _, err := r.Read(); err != nil {
					return err
				}
			}
		}, r))
		b.ReportAllocs()
		b.ResetTimer()
		if err := Parallel(procs...); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("native", func(b *testing.B) {
		chans := make([]chan int, stages+1)
		for i := range chans {
			chans[i] = make(chan int, buffer)
		}
		var wg sync.WaitGroup
		wg.Add(stages + 1)
		b.ResetTimer()
		go func() {
			for i := range b.N {
				chans[0] <- i
			}
			close(chans[0])
		}()
		for s := range stages {
			in, out := chans[s], chans[s+1]
			go func() {
				defer wg.Done()
				for v := range in {
					out <- v + 1
				}
				close(out)
			}()
		}
		go func() {
			defer wg.Done()
			for range chans[stages] {
			}
		}()
		wg.Wait()
	})
}

// BenchmarkFarm hands b.N jobs to 8 workers over one shared rendezvous channel (a reader end each)
// and collects their results over another (a writer end each); one op is one job.
func BenchmarkFarm(b *testing.B) {
	const workers = 8
	b.Run("csp", func(b *testing.B) {
		jobs, results := NewChan[int](), NewChan[int]()
		jw, rr := jobs.Writer(), results.Reader()
		procs := []*Process{
			Proc("dispatcher", func(context.Context) error {
				for i := range b.N {
					if err := jw.Write(i); err != nil {
						return err
					}
				}
				return nil
			}, jw),
			Proc("collector", func(context.Context) error {
				for {
					if _, err := rr.Read(); err != nil {
						return err
					}
				}
			}, rr),
		}
		for range workers {
			r, w := jobs.Reader(), results.Writer()
			procs = append(procs, Proc("worker", func(context.Context) error {
				for {
					v, err := r.Read()
					if err != nil {
						return err
					}
					if err := w.Write(v * v); err != nil {
						return err
					}
				}
			}, r, w))
		}
		b.ReportAllocs()
		b.ResetTimer()
		if err := Parallel(procs...); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("native", func(b *testing.B) {
		jobs, results := make(chan int), make(chan int)
		var workersDone, collected sync.WaitGroup
		workersDone.Add(workers)
		collected.Add(1)
		b.ResetTimer()
		go func() {
			for i := range b.N {
				jobs <- i
			}
			close(jobs)
		}()
		for range workers {
			go func() {
				defer workersDone.Done()
				for v := range jobs {
					results <- v * v
				}
			}()
		}
		go func() {
			defer collected.Done()
			for range results {
			}
		}()
		workersDone.Wait()
		close(results)
		collected.Wait()
	})
}
