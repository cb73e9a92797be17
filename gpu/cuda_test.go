//go:build cuda

package gpu

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
	"github.com/stretchr/testify/require"
	"gorgonia.org/cu"
)

// These tests compare the CUDA backend with the CPU backend. They skip where no GPU answers;
// note that a cuda-tagged test binary does not start at all without the driver's libcuda.so.1,
// and exits in gorgonia.org/cu's initialiser when cuInit fails.

func openGPU(t testing.TB) *Device {
	t.Helper()
	d, err := Open(WithBackend(BackendCUDA))
	if err != nil {
		t.Skip("no GPU:", err)
	}
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

func TestCUDAMatchesCPU(t *testing.T) {
	g := openGPU(t)
	c := openCPU(t, 2)
	require.Equal(t, BackendCUDA, g.Backend())
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 5))
	for _, n := range append(sizes, 3_000_001) {
		xy := make([]XY, n)
		x := randF32(r, n)
		cs := make([]complex128, n)
		for i := range xy {
			xy[i] = XY{float32(r.NormFloat64()), float32(r.NormFloat64())}
			cs[i] = complex(r.Float64()*3-2, r.Float64()*3-1.5)
		}
		// Element-wise float kernels: exact, bit for bit (NaN only as NaN).
		floatKernels := map[string]struct {
			k  Kernel[float32, float32]
			in []float32
		}{}
		for op := Square; op < numMapOps; op++ {
			floatKernels[op.String()] = struct {
				k  Kernel[float32, float32]
				in []float32
			}{Map(op), x}
		}
		for name, fk := range floatKernels {
			want, err := Run(ctx, c, fk.k, fk.in)
			require.NoError(t, err)
			got, err := Run(ctx, g, fk.k, fk.in)
			require.NoError(t, err)
			for i := range want {
				if math.IsNaN(float64(want[i])) {
					require.True(t, math.IsNaN(float64(got[i])), "%s n=%d i=%d", name, n, i)
					continue
				}
				require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s n=%d i=%d", name, n, i)
			}
		}
		want, err := Run(ctx, c, SAXPY(-1.25), xy)
		require.NoError(t, err)
		got, err := Run(ctx, g, SAXPY(-1.25), xy)
		require.NoError(t, err)
		require.Equal(t, want, got, "saxpy n=%d", n)

		// Integer kernels: exact.
		wc, err := Run(ctx, c, Mandelbrot(500), cs)
		require.NoError(t, err)
		gc, err := Run(ctx, g, Mandelbrot(500), cs)
		require.NoError(t, err)
		require.Equal(t, wc, gc, "mandelbrot n=%d", n)
		ctrs := PiCounters(r.Uint64(), n)
		wh, err := Run(ctx, c, PiHits(99), ctrs)
		require.NoError(t, err)
		gh, err := Run(ctx, g, PiHits(99), ctrs)
		require.NoError(t, err)
		require.Equal(t, wh, gh, "pi n=%d", n)

		// Sum: float64 in a different order, within 1e-9 of the sum of magnitudes.
		ws, err := Run(ctx, c, Sum(), x)
		require.NoError(t, err)
		gs, err := Run(ctx, g, Sum(), x)
		require.NoError(t, err)
		var mag float64
		for _, v := range x {
			mag += math.Abs(float64(v))
		}
		require.InDelta(t, ws[0], gs[0], 1e-9*mag+1e-300, "sum n=%d", n)
	}
	require.Zero(t, g.InUse())
}

