package networks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/components"
)

// MCPiConfig sizes the Monte Carlo π network.
type MCPiConfig struct {
	Workers int    // workers in the farm (default 4)
	Jobs    int    // jobs the producer hands out (default 100)
	Samples int    // random points per job (default 100000)
	Seed    uint64 // seeds every job's generator; the estimate depends on it, not on scheduling
	// Pace, if set, is the time the producer waits before each job, so that a viewer can watch
	// the farm work; the estimate does not depend on it.
	Pace time.Duration
}

// MCPiJob is one job: throw Samples points with a generator seeded by (Seed, Index).
type MCPiJob struct {
	Index   int
	Seed    uint64
	Samples int
}

// MCPiCount is a worker's answer to one job: how many of its points fell inside the quarter circle.
type MCPiCount struct {
	Index   int
	Hits    int
	Samples int
}

// MCPiResult is what the collector summed. Read it after Run.
type MCPiResult struct {
	Jobs    int // answers collected
	Hits    int
	Samples int
}

// Estimate returns the estimate of π: four times the fraction of points inside the quarter circle.
func (r *MCPiResult) Estimate() float64 {
	if r.Samples == 0 {
		return 0
	}
	return 4 * float64(r.Hits) / float64(r.Samples)
}

// Error returns |Estimate − π|.
func (r *MCPiResult) Error() float64 { return math.Abs(r.Estimate() - math.Pi) }

// MCPi builds a Monte Carlo estimate of π: a producer writes cfg.Jobs jobs on "jobs", a farm of
// cfg.Workers workers (worker-0 …) each holding its own reader end of "jobs" and writer end of
// "counts" (any-to-any channels) throws the points, and a collector sums the counts. The network
// ends by retirement: the producer retires after the last job, each worker then retires, and the
// collector's read fails with ErrRetired once the last worker has gone.
func MCPi(cfg MCPiConfig, opts ...graphs.Option) (*graphs.Network, *MCPiResult) {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = 100
	}
	if cfg.Samples <= 0 {
		cfg.Samples = 100000
	}
	jobs := csp.NewChan[MCPiJob](csp.Named("jobs"))
	counts := csp.NewChan[MCPiCount](csp.Named("counts"))
	res := &MCPiResult{}

	jobList := make([]MCPiJob, cfg.Jobs)
	for i := range jobList {
		jobList[i] = MCPiJob{Index: i, Seed: cfg.Seed, Samples: cfg.Samples}
	}
	var producer *csp.Process
	if cfg.Pace <= 0 {
		producer = components.Generator("producer", jobList, jobs.Writer())
	} else {
		out := jobs.Writer()
		producer = csp.Proc("producer", func(ctx context.Context) error {
			for _, j := range jobList {
				if err := csp.Sleep(ctx, cfg.Pace); err != nil {
					return err
				}
				if err := out.Write(j); err != nil {
					return err
				}
			}
			return nil
		}, out).SetKind("Generator")
	}
	// Each worker is a components.Map, which ends normally when "jobs" retires, so that every count
	// in flight still reaches the collector.
	workers := csp.Replicate(cfg.Workers, func(i int) *csp.Process {
		return components.Map(fmt.Sprintf("worker-%d", i), throw, jobs.Reader(), counts.Writer())
	})

	in := counts.Reader()
	collector := csp.Proc("collector", func(ctx context.Context) error {
		for {
			c, err := in.Read()
			if errors.Is(err, csp.ErrRetired) {
				if res.Jobs != cfg.Jobs {
					return fmt.Errorf("collector: %d answers for %d jobs", res.Jobs, cfg.Jobs)
				}
				return nil
			}
			if err != nil {
				return err
			}
			res.Jobs++
			res.Hits += c.Hits
			res.Samples += c.Samples
		}
	}, in).SetKind("Collector")

	n := graphs.New("mcpi", opts...).Add(producer).Add(workers...).Add(collector)
	return n, res
}

// throw runs one job.
func throw(job MCPiJob) MCPiCount {
	rng := rand.New(rand.NewPCG(job.Seed, uint64(job.Index)))
	hits := 0
	for range job.Samples {
		x, y := rng.Float64(), rng.Float64()
		if x*x+y*y <= 1 {
			hits++
		}
	}
	return MCPiCount{Index: job.Index, Hits: hits, Samples: job.Samples}
}
