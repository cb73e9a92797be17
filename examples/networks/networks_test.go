package networks

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocsp/gocsp/graphs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func run(t *testing.T, n *graphs.Network) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := n.Run(ctx)
	if ctx.Err() != nil {
		t.Fatalf("network did not end in time: %v", err)
	}
	return err
}

func TestCommstime(t *testing.T) {
	const cycles = 5000
	n, res := Commstime(CommstimeConfig{Cycles: cycles})
	if err := run(t, n); err != nil {
		t.Fatal(err)
	}
	if res.Cycles != cycles {
		t.Fatalf("consumer took %d values, want %d", res.Cycles, cycles)
	}
	if res.Elapsed <= 0 || res.NsPerComm() <= 0 {
		t.Fatalf("elapsed %v, %v ns/comm", res.Elapsed, res.NsPerComm())
	}
}

func TestCommstimeGo(t *testing.T) {
	if d := CommstimeGo(1000); d <= 0 {
		t.Fatalf("elapsed %v", d)
	}
}

func TestSieve(t *testing.T) {
	want := []int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71}
	var streamed []int
	n, res := Sieve(SieveConfig{Primes: 20, OnPrime: func(p int) { streamed = append(streamed, p) }})
	if err := run(t, n); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Primes, want) {
		t.Fatalf("primes %v, want %v", res.Primes, want)
	}
	if !slices.Equal(streamed, want) {
		t.Fatalf("OnPrime saw %v, want %v", streamed, want)
	}
	if res.Filters() != len(want)+1 {
		t.Fatalf("%d filters ran, want %d", res.Filters(), len(want)+1)
	}
}

func TestSieveLong(t *testing.T) {
	n, res := Sieve(SieveConfig{Primes: 500})
	if err := run(t, n); err != nil {
		t.Fatal(err)
	}
	if len(res.Primes) != 500 || res.Primes[499] != 3571 {
		t.Fatalf("got %d primes, last %d; want 500, last 3571", len(res.Primes), res.Primes[len(res.Primes)-1])
	}
}

func TestMCPi(t *testing.T) {
	cfg := MCPiConfig{Workers: 3, Jobs: 40, Samples: 20000, Seed: 7}
	n, res := MCPi(cfg)
	if err := run(t, n); err != nil {
		t.Fatal(err)
	}
	if res.Jobs != cfg.Jobs || res.Samples != cfg.Jobs*cfg.Samples {
		t.Fatalf("collected %d jobs, %d samples", res.Jobs, res.Samples)
	}
	if res.Error() > 0.02 {
		t.Fatalf("estimate %v is %v off π", res.Estimate(), res.Error())
	}
	// The estimate depends on the seed only, not on which worker ran which job.
	n2, res2 := MCPi(MCPiConfig{Workers: 5, Jobs: 40, Samples: 20000, Seed: 7})
	if err := run(t, n2); err != nil {
		t.Fatal(err)
	}
	if res2.Hits != res.Hits {
		t.Fatalf("same seed, %d hits with 3 workers and %d with 5", res.Hits, res2.Hits)
	}
	if math.Abs(res.Estimate()-math.Pi) != res.Error() {
		t.Fatal("Error is not |Estimate-π|")
	}
}

func TestPhilosophersWithButler(t *testing.T) {
	n, res := Philosophers(PhilosophersConfig{Duration: 300 * time.Millisecond, MaxPause: 200 * time.Microsecond})
	if err := run(t, n); err != nil {
		t.Fatal(err)
	}
	meals := res.Meals()
	if len(meals) != 5 {
		t.Fatalf("%d philosophers", len(meals))
	}
	for i, m := range meals {
		if m == 0 {
			t.Errorf("philosopher-%d never ate: %v", i, meals)
		}
	}
}

func TestPhilosophersDeadlock(t *testing.T) {
	n, res := Philosophers(PhilosophersConfig{Deadlock: true, Duration: 10 * time.Second})
	err := run(t, n)
	var dl *graphs.DeadlockError
	if !errors.As(err, &dl) {
		t.Fatalf("Run returned %v, want a *DeadlockError", err)
	}
	msg := dl.Error()
	for i := range 5 {
		for _, name := range []string{"philosopher-", "fork-", "left-fork-", "right-fork-"} {
			if want := name + string(rune('0'+i)); !strings.Contains(msg, want) {
				t.Errorf("deadlock message lacks %q: %s", want, msg)
			}
		}
	}
	if got := res.Meals(); slices.Max(got) != 0 {
		t.Errorf("meals %v in a network that deadlocks on the first round", got)
	}
}