func TestCUDAPipelineMatchesCPU(t *testing.T) {
	g := openGPU(t)
	c := openCPU(t, 2)
	r := rand.New(rand.NewPCG(6, 6))
	var vs [][]XY
	for i := range 40 {
		v := make([]XY, 1000*i+1)
		for j := range v {
			v[j] = XY{r.Float32(), r.Float32()}
		}
		vs = append(vs, v)
	}
	results := map[Backend][][]float64{}
	for _, d := range []*Device{c, g} {
		for _, overlap := range []bool{true, false} {
			in, mid, out := csp.NewChan[[]XY](), csp.NewChan[[]float32](), csp.NewChan[[]float64]()
			var got [][]float64
			procs := append(Pipeline("saxpy", d, SAXPY(2), in.Reader(), mid.Writer(), Batch(3), Overlap(overlap)),
				Pipeline("sum", d, Sum(), mid.Reader(), out.Writer(), Batch(2), Overlap(overlap))...)
			procs = append(procs, components.Generator("gen", vs, in.Writer()), components.Collector("col", out.Reader(), &got))
			require.NoError(t, csp.Parallel(procs...))
			require.Len(t, got, len(vs))
			require.Zero(t, d.InUse())
			results[d.Backend()] = got
		}
	}
	for i := range vs {
		require.InDelta(t, results[BackendCPU][i][0], results[BackendCUDA][i][0], 1e-9*float64(len(vs[i]))*3+1e-300, "vector %d", i)
	}
}

