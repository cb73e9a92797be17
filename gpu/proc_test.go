package gpu

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/components"
	"github.com/stretchr/testify/require"
)

// stage builds either form of a GPU process between in and out, for tests that hold for both.
type stage func(d *Device, k Kernel[float32, float32], in *csp.Reader[[]float32], out *csp.Writer[[]float32], opts ...ProcOption) []*csp.Process

var stages = map[string]stage{
	"Proc": func(d *Device, k Kernel[float32, float32], in *csp.Reader[[]float32], out *csp.Writer[[]float32], opts ...ProcOption) []*csp.Process {
		return []*csp.Process{Proc("square", d, k, in, out, opts...)}
	},
	"Pipeline": func(d *Device, k Kernel[float32, float32], in *csp.Reader[[]float32], out *csp.Writer[[]float32], opts ...ProcOption) []*csp.Process {
		return Pipeline("square", d, k, in, out, opts...)
	},
}

// vec returns the vector i of a test stream: i+1 elements, so that batches mix lengths.
func vec(i int) []float32 {
	v := make([]float32, i+1)
	for j := range v {
		v[j] = float32(i*100 + j)
	}
	return v
}

func requireSquares(t *testing.T, got [][]float32, n int) {
	t.Helper()
	require.Len(t, got, n)
	for i, r := range got {
		want := vec(i)
		require.Len(t, r, len(want), "vector %d", i)
		for j, x := range want {
			require.Equal(t, x*x, r[j], "vector %d element %d", i, j)
		}
	}
}

func TestProcBatchesAndFlushOnRetire(t *testing.T) {
	for name, mk := range stages {
		for _, batch := range []int{1, 3, 8} {
			t.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(t *testing.T) {
				d := openCPU(t, 2)
				in, out := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
				// 7 vectors: however the batches form (TestGatherBatches pins them down), the
				// last one is flushed when the producer retires.
				var vs [][]float32
				for i := range 7 {
					vs = append(vs, vec(i))
				}
				var got [][]float32
				procs := append(mk(d, Map(Square), in.Reader(), out.Writer(), Batch(batch)),
					components.Generator("producer", vs, in.Writer()),
					components.Collector("collector", out.Reader(), &got))
				require.NoError(t, csp.Parallel(procs...))
				requireSquares(t, got, 7)
				require.Zero(t, d.InUse())
			})
		}
	}
}

func TestProcPoisonMidStreamLosesNothingBefore(t *testing.T) {
	for name, mk := range stages {
		t.Run(name, func(t *testing.T) {
			d := openCPU(t, 2)
			in, out := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
			w := in.Writer()
			const sent = 5
			producer := csp.Proc("producer", func(context.Context) error {
				for i := range sent {
					if err := w.Write(vec(i)); err != nil {
						return err
					}
				}
				return csp.ErrPoisoned // poisons "in" after five vectors were handed over
			}, w)
			r := out.Reader()
			var got [][]float32
			var final error
			consumer := csp.Proc("consumer", func(context.Context) error {
				for {
					v, err := r.Read()
					if err != nil {
						final = err
						return err
					}
					got = append(got, v)
				}
			}, r)
			// Batch 4: whatever batch holds the last vectors read when the poison comes is flushed.
			procs := append(mk(d, Map(Square), in.Reader(), out.Writer(), Batch(4)), producer, consumer)
			require.NoError(t, csp.Parallel(procs...))
			require.ErrorIs(t, final, csp.ErrPoisoned)
			requireSquares(t, got, sent)
			require.Zero(t, d.InUse(), "device buffers not returned")
		})
	}
}

