package networks

import (
	"math"
	"time"

	"github.com/gocsp/gocsp/graphs"
)

// Demo is an example network sized to be watched in a viewer (cspviz demo): slow enough, or long
// enough, that its states can be seen changing. Cancel the context given to Run to stop one early.
type Demo struct {
	Name        string
	Description string
	// New builds a fresh network; call it for each run, since a network runs once.
	New func(opts ...graphs.Option) *graphs.Network
}

// Demos returns the example networks as demos, a new list on each call.
func Demos() []Demo {
	return []Demo{
		{
			Name:        "commstime",
			Description: "prefix → delta → successor ring with a consumer; runs until cancelled",
			New: func(opts ...graphs.Option) *graphs.Network {
				n, _ := Commstime(CommstimeConfig{Cycles: math.MaxInt}, opts...)
				return n
			},
		},
		{
			Name:        "sieve",
			Description: "dynamic prime sieve: each filter spawns the next; 200 primes, 250ms apart",
			New: func(opts ...graphs.Option) *graphs.Network {
				n, _ := Sieve(SieveConfig{Primes: 200, OnPrime: func(int) { time.Sleep(250 * time.Millisecond) }}, opts...)
				return n
			},
		},
		{
			Name:        "mcpi",
			Description: "Monte Carlo π: producer, a farm of 4 workers, collector",
			New: func(opts ...graphs.Option) *graphs.Network {
				n, _ := MCPi(MCPiConfig{Workers: 4, Jobs: 2000, Samples: 200000, Seed: 1}, opts...)
				return n
			},
		},
		{
			Name:        "mandelbrot",
			Description: "rows → GPU kernel process (CPU backend) → assembler: a 2048² Mandelbrot image",
			New: func(opts ...graphs.Option) *graphs.Network {
				n, _ := Mandelbrot(MandelbrotConfig{Size: 2048, MaxIter: 4096, Batch: 4}, opts...)
				return n
			},
		},
		{
			Name:        "gpupipeline",
			Description: "vectors through SAXPY and Sum as upload → kernel → download GPU stages (CPU backend)",
			New: func(opts ...graphs.Option) *graphs.Network {
				n, _ := GPUPipeline(GPUPipelineConfig{Vectors: 1 << 20, Length: 1 << 16, Pipelined: true}, opts...)
				return n
			},
		},
		{
			Name:        "philosophers",
			Description: "five dining philosophers and a butler, for a minute",
			New: func(opts ...graphs.Option) *graphs.Network {
				n, _ := Philosophers(PhilosophersConfig{Duration: time.Minute, MaxPause: 300 * time.Millisecond}, opts...)
				return n
			},
		},
		{
			Name:        "philosophers-deadlock",
			Description: "five dining philosophers without a butler: they deadlock at once",
			New: func(opts ...graphs.Option) *graphs.Network {
				n, _ := Philosophers(PhilosophersConfig{Deadlock: true}, opts...)
				return n
			},
		},
	}
}
