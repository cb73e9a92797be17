package gpu

import (
	"sync"
	"sync/atomic"
)

// chunksPerWorker over-splits a launch so that workers that finish early take more chunks: the
// cost of an element is not uniform (a Mandelbrot row crosses the set), and the machine may be
// shared.
const chunksPerWorker = 4

// chunks returns how many chunks the CPU backend splits n elements into, none smaller than grain
// elements (below which a goroutine costs more than it saves).
func (d *Device) chunks(n, grain int) int {
	if n <= 0 {
		return 0
	}
	c := (n + grain - 1) / grain
	if max := d.workers * chunksPerWorker; c > max {
		c = max
	}
	return c
}

// parallel calls f(c, lo, hi) for each chunk c of [0, n) split into the given number of
// contiguous chunks, over up to d.workers goroutines, and returns when all have returned. The
// calling goroutine is one of the workers.
func (d *Device) parallel(n, chunks int, f func(c, lo, hi int)) {
	if chunks <= 0 {
		return
	}
	bound := func(c int) int { return int(int64(c) * int64(n) / int64(chunks)) }
	workers := min(d.workers, chunks)
	if workers == 1 {
		for c := range chunks {
			f(c, bound(c), bound(c+1))
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			f(c, bound(c), bound(c+1))
		}
	}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
