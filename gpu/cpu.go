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
	workers := min(d.workers, chunks)
	if workers == 1 {
		for c := range chunks {
			f(c, bound(c, n, chunks), bound(c+1, n, chunks))
		}
		return
	}
	// One record for the launch, so that starting a worker allocates no closure of its own.
	p := &launchWork{n: n, chunks: chunks, f: f}
	p.wg.Add(workers - 1)
	for range workers - 1 {
		go p.worker()
	}
	p.work()
	p.wg.Wait()
}

// bound is where chunk c of chunks over n elements starts.
func bound(c, n, chunks int) int { return int(int64(c) * int64(n) / int64(chunks)) }

// launchWork is one parallel launch: its workers take chunks in turn until none is left.
type launchWork struct {
	n, chunks int
	f         func(c, lo, hi int)
	next      atomic.Int64
	wg        sync.WaitGroup
}

func (p *launchWork) worker() {
	defer p.wg.Done()
	p.work()
}

func (p *launchWork) work() {
	for {
		c := int(p.next.Add(1) - 1)
		if c >= p.chunks {
			return
		}
		p.f(c, bound(c, p.n, p.chunks), bound(c+1, p.n, p.chunks))
	}
}
