// Command philosophers runs the dining philosophers, occam style: forks are processes that
// philosophers pick up and put down by writing on the fork's channels (left-fork-j from
// philosopher j, right-fork-j from philosopher j−1). A butler, alternating over the philosophers'
// sit-down and stand-up channels with one reused csp.Alt whose sit-down guards are enabled only
// while fewer than N−1 are seated, keeps a cycle from forming. They dine for -d and it prints how
// often each philosopher ate.
//
//	go run ./examples/philosophers -d 2s
//
// With -deadlock there is no butler: every philosopher picks up the left fork, waits until all
// have theirs, and reaches for the right one, and the network deadlocks. graphs detects it, ends the network, and the command
// prints the *graphs.DeadlockError, which names the wait-for cycle in philosopher, fork and channel
// names. Because that deadlock is what -deadlock sets out to show, the command then exits 0; it
// exits 1 if the network did not deadlock, or on any other failure.
//
//	go run ./examples/philosophers -deadlock
//
// The shared flags -topology, -debug, -linger and -trace are described by -help; with -debug and
// -linger a viewer can look at the deadlocked network after it ended.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
)

func main() {
	var cfg networks.PhilosophersConfig
	flag.IntVar(&cfg.N, "n", 5, "philosophers (and forks), at least 2")
	flag.DurationVar(&cfg.Duration, "d", 2*time.Second, "how long they dine")
	flag.DurationVar(&cfg.MaxPause, "pause", time.Millisecond, "longest time a philosopher thinks, and eats")
	flag.BoolVar(&cfg.Deadlock, "deadlock", false, "no butler: run the classic version that deadlocks")
	f := cli.Register(flag.CommandLine)
	flag.Parse()
	if cfg.N < 2 || cfg.Duration <= 0 || cfg.MaxPause <= 0 {
		fmt.Fprintln(os.Stderr, "error: -n must be at least 2, -d and -pause positive")
		os.Exit(2)
	}
	os.Exit(f.Main(func(opts ...graphs.Option) (*graphs.Network, cli.Report) {
		n, res := networks.Philosophers(cfg, opts...)
		return n, func(w io.Writer, err error) error {
			var dl *graphs.DeadlockError
			if cfg.Deadlock && errors.As(err, &dl) {
				fmt.Fprintln(w, dl.Error())
				return nil
			}
			if err != nil {
				return err
			}
			for i, m := range res.Meals() {
				fmt.Fprintf(w, "philosopher-%d ate %d times\n", i, m)
			}
			if cfg.Deadlock {
				return errors.New("the philosophers did not deadlock")
			}
			return nil
		}
	}))
}
