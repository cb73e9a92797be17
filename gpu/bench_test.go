package gpu

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/floats"
)

// benchN is the vector length of the memory-bound benchmarks: 2^20 elements, 4 MiB of float32.
const benchN = 1 << 20

// BenchmarkCPUKernels runs each kernel on the CPU backend over GOMAXPROCS workers ("device"), on
// one worker ("device-1w", so that device-1w/device is the scaling over cores), and as a plain
// single-goroutine Go loop ("loop") over the same input, side by side, all into preallocated
// output (RunInto).
func BenchmarkCPUKernels(b *testing.B) {
	d, err := Open(WithBackend(BackendCPU))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	d1, err := Open(WithBackend(BackendCPU), WithWorkers(1))
	if err != nil {
		b.Fatal(err)
	}
	defer d1.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 1))
	const n = benchN
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

	bench := func(name string, elems int, dev func(d *Device) error, loop func()) {
		for _, v := range []struct {
			name string
			d    *Device
		}{{"device", d}, {"device-1w", d1}} {
			b.Run(name+"/"+v.name, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					if err := dev(v.d); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(elems)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
			})
		}
		b.Run(name+"/loop", func(b *testing.B) {
			for range b.N {
				loop()
			}
			b.ReportMetric(float64(elems)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		})
	}
	bench("saxpy", n, func(d *Device) error { return RunInto(ctx, d, SAXPY(3), xy, outF) }, func() {
		for i, v := range xy {
			outF[i] = 3*v.X + v.Y
		}
	})
	bench("map-sqrt", n, func(d *Device) error { return RunInto(ctx, d, Map(Sqrt), x, outF) }, func() {
		mapf(Sqrt, outF, x)
	})
	bench("sum", n, func(d *Device) error { return RunInto(ctx, d, Sum(), x, outD) }, func() {
		var s float64
		for _, v := range x {
			s += float64(v)
		}
		outD[0] = s
	})
	bench("mandelbrot", len(pts), func(d *Device) error { return RunInto(ctx, d, Mandelbrot(256), pts, outU) }, func() {
		for i, c := range pts {
			outU[i] = escape(real(c), imag(c), 256)
		}
	})
	bench("pi", len(ctrs), func(d *Device) error { return RunInto(ctx, d, PiHits(1), ctrs, outH) }, func() {
		outH[0] = piHits(1, ctrs)
	})
}

// BenchmarkGonum puts the CPU backend beside gonum on the same work, n = 2^20: SAXPY through
// RunInto ("device") against blas32.Axpy on separate x and y vectors ("gonum", which updates y
// in place), and the sum of float32s in float64 ("device") against floats.Sum over the same
// values as float64 ("gonum", twice the bytes: gonum has no float32 sum).
func BenchmarkGonum(b *testing.B) {
	d, err := Open(WithBackend(BackendCPU))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	const n = benchN
	xy := make([]XY, n)
	x32, y32 := make([]float32, n), make([]float32, n)
	x64 := make([]float64, n)
	for i := range xy {
		xy[i] = XY{r.Float32(), r.Float32()}
		x32[i], y32[i] = xy[i].X, xy[i].Y
		x64[i] = float64(x32[i])
	}
	out := make([]float32, n)
	sum := make([]float64, 1)
	b.Run("saxpy/device", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(n * 12)
		for range b.N {
			if err := RunInto(ctx, d, SAXPY(0.5), xy, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("saxpy/gonum", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(n * 12)
		x, y := blas32.Vector{N: n, Inc: 1, Data: x32}, blas32.Vector{N: n, Inc: 1, Data: y32}
		for range b.N {
			blas32.Axpy(0.5, x, y)
		}
	})
	b.Run("sum/device", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(n * 4)
		for range b.N {
			if err := RunInto(ctx, d, Sum(), x32, sum); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sum/gonum", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(n * 4)
		for range b.N {
			sum[0] = floats.Sum(x64)
		}
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