func TestProcPoisonFromDownstreamReturnsMemory(t *testing.T) {
	for name, mk := range stages {
		t.Run(name, func(t *testing.T) {
			d := openCPU(t, 2)
			in, out := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
			w := in.Writer()
			producer := csp.Proc("producer", func(context.Context) error {
				for i := 0; ; i++ {
					if err := w.Write(vec(i % 50)); err != nil {
						return err
					}
				}
			}, w)
			r := out.Reader()
			consumer := csp.Proc("consumer", func(context.Context) error {
				for range 10 {
					if _, err := r.Read(); err != nil {
						return err
					}
				}
				return csp.ErrPoisoned
			}, r)
			procs := append(mk(d, Map(Square), in.Reader(), out.Writer(), Batch(2)), producer, consumer)
			require.NoError(t, csp.Parallel(procs...))
			require.Zero(t, d.InUse(), "device buffers not returned")
		})
	}
}

func TestReductionProcesses(t *testing.T) {
	d := openCPU(t, 2)
	vs := [][]float32{{1, 2, 3}, {}, {4}, {0.5, 0.25}}
	for _, batch := range []int{1, 3} {
		for name, mk := range map[string]func(in *csp.Reader[[]float32], out *csp.Writer[[]float64]) []*csp.Process{
			"Proc": func(in *csp.Reader[[]float32], out *csp.Writer[[]float64]) []*csp.Process {
				return []*csp.Process{Proc("sum", d, Sum(), in, out, Batch(batch))}
			},
			"Pipeline": func(in *csp.Reader[[]float32], out *csp.Writer[[]float64]) []*csp.Process {
				return Pipeline("sum", d, Sum(), in, out, Batch(batch))
			},
		} {
			in, out := csp.NewChan[[]float32](), csp.NewChan[[]float64]()
			var got [][]float64
			procs := append(mk(in.Reader(), out.Writer()),
				components.Generator("producer", vs, in.Writer()),
				components.Collector("collector", out.Reader(), &got))
			require.NoError(t, csp.Parallel(procs...), name)
			require.Equal(t, [][]float64{{6}, {0}, {4}, {0.75}}, got, "%s batch %d", name, batch)
		}
	}
	require.Zero(t, d.InUse())
}

func TestAltOverGPUOutputs(t *testing.T) {
	d := openCPU(t, 2)
	inA, outA := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
	inB, outB := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
	const each = 20
	var as, bs [][]float32
	for i := range each {
		as = append(as, vec(i))
		bs = append(bs, []float32{-float32(i + 1)})
	}
	ra, rb := outA.Reader(), outB.Reader()
	var fromA, fromB [][]float32
	chooser := csp.Proc("chooser", func(context.Context) error {
		ga, gb := csp.Recv(ra), csp.Recv(rb)
		doneA, doneB := false, false
		for !doneA || !doneB {
			i, err := csp.Select(ga.When(!doneA), gb.When(!doneB))
			switch {
			case errors.Is(err, csp.ErrRetired) && i == 0:
				doneA = true
			case errors.Is(err, csp.ErrRetired) && i == 1:
				doneB = true
			case err != nil:
				return err
			case i == 0:
				fromA = append(fromA, ga.Value())
			default:
				fromB = append(fromB, gb.Value())
			}
		}
		return nil
	}, ra, rb)
	require.NoError(t, csp.Parallel(
		components.Generator("gen-a", as, inA.Writer()),
		components.Generator("gen-b", bs, inB.Writer()),
		Proc("square-a", d, Map(Square), inA.Reader(), outA.Writer()),
		Proc("abs-b", d, Map(Abs), inB.Reader(), outB.Writer(), Batch(3)),
		chooser,
	))
	requireSquares(t, fromA, each)
	require.Len(t, fromB, each)
	for i, v := range fromB {
		require.Equal(t, []float32{float32(i + 1)}, v)
	}
}

