// Command mcpi estimates π by the Monte Carlo method with a process farm: a producer hands out
// -jobs jobs of -samples random points each over one any-to-any channel to -workers workers, which
// count the points inside the quarter circle and send their counts to a collector. The network ends
// by retirement. It prints the estimate and its error; with the same -seed the estimate is the
// same whatever the number of workers.
//
//	go run ./examples/mcpi -workers 8 -jobs 200 -samples 100000
//
// The shared flags -topology, -debug, -linger and -trace are described by -help.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"

	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
)

func main() {
	var cfg networks.MCPiConfig
	flag.IntVar(&cfg.Workers, "workers", runtime.GOMAXPROCS(0), "workers in the farm")
	flag.IntVar(&cfg.Jobs, "jobs", 100, "jobs handed out")
	flag.IntVar(&cfg.Samples, "samples", 100000, "random points per job")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	f := cli.Register(flag.CommandLine)
	flag.Parse()
	if cfg.Workers < 1 || cfg.Jobs < 1 || cfg.Samples < 1 {
		fmt.Fprintln(os.Stderr, "error: -workers, -jobs and -samples must be at least 1")
		os.Exit(2)
	}
	os.Exit(f.Main(func(opts ...graphs.Option) (*graphs.Network, cli.Report) {
		n, res := networks.MCPi(cfg, opts...)
		return n, func(w io.Writer, err error) error {
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "pi ≈ %.8f (error %.8f) from %d samples in %d jobs over %d workers\n",
				res.Estimate(), res.Error(), res.Samples, res.Jobs, cfg.Workers)
			fmt.Fprintf(w, "math.Pi = %.8f\n", math.Pi)
			return nil
		}
	}))
}