func TestDemos(t *testing.T) {
	for _, d := range Demos() {
		t.Run(d.Name, func(t *testing.T) {
			n, _ := d.New()
			if err := n.Topology().Validate(); err != nil {
				t.Fatal(err)
			}
			// Each demo runs, and stops when cancelled (the deadlock one ends by itself).
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := n.Run(ctx)
			var dl *graphs.DeadlockError
			switch {
			case d.Name == "philosophers-deadlock":
				if !errors.As(err, &dl) {
					t.Fatalf("Run: %v, want a deadlock", err)
				}
			case err != nil && !errors.Is(err, context.DeadlineExceeded):
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

func TestMandelbrot(t *testing.T) {
	var images [][]uint32
	for _, pipelined := range []bool{false, true} {
		n, res := Mandelbrot(MandelbrotConfig{Size: 48, MaxIter: 100, Batch: 5, Pipelined: pipelined})
		if err := run(t, n); err != nil {
			t.Fatal(err)
		}
		if res.Rows != 48 || len(res.Counts) != 48*48 {
			t.Fatalf("%d rows, %d counts", res.Rows, len(res.Counts))
		}
		// The centre (-0.6) is inside the set; the top-left corner (-2.1+1.5i) escapes at once.
		if c := res.Counts[24*48+24]; c != 100 {
			t.Errorf("centre count %d, want 100", c)
		}
		if c := res.Counts[0]; c > 2 {
			t.Errorf("corner count %d", c)
		}
		images = append(images, res.Counts)
	}
	if !slices.Equal(images[0], images[1]) {
		t.Error("Proc and Pipeline give different images")
	}
}

func TestGPUPipeline(t *testing.T) {
	for _, pipelined := range []bool{false, true} {
		n, res := GPUPipeline(GPUPipelineConfig{Vectors: 13, Length: 300, Batch: 4, Pipelined: pipelined, Seed: 3})
		if err := run(t, n); err != nil {
			t.Fatal(err)
		}
		if res.Vectors != 13 || res.Elements != 13*300 {
			t.Fatalf("%+v", res)
		}
		if mean := res.Total / float64(res.Elements); math.Abs(mean-1.5) > 0.05 {
			t.Errorf("mean of 2x+y over uniform x, y is %v, want about 1.5", mean)
		}
	}
}

// Pacing the producer (as the mcpi demo does) slows the farm down but does not change the estimate.
func TestMCPiPaceKeepsTheEstimate(t *testing.T) {
	cfg := MCPiConfig{Workers: 3, Jobs: 12, Samples: 1000, Seed: 7}
	n, plain := MCPi(cfg)
	if err := n.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Pace = time.Millisecond
	n, paced := MCPi(cfg)
	if err := n.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if *plain != *paced {
		t.Fatalf("paced %+v, plain %+v", *paced, *plain)
	}
}

func TestPrimesLine(t *testing.T) {
	for in, want := range map[int]string{
		0:  "no primes",
		3:  "the first 3 primes: 2, 3, 5",
		20: "the first 20 primes: 2, 3, 5, 7, 11, 13, …, 53, 59, 61, 67, 71",
	} {
		n, res := Sieve(SieveConfig{Primes: max(in, 1)})
		if err := n.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if in == 0 {
			res.Primes = nil
		}
		if got := primesLine(res.Primes); got != want {
			t.Errorf("primesLine(%d primes) = %q, want %q", in, got, want)
		}
	}
}

// The remote farm with its four nodes in this process counts right, over real loopback links, and
// leaves no goroutine behind (TestMain's goleak): each process closes its node as it ends.
func TestRemoteFarm(t *testing.T) {
	n, out, err := RemoteFarm(RemoteFarmConfig{Workers: 3, Jobs: 60})
	if err != nil {
		t.Fatal(err)
	}
	top := n.Topology()
	remote := 0
	for _, c := range top.Channels {
		if c.Remote != "" {
			remote++
		}
	}
	if remote != 6 {
		t.Errorf("%d remote channels in the topology, want the dispatcher's 6", remote)
	}
	if err := run(t, n); err != nil {
		t.Fatal(err)
	}
	if want := CountPrimes(0, 60*FarmSpan); out.Total() != want || out.Duplicates != 0 {
		t.Fatalf("%d primes (%d duplicates), want %d", out.Total(), out.Duplicates, want)
	}
}