func TestTopologyShowsGPUProcesses(t *testing.T) {
	d := openCPU(t, 1)
	in, mid, out := csp.NewChan[[]XY](csp.Named("pairs")), csp.NewChan[[]float32](csp.Named("ys")), csp.NewChan[[]float64](csp.Named("sums"))
	n := graphs.New("gpu").
		Add(Proc("saxpy", d, SAXPY(2), in.Reader(), mid.Writer(), Batch(4))).
		Add(Pipeline("sum", d, Sum(), mid.Reader(), out.Writer())...)
	topo := n.Topology()
	kinds := map[string]string{}
	for _, p := range topo.Processes {
		kinds[p.Name] = p.Kind
		require.Equal(t, "cpu", p.Attrs["backend"], p.Name)
		require.Equal(t, d.Name(), p.Attrs["device"], p.Name)
	}
	require.Equal(t, map[string]string{
		"saxpy": "gpu.saxpy", "sum/upload": "gpu.upload", "sum/kernel": "gpu.sum", "sum/download": "gpu.download",
	}, kinds)
	chans := map[string]bool{}
	for _, c := range topo.Channels {
		chans[c.Name] = true
	}
	require.True(t, chans["sum/uploaded"] && chans["sum/computed"], "%v", chans)
}

func TestProcMisuse(t *testing.T) {
	d := openCPU(t, 1)
	c := csp.NewChan[[]float32]()
	require.PanicsWithValue(t, "gpu.Proc: Batch(0): want at least 1", func() {
		Proc("p", d, Map(Abs), c.Reader(), c.Writer(), Batch(0))
	})
	require.Panics(t, func() { Pipeline("p", nil, Map(Abs), c.Reader(), c.Writer()) })
}

// TestBatchNeverWaitsToFill runs a client that sends one vector and waits for its result before
// sending the next, through processes with a batch of 8: a process that waited to fill its batch
// would deadlock here.
func TestBatchNeverWaitsToFill(t *testing.T) {
	for name, mk := range stages {
		t.Run(name, func(t *testing.T) {
			d := openCPU(t, 2)
			in, out := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
			w, r := in.Writer(), out.Reader()
			var got [][]float32
			client := csp.Proc("client", func(context.Context) error {
				for i := range 10 {
					if err := w.Write(vec(i)); err != nil {
						return err
					}
					v, err := r.Read()
					if err != nil {
						return err
					}
					got = append(got, v)
				}
				return nil
			}, w, r)
			procs := append(mk(d, Map(Square), in.Reader(), out.Writer(), Batch(8)), client)
			n := graphs.New("ping").Add(procs...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			require.NoError(t, n.Run(ctx))
			requireSquares(t, got, 10)
		})
	}
}

// TestGatherBatches fills a buffered channel and retires it: the gatherer takes full batches of
// what is ready, then the partial rest together with the retirement.
func TestGatherBatches(t *testing.T) {
	c := csp.NewChan[[]float32](csp.Buffered(16))
	w := c.Writer()
	for i := range 7 {
		require.NoError(t, w.Write(vec(i)))
	}
	w.Retire()
	g := newGatherer(c.Reader(), 3)
	var sizes []int
	var batch [][]float32
	var err error
	for err == nil {
		batch, err = g.next(batch)
		sizes = append(sizes, len(batch))
	}
	require.ErrorIs(t, err, csp.ErrRetired)
	require.Equal(t, []int{3, 3, 1}, sizes)
}

// TestExecBatchConcatenates checks the one-launch path of an element-wise batch and the
// per-vector path of a reduction, with an empty vector among them.
func TestExecBatchConcatenates(t *testing.T) {
	d := openCPU(t, 2)
	vs := [][]float32{vec(3), {}, vec(0), vec(9)}
	res, err := Map(Neg).execBatch(d, nil, vs)
	require.NoError(t, err)
	require.Len(t, res, len(vs))
	for i, v := range vs {
		require.Len(t, res[i], len(v))
		for j, x := range v {
			require.Equal(t, -x, res[i][j])
		}
	}
	sums, err := Sum().execBatch(d, nil, vs)
	require.NoError(t, err)
	for i, v := range vs {
		var want float64
		for _, x := range v {
			want += float64(x)
		}
		require.Equal(t, []float64{want}, sums[i])
	}
	require.Zero(t, d.InUse())
}
