package gpu_test

import (
	"context"
	"fmt"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/gpu"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/components"
)

func ExampleOpen() {
	// BackendAuto (the default) would take a GPU where the binary has CUDA built in and one answers.
	d, err := gpu.Open(gpu.WithBackend(gpu.BackendCPU), gpu.WithWorkers(4))
	if err != nil {
		panic(err)
	}
	defer d.Close()
	fmt.Println(d.Backend(), "|", d.Name(), "|", d.Reason())
	// Output: cpu | cpu (4 workers) | the CPU backend was asked for
}

func ExampleRun() {
	d, _ := gpu.Open(gpu.WithBackend(gpu.BackendCPU))
	defer d.Close()
	ys, err := gpu.Run(context.Background(), d, gpu.SAXPY(2), []gpu.XY{{X: 1, Y: 10}, {X: 2, Y: 20}, {X: 3, Y: 30}})
	if err != nil {
		panic(err)
	}
	sum, _ := gpu.Run(context.Background(), d, gpu.Sum(), ys)
	fmt.Println(ys, sum)
	// Output: [12 24 36] [72]
}

func ExampleProc() {
	d, _ := gpu.Open(gpu.WithBackend(gpu.BackendCPU))
	defer d.Close()
	in, out := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
	var got [][]float32
	// Up to two vectors per launch, of those ready; whatever was read is flushed when "gen" retires.
	err := csp.Parallel(
		components.Generator("gen", [][]float32{{1, 2}, {3}, {4, 5, 6}}, in.Writer()),
		gpu.Proc("square", d, gpu.Map(gpu.Square), in.Reader(), out.Writer(), gpu.Batch(2)),
		components.Collector("collect", out.Reader(), &got),
	)
	fmt.Println(got, err)
	// Output: [[1 4] [9] [16 25 36]] <nil>
}

func ExamplePipeline() {
	d, _ := gpu.Open(gpu.WithBackend(gpu.BackendCPU))
	defer d.Close()
	in, out := csp.NewChan[[]uint64](), csp.NewChan[[]uint64]()
	var hits [][]uint64
	n := graphs.New("pi").
		Add(components.Generator("counters", [][]uint64{gpu.PiCounters(0, 50_000), gpu.PiCounters(50_000, 50_000)}, in.Writer())).
		Add(gpu.Pipeline("pi", d, gpu.PiHits(1), in.Reader(), out.Writer())...).
		Add(components.Collector("collect", out.Reader(), &hits))
	for _, p := range n.Topology().Processes {
		fmt.Println(p.Name, p.Kind)
	}
	if err := n.Run(context.Background()); err != nil {
		panic(err)
	}
	total := hits[0][0] + hits[1][0]
	fmt.Printf("π ≈ %.3f from %d points; buffers in use: %d\n", 4*float64(total)/200_000, 200_000, d.InUse())
	// Output:
	// counters Generator
	// pi/upload gpu.upload
	// pi/kernel gpu.pi
	// pi/download gpu.download
	// collect Collector
	// π ≈ 3.146 from 200000 points; buffers in use: 0
}
