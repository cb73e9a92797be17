package gpu

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
)

// BenchmarkCPUKernels runs each kernel on the CPU backend ("device", split over GOMAXPROCS
// workers) and as a plain single-goroutine Go loop ("loop") over the same input, side by side.
// The ratio of their times is the CPU backend's speed-up. Both write into preallocated output.
func BenchmarkCPUKernels(b *testing.B) {
	d, err := Open(WithBackend(BackendCPU))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	r := rand.New(rand.NewPCG(1, 1))
	const n = 1 << 20
	xy := make([]XY, n)
	x := make([]float32, n)
	for i := range xy {
		xy[i] = XY{r.Float32(), r.Float32()}
		x[i] = r.Float32()
	}
	const side = 256
	pts := make([]complex128, side*side)
	for i := range pts {
		pts[i] = complex(-2+2.5*float64(i%side)/side, -1.25+2.5*float64(i/side)/side)
	}
	ctrs := PiCounters(0, 1<<18)
	outF := make([]float32, n)
	outU := make([]uint32, len(pts))
	outD := make([]float64, 1)
	outH := make([]uint64, 1)

	bench := func(name string, elems int, dev func() error, loop func()) {
		b.Run(name+"/device", func(b *testing.B) {
			for range b.N {
				if err := dev(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(elems)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
		b.Run(name+"/loop", func(b *testing.B) {
			for range b.N {
				loop()
			}
			b.ReportMetric(float64(elems)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
	bench("saxpy", n, func() error { return SAXPY(3).exec(d, xy, outF) }, func() {
		for i, v := range xy {
			outF[i] = 3*v.X + v.Y
		}
	})
	bench("map-sqrt", n, func() error { return Map(Sqrt).exec(d, x, outF) }, func() {
		mapf(Sqrt, outF, x)
	})
	bench("sum", n, func() error { return Sum().exec(d, x, outD) }, func() {
		var s float64
		for _, v := range x {
			s += float64(v)
		}
		outD[0] = s
	})
	bench("mandelbrot", len(pts), func() error { return Mandelbrot(256).exec(d, pts, outU) }, func() {
		for i, c := range pts {
			outU[i] = escape(real(c), imag(c), 256)
		}
	})
	bench("pi", len(ctrs), func() error { return PiHits(1).exec(d, ctrs, outH) }, func() {
		outH[0] = piHits(1, ctrs)
	})
}

// BenchmarkPipeline streams 64 vectors of 64Ki XY pairs through SAXPY and then Sum, as Proc
// ("proc"), as Pipeline ("pipeline"), and as a plain loop calling the kernels ("direct"), on the
// CPU backend. On a GPU (-tags cuda) the same benchmark measures the CUDA backend.
func BenchmarkPipeline(b *testing.B) {
	d, err := Open()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	const vecs, n = 64, 1 << 16
	r := rand.New(rand.NewPCG(2, 2))
	data := make([][]XY, vecs)
	for i := range data {
		data[i] = make([]XY, n)
		for j := range data[i] {
			data[i][j] = XY{r.Float32(), r.Float32()}
		}
	}
	type mk func(name string, in *csp.Reader[[]XY], mid *csp.Chan[[]float32], out *csp.Writer[[]float64]) []*csp.Process
	run := func(b *testing.B, build mk) {
		b.SetBytes(vecs * n * 8)
		for range b.N {
			in, mid, out := csp.NewChan[[]XY](), csp.NewChan[[]float32](), csp.NewChan[[]float64]()
			var sums [][]float64
			procs := append(build("s", in.Reader(), mid, out.Writer()),
				components.Generator("gen", data, in.Writer()),
				components.Collector("col", out.Reader(), &sums))
			if err := csp.Parallel(procs...); err != nil {
				b.Fatal(err)
			}
			if len(sums) != vecs {
				b.Fatalf("%d sums", len(sums))
			}
		}
	}
	b.Run("proc", func(b *testing.B) {
		run(b, func(name string, in *csp.Reader[[]XY], mid *csp.Chan[[]float32], out *csp.Writer[[]float64]) []*csp.Process {
			return []*csp.Process{
				Proc("saxpy", d, SAXPY(2), in, mid.Writer()),
				Proc("sum", d, Sum(), mid.Reader(), out),
			}
		})
	})
	for _, overlap := range []bool{true, false} {
		name := "pipeline"
		if !overlap {
			name = "pipeline-no-overlap"
		}
		b.Run(name, func(b *testing.B) {
			run(b, func(name string, in *csp.Reader[[]XY], mid *csp.Chan[[]float32], out *csp.Writer[[]float64]) []*csp.Process {
				return append(Pipeline("saxpy", d, SAXPY(2), in, mid.Writer(), Overlap(overlap)),
					Pipeline("sum", d, Sum(), mid.Reader(), out, Overlap(overlap))...)
			})
		})
	}
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(vecs * n * 8)
		ctx := context.Background()
		for range b.N {
			for _, v := range data {
				ys, err := Run(ctx, d, SAXPY(2), v)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Run(ctx, d, Sum(), ys); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
