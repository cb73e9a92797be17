package gpu

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gocsp/gocsp/csp"
)

// ProcOption configures Proc and Pipeline.
type ProcOption func(*procConfig)

type procConfig struct {
	batch   int
	overlap bool
}

// Batch sets the most vectors a process gathers into one launch (default 1). It waits for one
// vector, then takes those that are ready at once, never waiting to fill a batch; so a batch may
// be smaller, the last one before the input retires or is poisoned too, and is processed all
// the same.
func Batch(n int) ProcOption { return func(c *procConfig) { c.batch = n } }

// Overlap turns the overlap of a Pipeline's copies and kernels on (the default) or off: off, the
// CUDA backend runs every stage on one stream and waits for each, which is the baseline that shows
// what overlapping buys. The CPU backend's stages are ordinary goroutines either way.
func Overlap(on bool) ProcOption { return func(c *procConfig) { c.overlap = on } }

func procOptions(op string, opts []ProcOption) procConfig {
	c := procConfig{batch: 1, overlap: true}
	for _, o := range opts {
		o(&c)
	}
	if c.batch < 1 {
		panic(fmt.Sprintf("gpu.%s: Batch(%d): want at least 1", op, c.batch))
	}
	return c
}

func checkProc[In, Out any](op, name string, d *Device, k Kernel[In, Out], in *csp.Reader[[]In], out *csp.Writer[[]Out]) {
	k.check(op)
	if d == nil || in == nil || out == nil {
		panic(fmt.Sprintf("gpu.%s %q: nil device, input or output", op, name))
	}
}

// label gives a GPU process its kind and attributes, for topologies and cspviz.
func label[In, Out any](p *csp.Process, d *Device, k Kernel[In, Out], cfg procConfig) *csp.Process {
	return p.SetKind("gpu."+k.name).
		SetAttr("backend", d.Backend().String()).
		SetAttr("device", d.Name()).
		SetAttr("batch", strconv.Itoa(cfg.batch))
}

// Proc returns a process that runs k over the vectors it reads from in and writes one result
// vector per input vector to out, in order: the whole output for an element-wise kernel, a vector
// of one for a reduction. It gathers up to Batch vectors per launch (an element-wise kernel runs
// them as one launch). When in retires or is poisoned, the vectors already read are processed and written
// first; then the process ends, retiring or poisoning out as the csp rules say. It owns in and out.
func Proc[In, Out any](name string, d *Device, k Kernel[In, Out], in *csp.Reader[[]In], out *csp.Writer[[]Out], opts ...ProcOption) *csp.Process {
	checkProc("Proc", name, d, k, in, out)
	cfg := procOptions("Proc", opts)
	p := csp.Proc(name, func(context.Context) error {
		// The process's own stream, so that Procs on one device run at once; made at the first
		// batch.
		var st streams
		defer func() {
			if st != nil {
				st.close()
			}
		}()
		g := newGatherer(in, cfg.batch)
		batch := make([][]In, 0, cfg.batch)
		for {
			var rerr error
			batch, rerr = g.next(batch)
			if len(batch) > 0 {
				if st == nil && d.eng != nil {
					var err error
					if st, err = d.eng.streams(false); err != nil {
						return fmt.Errorf("gpu process %s: %w", name, err)
					}
				}
				res, err := k.execBatch(d, st, batch)
				clear(batch)
				if err != nil {
					return fmt.Errorf("gpu process %s: %w", name, err)
				}
				for _, r := range res {
					if err := out.Write(r); err != nil {
						return err
					}
				}
			}
			// ErrRetired is the normal end of the input: nil, so that the framework retires
			// this process's other ends and the end travels on; nil rather than the ErrRetired
			// itself keeps the result "ended normally" for every runner, also one that counts a
			// returned ErrRetired as a failure (as components/termination.go says).
			if errors.Is(rerr, csp.ErrRetired) {
				return nil
			}
			if rerr != nil {
				return rerr
			}
		}
	}, in, out)
	return label(p, d, k, cfg)
}

// execBatch runs k over each vector of vs and returns the results: on the CPU vector by vector
// on Go memory; on an engine (st) as one staged upload, the launches and one download.
func (k Kernel[In, Out]) execBatch(d *Device, st streams, vs [][]In) ([][]Out, error) {
	if d.isClosed() {
		return nil, ErrClosed
	}
	res := make([][]Out, len(vs))
	total := 0
	for i, v := range vs {
		total += len(v)
		res[i] = make([]Out, k.outLen(len(v)))
	}
	if total > maxLaunch {
		return nil, errTooLarge(k.name, total)
	}
	if st != nil {
		if err := k.execOn(d, st, vs, res); err != nil {
			return nil, err
		}
		return res, nil
	}
	for i, v := range vs {
		k.cpu(d, v, res[i])
	}
	return res, nil
}
