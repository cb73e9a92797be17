package gpu

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// sizes are the edge sizes every kernel is checked at: empty, one, around and not a multiple of
// the block size and the CPU grain, and large.
var sizes = []int{0, 1, 7, 255, 256, 257, 1000, 1<<14 + 3, 100_003}

func openCPU(t testing.TB, workers int) *Device {
	t.Helper()
	d, err := Open(WithBackend(BackendCPU), WithWorkers(workers))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

func randF32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * 100)
	}
	return v
}

// philoxKATs are Random123's tests/kat_vectors, the three philox4x32 10 lines.
var philoxKATs = []struct {
	ctr  [4]uint32
	key  [2]uint32
	want [4]uint32
}{
	{[4]uint32{}, [2]uint32{}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
	{[4]uint32{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}, [2]uint32{^uint32(0), ^uint32(0)},
		[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
	{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
		[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
}

func TestPhiloxKnownAnswers(t *testing.T) {
	for _, tc := range philoxKATs {
		require.Equal(t, tc.want, Philox4x32(tc.ctr, tc.key))
	}
}

func TestKernelsCPUMatchPlainLoops(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for _, workers := range []int{1, 3} {
		d := openCPU(t, workers)
		for _, n := range sizes {
			xy := make([]XY, n)
			for i := range xy {
				xy[i] = XY{float32(r.NormFloat64()), float32(r.NormFloat64())}
			}
			got, err := Run(ctx, d, SAXPY(2.5), xy)
			require.NoError(t, err)
			require.Len(t, got, n)
			for i, v := range xy {
				want := float32(2.5*v.X) + v.Y
				require.Equal(t, math.Float32bits(want), math.Float32bits(got[i]), "saxpy n=%d i=%d", n, i)
			}

			x := randF32(r, n)
			for op := Square; op < numMapOps; op++ {
				got, err := Run(ctx, d, Map(op), x)
				require.NoError(t, err)
				for i, v := range x {
					var want float32
					switch op {
					case Square:
						want = v * v
					case Sqrt:
						want = float32(math.Sqrt(float64(v)))
					case Abs:
						want = float32(math.Abs(float64(v)))
					case Neg:
						want = -v
					case ReLU:
						want = float32(math.Max(float64(v), 0))
					}
					if math.IsNaN(float64(want)) {
						require.True(t, math.IsNaN(float64(got[i])), "%v n=%d i=%d", op, n, i)
						continue
					}
					require.Equal(t, want, got[i], "%v n=%d i=%d", op, n, i)
				}
			}

			sum, err := Run(ctx, d, Sum(), x)
			require.NoError(t, err)
			var want, mag float64
			for _, v := range x {
				want += float64(v)
				mag += math.Abs(float64(v))
			}
			require.Len(t, sum, 1)
			require.InDelta(t, want, sum[0], 1e-9*mag+1e-300, "sum n=%d", n)

			cs := make([]complex128, n)
			for i := range cs {
				cs[i] = complex(r.Float64()*3-2, r.Float64()*3-1.5)
			}
			counts, err := Run(ctx, d, Mandelbrot(200), cs)
			require.NoError(t, err)
			for i, c := range cs {
				require.Equal(t, plainEscape(c, 200), counts[i], "mandelbrot n=%d i=%d c=%v", n, i, c)
			}

			first := r.Uint64()
			hits, err := Run(ctx, d, PiHits(42), PiCounters(first, n))
			require.NoError(t, err)
			require.Equal(t, plainPi(42, first, n), hits[0], "pi n=%d", n)
		}
	}
}

// plainEscape is the textbook loop on complex128, without the kernel's care about rounding: for
// points not on the boundary to within rounding it gives the same counts.
func plainEscape(c complex128, maxIter uint32) uint32 {
	var z complex128
	for n := uint32(0); n < maxIter; n++ {
		if real(z)*real(z)+imag(z)*imag(z) > 4 {
			return n
		}
		z = z*z + c
	}
	return maxIter
}

// plainPi draws the same points with Philox and tests them in float64.
func plainPi(seed, first uint64, n int) uint64 {
	var hits uint64
	key := [2]uint32{uint32(seed), uint32(seed >> 32)}
	for i := range n {
		c := first + uint64(i)
		w := Philox4x32([4]uint32{uint32(c), uint32(c >> 32), 0, 0}, key)
		for j := 0; j < 4; j += 2 {
			x, y := float64(w[j]>>1)/(1<<31), float64(w[j+1]>>1)/(1<<31)
			if x*x+y*y < 1 {
				hits++
			}
		}
	}
	return hits
}

func TestPiEstimate(t *testing.T) {
	d := openCPU(t, 2)
	const n = 500_000
	hits, err := Run(context.Background(), d, PiHits(7), PiCounters(0, n))
	require.NoError(t, err)
	est := 4 * float64(hits[0]) / (2 * n)
	require.InDelta(t, math.Pi, est, 0.01)
}

func TestRunMisuse(t *testing.T) {
	d := openCPU(t, 1)
	require.PanicsWithValue(t, "gpu.Run: zero Kernel; make one with SAXPY, Map, Sum, Mandelbrot or PiHits", func() {
		_, _ = Run(context.Background(), d, Kernel[float32, float32]{}, nil)
	})
	require.Panics(t, func() { Map(numMapOps) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, d, Sum(), []float32{1})
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, d.Close())
	_, err = Run(context.Background(), d, Sum(), []float32{1})
	require.ErrorIs(t, err, ErrClosed)
}

func TestOpen(t *testing.T) {
	d, err := Open()
	require.NoError(t, err)
	defer d.Close()
	if !CUDABuiltIn() {
		require.Equal(t, BackendCPU, d.Backend())
		require.Contains(t, d.Reason(), "not built in")
		_, err := Open(WithBackend(BackendCUDA))
		require.ErrorContains(t, err, "not built in")
	}
	for _, s := range []string{"auto", "cpu", "cuda"} {
		b, err := ParseBackend(s)
		require.NoError(t, err)
		require.Equal(t, s, b.String())
	}
	_, err = ParseBackend("tpu")
	require.Error(t, err)
}

func TestOpenLogsTheChoice(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	d, err := Open(WithBackend(BackendCPU), WithLogger(zap.New(core)))
	require.NoError(t, err)
	defer d.Close()
	entries := logs.FilterMessage("gpu: device opened").All()
	require.Len(t, entries, 1)
	fields := entries[0].ContextMap()
	require.Equal(t, "cpu", fields["backend"])
	require.Equal(t, "the CPU backend was asked for", fields["reason"])
}

// TestSAXPYVectorLoopMatchesScalar checks the platform's vector SAXPY loop against the scalar Go
// loop bit for bit (a NaN as a NaN), over every tail length and the special values.
func TestSAXPYVectorLoopMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, a := range []float32{-1.25, 0, 3, float32(math.Inf(1)), 1e-30} {
		for n := range 67 {
			in := make([]XY, n)
			for i := range in {
				in[i] = XY{specialOr(r), specialOr(r)}
			}
			want, got := make([]float32, n), make([]float32, n)
			saxpyGo(a, want, in)
			saxpy(a, got, in)
			require.NoError(t, sameF32(want, got, nil), "a=%v n=%d", a, n)
		}
	}
}

func specialOr(r *rand.Rand) float32 {
	if r.IntN(4) == 0 {
		return specialF32[r.IntN(len(specialF32))]
	}
	return float32(r.NormFloat64() * 1e3)
}

// TestRunIntoAllocatesNothingOnOneWorker checks that a launch into caller-supplied output on the
// CPU backend allocates nothing when it runs on the calling goroutine (more workers cost a few
// small allocations for the goroutines, whatever the size).
func TestRunIntoAllocatesNothingOnOneWorker(t *testing.T) {
	d := openCPU(t, 1)
	ctx := context.Background()
	xy := make([]XY, 1000)
	x := make([]float32, 1<<16)
	out := make([]float32, len(xy))
	sum := make([]float64, 1)
	saxpy, sumK := SAXPY(2), Sum()
	require.Zero(t, testing.AllocsPerRun(10, func() { _ = RunInto(ctx, d, saxpy, xy, out) }))
	require.Zero(t, testing.AllocsPerRun(10, func() { _ = RunInto(ctx, d, sumK, x, sum) }))
	require.PanicsWithValue(t, "gpu.RunInto: kernel saxpy: output of 1 elements for 1000 inputs, want 1000",
		func() { _ = RunInto(ctx, d, saxpy, xy, out[:1]) })
}
