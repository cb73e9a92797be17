package components

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/gocsp/gocsp/csp"
)

// Farm applies work to every value read from in on workers parallel workers, and writes the
// results to out in the order they are done (not the order of the inputs).
//
// It is one process that, when run, runs a small network inside: a dispatcher that deals each value
// to whichever worker is ready first (an alternation over output guards, one per worker), the
// workers, and a gatherer that merges their results fairly (an alternation over input guards). A
// monitor observing the farm observes these processes too (they appear in snapshots as processes
// started at run time).
//
// Termination follows the package's rule: when in retires, the work in flight is finished, the
// results are written, and out retires. A poison reaching any part of the farm (through in, out or
// a failing worker) poisons every end of the farm, in and out included, at once.
func Farm[In, Out any](name string, workers int, work func(In) Out, in *csp.Reader[In], out *csp.Writer[Out]) *csp.Process {
	workers = max(workers, 1)
	return csp.Proc(name, func(ctx context.Context) error {
		var (
			once  sync.Once
			first error
			all   []csp.End // one end of every channel of the farm, in and out included
		)
		// stop records the first failure of an inner process and poisons every channel of the farm:
		// the whole farm stops at once, not only as each part next touches a poisoned channel. A
		// retirement is no failure: it drains the farm part by part.
		stop := func(err error) error {
			if err = ended(err); err != nil {
				once.Do(func() {
					first = err
					for _, e := range all {
						e.Poison()
					}
				})
			}
			return err
		}
		jobW := make([]*csp.Writer[In], workers)
		resR := make([]*csp.Reader[Out], workers)
		procs := make([]*csp.Process, 0, workers+2)
		for i := range workers {
			jobs := csp.NewChan[In](csp.Named(fmt.Sprintf("%s/job-%d", name, i)))
			res := csp.NewChan[Out](csp.Named(fmt.Sprintf("%s/result-%d", name, i)))
			jobW[i], resR[i] = jobs.Writer(), res.Reader()
			jr, rw := jobs.Reader(), res.Writer()
			procs = append(procs, csp.Proc(fmt.Sprintf("%s/worker-%d", name, i), func(ctx context.Context) error {
				return stop(mapAll(jr, rw, work))
			}, jr, rw).SetKind("Worker"))
		}
		// The dispatcher and the gatherer own the farm's own ends while they run, so that a monitor
		// attributes their waits on in and out to them; the farm process owns them too, for when its
		// inner network never starts.
		dispatch := csp.Proc(name+"/dispatch", func(ctx context.Context) error {
			gs, alt := sendAlt(jobW)
			for {
				v, err := in.Read()
				if err != nil {
					return stop(ended(err))
				}
				for _, g := range gs {
					g.Set(v)
				}
				if _, err := alt.SelectContext(ctx); err != nil {
					return stop(ended(err))
				}
			}
		}, ends(in, jobW)...).SetKind("Dispatcher")
		gather := csp.Proc(name+"/gather", func(ctx context.Context) error {
			return stop(merge(ctx, resR, out))
		}, ends(out, resR)...).SetKind("Gatherer")
		procs = append(procs, dispatch, gather)
		all = append(ends(in, jobW), ends(out, resR)...)
		if err := csp.ParallelContext(ctx, procs...); err != nil {
			return err // failures (a worker's panic, say), each naming its inner process
		}
		return first // nil, or the poison to propagate: the framework poisons the farm's ends
	}, in, out).SetKind("Farm").SetAttr("workers", strconv.Itoa(workers))
}
