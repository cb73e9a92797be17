package networks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/gpu"
	"github.com/gocsp/gocsp/graphs"
)

// GPUPipelineConfig sizes the GPU pipeline network.
type GPUPipelineConfig struct {
	// Device runs the kernels; nil opens the CPU backend (which needs no Close).
	Device  *gpu.Device
	Vectors int     // vectors streamed (default 256)
	Length  int     // elements per vector (default 1<<16)
	A       float32 // SAXPY's factor (default 2)
	Batch   int     // vectors per launch (default 4)
	Seed    uint64  // seeds the vectors' contents
	// Pipelined runs each kernel as upload, kernel and download stages (gpu.Pipeline);
	// otherwise as one gpu.Proc each.
	Pipelined bool
	// Pace, if set, is a pause before each vector the source writes, so that a viewer can watch.
	Pace time.Duration
}

// GPUPipelineResult is what the collector summed. Read it after Run.
type GPUPipelineResult struct {
	Vectors  int     // sums collected
	Elements int     // elements that went through both kernels
	Total    float64 // the sum of the vectors' sums
}

// GPUPipeline builds a stream of vectors through two GPU processes: "source" writes cfg.Vectors
// random vectors of (x, y) pairs (a few distinct ones, repeated), "saxpy" computes a·x + y, "sum"
// reduces each result to its sum, and "collector" adds the sums up. It ends by retirement after
// the last vector.
func GPUPipeline(cfg GPUPipelineConfig, opts ...graphs.Option) (*graphs.Network, *GPUPipelineResult) {
	if cfg.Vectors <= 0 {
		cfg.Vectors = 256
	}
	if cfg.Length <= 0 {
		cfg.Length = 1 << 16
	}
	if cfg.A == 0 {
		cfg.A = 2
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 4
	}
	d := cfg.Device
	if d == nil {
		var err error
		if d, err = gpu.Open(gpu.WithBackend(gpu.BackendCPU)); err != nil {
			panic(err) // the CPU backend always opens
		}
	}
	res := &GPUPipelineResult{}
	pairs := csp.NewChan[[]gpu.XY](csp.Named("pairs"))
	ys := csp.NewChan[[]float32](csp.Named("ys"))
	sums := csp.NewChan[[]float64](csp.Named("sums"))

	// A few distinct vectors, made here and written over and over (the kernels only read them),
	// so that the throughput measured is the GPU processes', not the random generator's.
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	distinct := make([][]gpu.XY, min(cfg.Vectors, 8))
	for j := range distinct {
		distinct[j] = make([]gpu.XY, cfg.Length)
		for i := range distinct[j] {
			distinct[j][i] = gpu.XY{X: rng.Float32(), Y: rng.Float32()}
		}
	}
	srcW := pairs.Writer()
	source := csp.Proc("source", func(context.Context) error {
		for i := range cfg.Vectors {
			if cfg.Pace > 0 {
				time.Sleep(cfg.Pace)
			}
			if err := srcW.Write(distinct[i%len(distinct)]); err != nil {
				return err
			}
		}
		return nil
	}, srcW).SetKind("Generator")

	var stages []*csp.Process
	if cfg.Pipelined {
		stages = append(gpu.Pipeline("saxpy", d, gpu.SAXPY(cfg.A), pairs.Reader(), ys.Writer(), gpu.Batch(cfg.Batch)),
			gpu.Pipeline("sum", d, gpu.Sum(), ys.Reader(), sums.Writer(), gpu.Batch(cfg.Batch))...)
	} else {
		stages = []*csp.Process{
			gpu.Proc("saxpy", d, gpu.SAXPY(cfg.A), pairs.Reader(), ys.Writer(), gpu.Batch(cfg.Batch)),
			gpu.Proc("sum", d, gpu.Sum(), ys.Reader(), sums.Writer(), gpu.Batch(cfg.Batch)),
		}
	}

	in := sums.Reader()
	collector := csp.Proc("collector", func(context.Context) error {
		for {
			s, err := in.Read()
			if errors.Is(err, csp.ErrRetired) {
				if res.Vectors != cfg.Vectors {
					return fmt.Errorf("collector: %d sums for %d vectors", res.Vectors, cfg.Vectors)
				}
				return nil
			}
			if err != nil {
				return err
			}
			res.Vectors++
			res.Elements += cfg.Length
			res.Total += s[0]
		}
	}, in).SetKind("Collector")

	return graphs.New("gpupipeline", opts...).Add(source).Add(stages...).Add(collector), res
}