// BenchmarkPipelineCUDA streams vectors through SAXPY on the GPU as the csp Pipeline ("csp"), the
// same with overlap off ("csp-no-overlap"), and a hand-written loop of the same copies and
// launches on gorgonia.org/cu alone, queued one vector ahead ("direct", benchDirectCU).
func BenchmarkPipelineCUDA(b *testing.B) {
	d := openGPU(b)
	const vecs, n = 64, 1 << 20
	data := make([][]XY, vecs)
	for i := range data {
		data[i] = make([]XY, n)
	}
	for _, overlap := range []bool{true, false} {
		name := "csp"
		if !overlap {
			name = "csp-no-overlap"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(vecs * n * 12)
			for range b.N {
				in, out := csp.NewChan[[]XY](), csp.NewChan[[]float32]()
				var got [][]float32
				procs := append(Pipeline("saxpy", d, SAXPY(2), in.Reader(), out.Writer(), Overlap(overlap)),
					components.Generator("gen", data, in.Writer()), components.Collector("col", out.Reader(), &got))
				if err := csp.Parallel(procs...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(vecs * n * 12)
		benchDirectCU(b, d.eng.(*cudaDevice), data, n)
	})
}

// benchDirectCU is the baseline of BenchmarkPipelineCUDA written against gorgonia.org/cu alone:
// two slots of pinned and device memory, three streams ordered by events, so that the upload of
// one vector, the kernel of the one before and the download of the one before that overlap, and
// each result copied out of pinned memory once its download has landed.
func benchDirectCU(b *testing.B, c *cudaDevice, data [][]XY, n int) {
	type slot struct {
		hin, hout     unsafe.Pointer
		din, dout     cu.DevicePtr
		up, ran, done cu.Event
		busy          bool
	}
	var slots [2]slot
	var up, kern, down cu.Stream
	fn := c.fns["saxpy"]
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(c.with(func() (err error) {
		for _, s := range []*cu.Stream{&up, &kern, &down} {
			if *s, err = cu.MakeStream(cu.NonBlocking); err != nil {
				return err
			}
		}
		for i := range slots {
			s := &slots[i]
			if s.hin, err = (cuMem{}).hostAlloc(n * 8); err != nil {
				return err
			}
			if s.hout, err = (cuMem{}).hostAlloc(n * 4); err != nil {
				return err
			}
			if s.din, err = cu.MemAlloc(int64(n * 8)); err != nil {
				return err
			}
			if s.dout, err = cu.MemAlloc(int64(n * 4)); err != nil {
				return err
			}
			for _, e := range []*cu.Event{&s.up, &s.ran, &s.done} {
				if *e, err = cu.MakeEvent(cu.DisableTiming); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	defer func() {
		must(c.with(func() error {
			for i := range slots {
				s := &slots[i]
				cu.MemFreeHost(s.hin)
				cu.MemFreeHost(s.hout)
				cu.MemFree(s.din)
				cu.MemFree(s.dout)
				for _, e := range []*cu.Event{&s.up, &s.ran, &s.done} {
					cu.DestroyEvent(e)
				}
			}
			for _, s := range []*cu.Stream{&up, &kern, &down} {
				s.Destroy()
			}
			return nil
		}))
	}()
	a := uint64(math.Float32bits(2))
	nn := uint64(n)
	finish := func(s *slot) {
		must(s.done.Synchronize())
		res := make([]float32, n)
		copy(res, unsafe.Slice((*float32)(s.hout), n))
		s.busy = false
	}
	b.ResetTimer()
	for range b.N {
		must(c.with(func() error {
			for i, v := range data {
				s := &slots[i%2]
				if s.busy {
					finish(s)
				}
				copy(unsafe.Slice((*XY)(s.hin), n), v)
				must(cu.MemcpyHtoDAsync(s.din, s.hin, int64(n*8), up))
				must(s.up.Record(up))
				must(kern.Wait(s.up, 0))
				out, in := uint64(s.dout), uint64(s.din)
				must(fn.Launch(grid(n), 1, 1, blockSize, 1, 1, 0, kern,
					[]unsafe.Pointer{unsafe.Pointer(&out), unsafe.Pointer(&in), unsafe.Pointer(&nn), unsafe.Pointer(&a)}))
				must(s.ran.Record(kern))
				must(down.Wait(s.ran, 0))
				must(cu.MemcpyDtoHAsync(s.hout, s.dout, int64(n*4), down))
				must(s.done.Record(down))
				s.busy = true
			}
			for i := range slots {
				if slots[i].busy {
					finish(&slots[i])
				}
			}
			return nil
		}))
	}
}

// TestCUDALaunchAllocatesNothing: a launch passes its parameters through the C memory its
// streams keep, where cu's Launch mallocs twice and our slices allocated once more.
func TestCUDALaunchAllocatesNothing(t *testing.T) {
	g := openGPU(t)
	st, err := g.eng.streams(false)
	require.NoError(t, err)
	defer st.close()
	in, err := g.pool.get(1 << 12)
	require.NoError(t, err)
	out, err := g.pool.get(1 << 12)
	require.NoError(t, err)
	l := SAXPY(2).launch()
	allocs := testing.AllocsPerRun(20, func() {
		if err := st.launch(l, in, 0, out, 0, 256); err != nil {
			t.Fatal(err)
		}
	})
	require.NoError(t, st.sync())
	g.pool.put(in)
	g.pool.put(out)
	require.Zero(t, allocs)
}

// TestCUDAProcsRunOnTheirOwnStreams runs two Procs on one GPU at once and checks their results:
// each queues on a stream of its own, and the pool's blocks are all back.
func TestCUDAProcsRunOnTheirOwnStreams(t *testing.T) {
	g := openGPU(t)
	var vs [][]float32
	for i := range 20 {
		vs = append(vs, vec(i*1000))
	}
	in1, out1 := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
	in2, out2 := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
	var g1, g2 [][]float32
	require.NoError(t, csp.Parallel(
		Proc("a", g, Map(Square), in1.Reader(), out1.Writer(), Batch(3)),
		Proc("b", g, Map(Square), in2.Reader(), out2.Writer(), Batch(2)),
		components.Generator("g1", vs, in1.Writer()),
		components.Generator("g2", vs, in2.Writer()),
		components.Collector("c1", out1.Reader(), &g1),
		components.Collector("c2", out2.Reader(), &g2)))
	require.Equal(t, g1, g2)
	require.Len(t, g1, len(vs))
	for i, v := range vs {
		for j, x := range v {
			require.Equal(t, x*x, g1[i][j])
		}
	}
	require.Zero(t, g.InUse())
}
