// Command mandelbrot renders the Mandelbrot set to a PNG with a GPU process: "rows" sends each row
// of points to the kernel process "escape" (on CUDA where built in and a GPU answers, else on the
// CPU backend over all cores), and "assembler" puts the escape counts together.
//
//	go run ./examples/mandelbrot -size 1024 -o /tmp/mandelbrot.png
//	go run -tags cuda ./examples/mandelbrot -backend cuda   # needs the NVIDIA driver
//
// The shared flags -topology, -debug, -linger and -trace are described by -help.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/gpu"
	"github.com/gocsp/gocsp/graphs"
)

func main() {
	var cfg networks.MandelbrotConfig
	backend := flag.String("backend", "auto", "where the kernel runs: cpu, cuda or auto")
	flag.IntVar(&cfg.Size, "size", 512, "image width and height in pixels")
	iter := flag.Uint("iter", 256, "iterations before a point counts as inside the set")
	flag.IntVar(&cfg.Batch, "batch", 8, "rows per kernel launch")
	flag.BoolVar(&cfg.Pipelined, "pipeline", false, "split the kernel process into upload, kernel and download stages")
	out := flag.String("o", "mandelbrot.png", "write the PNG to `FILE`")
	f := cli.Register(flag.CommandLine)
	flag.Parse()
	b, err := gpu.ParseBackend(*backend)
	if err != nil || cfg.Size < 1 || cfg.Batch < 1 || *iter < 1 || *iter > 1<<31 {
		fmt.Fprintln(os.Stderr, "error: -backend must be cpu, cuda or auto; -size, -batch and -iter at least 1")
		os.Exit(2)
	}
	cfg.MaxIter = uint32(*iter)
	dev, err := gpu.Open(gpu.WithBackend(b))
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	cfg.Device = dev
	code := f.Main(func(opts ...graphs.Option) (*graphs.Network, cli.Report) {
		n, res := networks.Mandelbrot(cfg, opts...)
		return n, func(w io.Writer, err error) error {
			if err != nil {
				return err
			}
			file, err := os.Create(*out)
			if err != nil {
				return err
			}
			if err := res.WritePNG(file); err != nil {
				file.Close()
				return err
			}
			if err := file.Close(); err != nil {
				return err
			}
			fmt.Fprintf(w, "backend %s on %s: %s\n", dev.Backend(), dev.Name(), dev.Reason())
			fmt.Fprintf(w, "wrote %s: %d×%d pixels, at most %d iterations\n", *out, res.Size, res.Size, res.MaxIter)
			return nil
		}
	})
	if err := dev.Close(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "error:", err)
		code = 1
	}
	os.Exit(code)
}
