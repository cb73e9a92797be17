package networks

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
)

// Demo is an example network sized to be watched in a viewer (cspviz demo): slow enough, or long
// enough, that its states can be seen changing. Cancel the context given to Run to stop one early.
type Demo struct {
	Name        string
	Description string
	// New builds a fresh network, and a function that says in one line what its run computed:
	// call that only after Run has returned. A network runs once: call New for each run.
	New func(opts ...graphs.Option) (*graphs.Network, func() string)
	// Repeats says that the demo's work is finite, so that a viewer that runs it until stopped
	// runs it again, with a fresh network, after showing the result of a round.
	Repeats bool
}

// failing is a network whose one process fails with err: a demo that could not be built says why
// where a viewer shows it.
func failing(name string, err error, opts ...graphs.Option) *graphs.Network {
	return graphs.New(name, opts...).Add(csp.Proc("setup", func(context.Context) error { return err }))
}

// forever is how long the demos that could stop by themselves dine: in practice, until stopped.
const forever = 100 * 365 * 24 * time.Hour

// Demos returns the example networks as demos, a new list on each call.
func Demos() []Demo {
	return []Demo{
		{
			Name:        "commstime",
			Description: "prefix → delta → successor ring with a consumer; runs until stopped",
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, _ := Commstime(CommstimeConfig{Cycles: math.MaxInt}, opts...)
				return n, func() string { return "" }
			},
		},
		{
			Name:        "sieve",
			Description: "dynamic prime sieve: each filter spawns the next; 150 primes, 200ms apart, then again",
			Repeats:     true,
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, res := Sieve(SieveConfig{Primes: 150, OnPrime: func(int) { time.Sleep(200 * time.Millisecond) }}, opts...)
				return n, func() string { return primesLine(res.Primes) }
			},
		},
		{
			Name:        "mcpi",
			Description: "Monte Carlo π: producer, a farm of 4 workers, collector; 400 jobs a round, then again",
			Repeats:     true,
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, res := MCPi(MCPiConfig{Workers: 4, Jobs: 400, Samples: 200000, Seed: 1, Pace: 20 * time.Millisecond}, opts...)
				return n, func() string {
					return fmt.Sprintf("π ≈ %.6f from %d samples (off by %.6f)", res.Estimate(), res.Samples, res.Error())
				}
			},
		},
		{
			Name:        "remotefarm",
			Description: "a dispatcher and 3 workers on 4 nodes over loopback TCP, selecting on remote channels on both sides; 120 jobs, 150ms each, a round, then again",
			Repeats:     true,
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, out, err := RemoteFarm(RemoteFarmConfig{Workers: 3, Jobs: 120, Pace: 150 * time.Millisecond}, opts...)
				if err != nil {
					return failing("remotefarm", err, opts...), func() string { return "" }
				}
				return n, func() string {
					return fmt.Sprintf("%d primes below %d (%d duplicate results)", out.Total(), 120*FarmSpan, out.Duplicates)
				}
			},
		},
		{
			Name:        "mandelbrot",
			Description: "rows → GPU kernel process (CPU backend) → assembler: a 1024² Mandelbrot image a round, then again",
			Repeats:     true,
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, res := Mandelbrot(MandelbrotConfig{Size: 1024, MaxIter: 4096, Batch: 4}, opts...)
				return n, func() string {
					inside := 0
					for _, c := range res.Counts {
						if c == res.MaxIter {
							inside++
						}
					}
					return fmt.Sprintf("a %d² image, %d rows, %d points inside the set", res.Size, res.Rows, inside)
				}
			},
		},
		{
			Name:        "gpupipeline",
			Description: "vectors through SAXPY and Sum as upload → kernel → download GPU stages (CPU backend); 1024 vectors, 8ms apart, a round, then again",
			Repeats:     true,
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, res := GPUPipeline(GPUPipelineConfig{Vectors: 1024, Length: 1 << 14, Pipelined: true, Pace: 8 * time.Millisecond}, opts...)
				return n, func() string {
					return fmt.Sprintf("%d vectors, %d elements, total %.1f", res.Vectors, res.Elements, res.Total)
				}
			},
		},
		{
			Name:        "philosophers",
			Description: "five dining philosophers and a butler; dine until stopped",
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, res := Philosophers(PhilosophersConfig{Duration: forever, MaxPause: 300 * time.Millisecond}, opts...)
				return n, func() string { return fmt.Sprintf("meals: %v", res.Meals()) }
			},
		},
		{
			Name:        "philosophers-deadlock",
			Description: "five dining philosophers without a butler: they deadlock at once",
			New: func(opts ...graphs.Option) (*graphs.Network, func() string) {
				n, _ := Philosophers(PhilosophersConfig{Deadlock: true}, opts...)
				return n, func() string { return "" }
			},
		},
	}
}

// primesLine lists primes, eliding the middle of a long list.
func primesLine(ps []int) string {
	if len(ps) == 0 {
		return "no primes"
	}
	strs := make([]string, 0, 12)
	for i, p := range ps {
		if len(ps) > 12 && i == 6 {
			strs = append(strs, "…")
		}
		if len(ps) <= 12 || i < 6 || i >= len(ps)-5 {
			strs = append(strs, fmt.Sprint(p))
		}
	}
	return fmt.Sprintf("the first %d primes: %s", len(ps), strings.Join(strs, ", "))
}
