package csp_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gocsp/gocsp/csp"
)

// A channel joins reader and writer ends; a write completes when a reader has taken the value.
func ExampleNewChan() {
	c := csp.NewChan[string](csp.Named("greetings"))
	r, w := c.Reader(), c.Writer()
	go func() {
		w.Write("hello")
		w.Retire() // the last writer leaves: readers get ErrRetired once nothing is left
	}()
	v, err := r.Read()
	fmt.Println(v, err)
	_, err = r.Read()
	fmt.Println(errors.Is(err, csp.ErrRetired), err)
	// Output:
	// hello <nil>
	// true csp: read on channel "greetings": retired
}

// Parallel runs a network and waits for it. The producer returns nil, so the framework retires
// its end; the consumer then gets ErrRetired, which is a normal ending.
func ExampleParallel() {
	c := csp.NewChan[int]()
	w, r := c.Writer(), c.Reader()
	sum := 0
	err := csp.Parallel(
		csp.Proc("producer", func(ctx context.Context) error {
			for i := 1; i <= 10; i++ {
				if err := w.Write(i); err != nil {
					return err
				}
			}
			return nil
		}, w),
		csp.Proc("consumer", func(ctx context.Context) error {
			for {
				v, err := r.Read()
				if err != nil {
					return err
				}
				sum += v
			}
		}, r),
	)
	fmt.Println(sum, err)
	// Output: 55 <nil>
}

// Select waits for the first of several guards: an input, an output, or a timeout.
func ExampleSelect() {
	in, out := csp.NewChan[int](), csp.NewChan[string](csp.Buffered(1))
	inr, outw := in.Reader(), out.Writer()
	inw := in.Writer()
	_ = out.Reader() // a reader end exists, so the buffered write can go ahead

	recv := csp.Recv(inr).Do(func(v int) { fmt.Println("received", v) })
	send := csp.Send(outw, "offer").Do(func() { fmt.Println("sent") })
	timeout := csp.Timeout(10 * time.Millisecond).Do(func() { fmt.Println("timed out") })

	// The buffer has room: the output guard is ready at once.
	csp.PriSelect(recv, send, timeout)
	// The buffer is full and no writer is waiting: the timeout fires.
	csp.PriSelect(recv, send, timeout)
	// A writer arrives.
	go inw.Write(42)
	csp.PriSelect(recv, send.When(false), csp.Timeout(time.Minute))
	// Output:
	// sent
	// timed out
	// received 42
}

// A reused Alt's FairSelect takes turns among guards that are ready every time.
func ExampleAlt_FairSelect() {
	var guards []csp.Guard
	for i := 0; i < 3; i++ {
		c := csp.NewChan[int](csp.Buffered(10))
		w := c.Writer()
		for j := 0; j < 10; j++ {
			w.Write(i)
		}
		guards = append(guards, csp.Recv(c.Reader()))
	}
	alt := csp.NewAlt(guards...)
	for range 7 {
		i, _ := alt.FairSelect()
		fmt.Print(i, " ")
	}
	fmt.Println()
	// Output: 0 1 2 0 1 2 0
}

// Poison shuts a pipeline down from either end: every process blocked on the channel, and every
// later operation, gets ErrPoisoned; a writer's poison lets readers drain the buffer first.
func ExampleWriter_Poison() {
	c := csp.NewChan[int](csp.Named("jobs"), csp.Buffered(3))
	w, r := c.Writer(), c.Reader()
	w.Write(1)
	w.Write(2)
	w.Poison()
	for {
		v, err := r.Read()
		if err != nil {
			fmt.Println(errors.Is(err, csp.ErrPoisoned), err)
			break
		}
		fmt.Println(v)
	}
	// Output:
	// 1
	// 2
	// true csp: read on channel "jobs": poisoned
}

// A failing process poisons the ends it owns, so its neighbours stop instead of hanging, and
// Parallel reports the failure by process name.
func ExampleProc_poison() {
	c := csp.NewChan[int](csp.Named("readings"))
	w, r := c.Writer(), c.Reader()
	err := csp.Parallel(
		csp.Proc("faulty", func(ctx context.Context) error {
			w.Write(1)
			return errors.New("sensor offline")
		}, w),
		csp.Proc("logger", func(ctx context.Context) error {
			for {
				v, err := r.Read()
				if err != nil {
					fmt.Println("logger:", err)
					return err
				}
				fmt.Println("logged", v)
			}
		}, r),
	)
	fmt.Println(err)
	// Output:
	// logged 1
	// logger: csp: read on channel "readings": poisoned
	// csp: process "faulty": sensor offline
}

// A farm: workers share the jobs channel and the results channel, each through its own ends, and
// each returns the error its Read gave. When the producer is done, each worker sees ErrRetired and
// returns it, which retires only its own writer of results: the collector gets ErrRetired after the
// last worker's last result, and nothing is lost.
func ExampleProc_farm() {
	jobs, results := csp.NewChan[int](csp.Named("jobs")), csp.NewChan[int](csp.Named("results"))
	jw := jobs.Writer()
	procs := []*csp.Process{csp.Proc("producer", func(ctx context.Context) error {
		for i := 1; i <= 100; i++ {
			if err := jw.Write(i); err != nil {
				return err
			}
		}
		return nil
	}, jw)}
	for k := range 3 {
		r, w := jobs.Reader(), results.Writer()
		procs = append(procs, csp.Proc(fmt.Sprintf("worker-%d", k), func(ctx context.Context) error {
			for {
				v, err := r.Read()
				if err != nil {
					return err // ErrRetired when the jobs run out: retires w, poisons nothing
				}
				if err := w.Write(v * v); err != nil {
					return err
				}
			}
		}, r, w))
	}
	rr := results.Reader()
	sum, n := 0, 0
	procs = append(procs, csp.Proc("collector", func(ctx context.Context) error {
		for {
			v, err := rr.Read()
			if err != nil {
				return err
			}
			sum, n = sum+v, n+1
		}
	}, rr))
	err := csp.Parallel(procs...)
	fmt.Println(n, sum, err)
	// Output:
	// 100 338350 <nil>
}

// Under CancelOnFailure a failing process cancels the context of its siblings, so one that waits on
// its context (here, a ticker loop) stops too; only the real failure is reported.
func ExampleCancelOnFailure() {
	err := csp.ParallelContext(csp.CancelOnFailure(context.Background()),
		csp.Proc("sensor", func(ctx context.Context) error { return errors.New("sensor offline") }),
		csp.Proc("heartbeat", func(ctx context.Context) error {
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-t.C:
				}
			}
		}),
	)
	fmt.Println(err)
	// Output:
	// csp: process "sensor": sensor offline
}
