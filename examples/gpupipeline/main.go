// Command gpupipeline streams vectors through two GPU processes, SAXPY and then a sum reduction,
// and prints the throughput. With -pipeline each kernel runs as upload, kernel and download
// stages, so that on a GPU the copies of one batch overlap the kernel of another.
//
//	go run ./examples/gpupipeline -vectors 512 -n 65536
//	go run -tags cuda ./examples/gpupipeline -backend cuda -pipeline   # needs the NVIDIA driver
//
// The shared flags -topology, -debug, -linger and -trace are described by -help.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/gpu"
	"github.com/gocsp/gocsp/graphs"
)

func main() {
	var cfg networks.GPUPipelineConfig
	backend := flag.String("backend", "auto", "where the kernels run: cpu, cuda or auto")
	flag.IntVar(&cfg.Vectors, "vectors", 256, "vectors streamed")
	flag.IntVar(&cfg.Length, "n", 1<<16, "elements per vector")
	flag.IntVar(&cfg.Batch, "batch", 4, "vectors per kernel launch")
	flag.BoolVar(&cfg.Pipelined, "pipeline", false, "run each kernel as upload, kernel and download stages")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seeds the vectors' contents")
	a := flag.Float64("a", 2, "SAXPY's factor a in a·x + y")
	f := cli.Register(flag.CommandLine)
	flag.Parse()
	b, err := gpu.ParseBackend(*backend)
	if err != nil || cfg.Vectors < 1 || cfg.Length < 1 || cfg.Batch < 1 {
		fmt.Fprintln(os.Stderr, "error: -backend must be cpu, cuda or auto; -vectors, -n and -batch at least 1")
		os.Exit(2)
	}
	cfg.A = float32(*a)
	dev, err := gpu.Open(gpu.WithBackend(b))
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	cfg.Device = dev
	var start time.Time
	code := f.Main(func(opts ...graphs.Option) (*graphs.Network, cli.Report) {
		n, res := networks.GPUPipeline(cfg, opts...)
		start = time.Now()
		return n, func(w io.Writer, err error) error {
			elapsed := time.Since(start)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "backend %s on %s: %s\n", dev.Backend(), dev.Name(), dev.Reason())
			fmt.Fprintf(w, "%d vectors of %d elements through saxpy and sum in %v\n", res.Vectors, cfg.Length, elapsed.Round(time.Microsecond))
			fmt.Fprintf(w, "throughput %.1f Melem/s, %.1f MB/s of input\n",
				float64(res.Elements)/elapsed.Seconds()/1e6, float64(res.Elements)*8/elapsed.Seconds()/1e6)
			fmt.Fprintf(w, "sum of sums %.6e\n", res.Total)
			return nil
		}
	})
	if err := dev.Close(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "error:", err)
		code = 1
	}
	os.Exit(code)
}
