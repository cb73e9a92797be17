package components

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFarmWorkerPanicPoisonsEveryEnd(t *testing.T) {
	in, out := csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := run(
		Generator("gen", []int{1, 2, 3, 4, 5, 6}, in.Writer()),
		Farm("farm", 2, func(v int) int {
			if v == 3 {
				panic("three")
			}
			return v
		}, in.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	)
	var pan *csp.PanicError
	require.ErrorAs(t, err, &pan)
	assert.Equal(t, "three", pan.Value)
	assert.True(t, out.Stats().Poisoned)
	assert.True(t, in.Stats().Poisoned)
	assert.False(t, errors.Is(err, context.Canceled), "the farm's own shutdown is not reported")
}

// A worker's failure poisons the farm's input at once, even while the dispatcher waits on it and
// the producer will not write again: otherwise the producer (and the network) would wait forever.
func TestFarmFailureReachesUpstreamAtOnce(t *testing.T) {
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	iw := in.Writer()
	done := make(chan error, 1)
	go func() {
		var got []int
		done <- run(
			csp.Proc("producer", func(ctx context.Context) error {
				if err := iw.Write(3); err != nil {
					return err
				}
				for !in.Stats().Poisoned { // never writes again: only the farm's poison ends this
					time.Sleep(time.Millisecond)
				}
				return nil
			}, iw),
			Farm("farm", 2, func(v int) int { panic("three") }, in.Reader(), out.Writer()),
			Collector("col", out.Reader(), &got),
		)
	}()
	select {
	case err := <-done:
		var pan *csp.PanicError
		require.ErrorAs(t, err, &pan)
	case <-time.After(10 * time.Second):
		t.Fatal("the farm's failure never reached its input")
	}
}

// When the input retires, the work in flight is finished and every result arrives: the end of the
// stream drains the farm, it never poisons it. Run many times, so that the input's retirement
// meets the workers and the gatherer in every order.
func TestFarmDeliversEveryResultWhenInputRetires(t *testing.T) {
	const jobs = 50
	for run := range scaled(2000) {
		workers := 1 + run%4
		got, in, out := farmRun(t, workers, jobs)
		if len(got) != jobs || in.Stats().Poisoned || out.Stats().Poisoned {
			t.Fatalf("run %d, %d workers: %d of %d results (in poisoned %v, out poisoned %v)",
				run, workers, len(got), jobs, in.Stats().Poisoned, out.Stats().Poisoned)
		}
		slices.Sort(got)
		for i, v := range got {
			if v != i*i {
				t.Fatalf("run %d: results %v", run, got)
			}
		}
	}
}

// farmRun squares 0..jobs-1 through a Farm of the given size and returns what came out.
func farmRun(t *testing.T, workers, jobs int) (got []int, in, out *csp.Chan[int]) {
	t.Helper()
	in, out = csp.NewChan[int](csp.Named("jobs")), csp.NewChan[int](csp.Named("results"))
	vs := make([]int, jobs)
	for i := range vs {
		vs[i] = i
	}
	if err := run(
		Generator("gen", vs, in.Writer()),
		Farm("square", workers, func(v int) int { return v * v }, in.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	); err != nil {
		t.Fatal(err)
	}
	return got, in, out
}

// Hand-made farms in the style the README teaches: each worker is a plain process that returns
// the error its Read or Write gave. The one that sees the jobs retired returns that ErrRetired,
// which must retire its ends (not poison them), so that its siblings still deliver the results they
// are writing. Two shapes: every worker writes one shared results channel, or each writes its own
// and a Mux merges them (so Mux must keep reading after one worker's channel retires).
func TestFarmOfWorkersReturningTheirErrorDeliversEveryResult(t *testing.T) {
	for _, shape := range []string{"shared-results", "mux-merged"} {
		t.Run(shape, func(t *testing.T) {
			const jobs = 50
			for r := range scaled(2000) {
				got, err := handFarm(shape, 1+r%4, jobs)
				if err != nil {
					t.Fatalf("run %d: %v", r, err)
				}
				if len(got) != jobs {
					t.Fatalf("run %d, %d workers: %d of %d results arrived", r, 1+r%4, len(got), jobs)
				}
			}
		})
	}
}

// handFarm runs a Generator of jobs, workers plain worker processes and a Collector; with shape
// "mux-merged" each worker has its own results channel and a Mux merges them.
func handFarm(shape string, workers, jobs int) ([]int, error) {
	jobCh := csp.NewChan[int](csp.Named("jobs"))
	vs := make([]int, jobs)
	for i := range vs {
		vs[i] = i
	}
	results := csp.NewChan[int](csp.Named("results"))
	procs := []*csp.Process{Generator("gen", vs, jobCh.Writer())}
	var merged []*csp.Reader[int]
	for i := range workers {
		res := results
		if shape == "mux-merged" {
			res = csp.NewChan[int](csp.Named(fmt.Sprintf("results-%d", i)))
			merged = append(merged, res.Reader())
		}
		jr, rw := jobCh.Reader(), res.Writer()
		procs = append(procs, csp.Proc(fmt.Sprintf("worker-%d", i), func(ctx context.Context) error {
			for {
				v, err := jr.Read()
				if err != nil {
					return err // ErrRetired when the jobs run out: retires rw, does not poison it
				}
				if err := rw.Write(v * v); err != nil {
					return err
				}
			}
		}, jr, rw))
	}
	if shape == "mux-merged" {
		procs = append(procs, Mux("merge", merged, results.Writer()))
	}
	var got []int
	procs = append(procs, Collector("col", results.Reader(), &got))
	err := run(procs...)
	if err == nil && results.Stats().Poisoned {
		err = errors.New("the results channel was poisoned")
	}
	return got, err
}
