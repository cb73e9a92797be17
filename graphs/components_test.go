package graphs

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stage builds a component between an input and an output channel of int.
type stage func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process

// runStage feeds vs through the component and returns what came out, the run's error and the two
// channels (to check how they ended).
func runStage(t *testing.T, mk stage, vs []int) (got []int, err error, in, out *csp.Chan[int]) {
	t.Helper()
	in, out = csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	n := New("stage").Add(
		Generator("gen", vs, in.Writer()),
		mk(in.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	)
	err = n.Run(context.Background())
	return got, err, in, out
}

// poisonUpstream: the source writes vs then poisons; the poison must reach the consumer.
func poisonUpstream(t *testing.T, mk stage, vs []int) (consumerErr error, out *csp.Chan[int]) {
	t.Helper()
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	w, r := in.Writer(), out.Reader()
	n := New("poison-up").Add(
		csp.Proc("src", func(ctx context.Context) error {
			for _, v := range vs {
				if err := w.Write(v); err != nil {
					return err
				}
			}
			return csp.ErrPoisoned
		}, w),
		mk(in.Reader(), out.Writer()),
		csp.Proc("sink", func(ctx context.Context) error {
			for {
				if _, err := r.Read(); err != nil {
					consumerErr = err
					return err
				}
			}
		}, r),
	)
	require.NoError(t, n.Run(context.Background()))
	return consumerErr, out
}

// poisonDownstream: the sink takes one value and poisons; an endless source must end by poison.
func poisonDownstream(t *testing.T, mk stage) (sourceErr error, in *csp.Chan[int]) {
	t.Helper()
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	w, r := in.Writer(), out.Reader()
	n := New("poison-down").Add(
		csp.Proc("src", func(ctx context.Context) error {
			for i := 0; ; i++ {
				if err := w.Write(i); err != nil {
					sourceErr = err
					return err
				}
			}
		}, w),
		mk(in.Reader(), out.Writer()),
		csp.Proc("sink", func(ctx context.Context) error {
			if _, err := r.Read(); err != nil {
				return err
			}
			return csp.ErrPoisoned
		}, r),
	)
	require.NoError(t, n.Run(context.Background()))
	return sourceErr, in
}

func TestComponents(t *testing.T) {
	input := []int{3, 1, 4, 1, 5, 9, 2, 6}
	tests := []struct {
		name    string
		kind    string
		mk      stage
		want    []int
		ordered bool
	}{
		{"identity", "Identity", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Identity("id", i, o) },
			input, true},
		{"prefix", "Prefix", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Prefix("pre", 7, i, o) },
			append([]int{7}, input...), true},
		{"successor", "Successor", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Successor("succ", i, o) },
			[]int{4, 2, 5, 2, 6, 10, 3, 7}, true},
		{"tail", "Tail", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Tail("tail", i, o) },
			input[1:], true},
		{"pairs", "Pairs", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Pairs("pairs", i, o) },
			[]int{4, 5, 5, 6, 14, 11, 8}, true},
		{"map", "Map", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process {
			return Map("double", func(v int) int { return 2 * v }, i, o)
		}, []int{6, 2, 8, 2, 10, 18, 4, 12}, true},
		{"filter", "Filter", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process {
			return Filter("odd", func(v int) bool { return v%2 == 1 }, i, o)
		}, []int{3, 1, 1, 5, 9}, true},
		{"farm", "Farm", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process {
			return Farm("square", 3, func(v int) int { return v * v }, i, o)
		}, []int{9, 1, 16, 1, 25, 81, 4, 36}, false},
		{"delta-1", "Delta", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Delta("delta", i, o) },
			input, true},
		{"deltapar-1", "DeltaPar", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return DeltaPar("delta", i, o) },
			input, true},
		{"mux-1", "Mux", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process {
			return Mux("mux", []*csp.Reader[int]{i}, o)
		}, input, true},
		{"demux-1", "Demux", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process {
			return Demux("demux", func(int) int { return 0 }, i, []*csp.Writer[int]{o})
		}, input, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probe := tc.mk(csp.NewChan[int]().Reader(), csp.NewChan[int]().Writer())
			assert.Equal(t, tc.kind, probe.Kind())
			assert.Len(t, probe.Ends(), 2, "owns its ends")

			got, err, in, out := runStage(t, tc.mk, input)
			require.NoError(t, err)
			if !tc.ordered {
				sort.Ints(got)
				tc.want = slices.Clone(tc.want)
				sort.Ints(tc.want)
			}
			assert.Equal(t, tc.want, got)
			// Termination: the source's end of stream travelled through as retirement.
			assert.False(t, out.Stats().Poisoned)
			assert.Equal(t, 1, out.Stats().WritersRetired, "output retired")
			assert.Equal(t, 1, in.Stats().ReadersRetired, "input retired")

			cerr, out2 := poisonUpstream(t, tc.mk, input[:3])
			assert.ErrorIs(t, cerr, csp.ErrPoisoned, "poison travels downstream")
			assert.True(t, out2.Stats().Poisoned)

			serr, in2 := poisonDownstream(t, tc.mk)
			assert.ErrorIs(t, serr, csp.ErrPoisoned, "poison travels upstream")
			assert.True(t, in2.Stats().Poisoned)
		})
	}
}

func TestDeltaTwoOutputs(t *testing.T) {
	for _, par := range []bool{false, true} {
		in := csp.NewChan[int]()
		o1, o2 := csp.NewChan[int](), csp.NewChan[int]()
		mk := Delta[int]
		if par {
			mk = DeltaPar[int]
		}
		var g1, g2 []int
		err := New("delta").Add(
			Generator("gen", []int{1, 2, 3}, in.Writer()),
			mk("delta", in.Reader(), o1.Writer(), o2.Writer()),
			Collector("c1", o1.Reader(), &g1),
			Collector("c2", o2.Reader(), &g2),
		).Run(context.Background())
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2, 3}, g1)
		assert.Equal(t, []int{1, 2, 3}, g2)
	}
}

func TestPlus(t *testing.T) {
	a, b, out := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := New("plus").Add(
		Generator("a", []int{1, 2, 3}, a.Writer()),
		Generator("b", []int{10, 20, 30, 40}, b.Writer()),
		Plus("plus", a.Reader(), b.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []int{11, 22, 33}, got, "ends when the shorter input retires")
	assert.Equal(t, 1, out.Stats().WritersRetired)
}

func TestMuxDemux(t *testing.T) {
	ins := []*csp.Chan[int]{csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()}
	mid := csp.NewChan[int]()
	evens, odds := csp.NewChan[int](), csp.NewChan[int]()
	var ge, gO []int
	n := New("muxdemux")
	var readers []*csp.Reader[int]
	for i, c := range ins {
		n.Add(Generator("gen", []int{i*10 + 1, i*10 + 2, i*10 + 3}, c.Writer()))
		readers = append(readers, c.Reader())
	}
	n.Add(
		Mux("mux", readers, mid.Writer()),
		Demux("demux", func(v int) int { return v % 2 }, mid.Reader(), []*csp.Writer[int]{evens.Writer(), odds.Writer()}),
		Collector("evens", evens.Reader(), &ge),
		Collector("odds", odds.Reader(), &gO),
	)
	require.NoError(t, n.Run(context.Background()))
	sort.Ints(ge)
	sort.Ints(gO)
	assert.Equal(t, []int{2, 12, 22}, ge)
	assert.Equal(t, []int{1, 3, 11, 13, 21, 23}, gO)
}

func TestDemuxBadRouteFails(t *testing.T) {
	in, out := csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := New("demux").Add(
		Generator("gen", []int{1}, in.Writer()),
		Demux("demux", func(int) int { return 5 }, in.Reader(), []*csp.Writer[int]{out.Writer()}),
		Collector("col", out.Reader(), &got),
	).Run(context.Background())
	var pe *csp.ProcessError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "demux", pe.Process)
	assert.True(t, out.Stats().Poisoned, "a failure poisons the component's ends")
}

func TestGeneratorSeq(t *testing.T) {
	out := csp.NewChan[int]()
	var got []int
	stopped := false
	seq := func(yield func(int) bool) {
		defer func() { stopped = true }()
		for i := 0; ; i++ {
			if !yield(i) {
				return
			}
		}
	}
	r := out.Reader()
	err := New("seq").Add(
		GeneratorSeq("gen", seq, out.Writer()),
		csp.Proc("take3", func(ctx context.Context) error {
			for range 3 {
				v, err := r.Read()
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			return nil // retires: the generator's next write gets ErrRetired and it ends normally
		}, r),
	).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2}, got)
	assert.True(t, stopped, "the sequence was stopped, so its cleanup ran")

	out2 := csp.NewChan[string]()
	var all []string
	require.NoError(t, New("seq2").Add(
		GeneratorSeq("gen", slices.Values([]string{"a", "b"}), out2.Writer()),
		Collector("col", out2.Reader(), &all),
	).Run(context.Background()))
	assert.Equal(t, []string{"a", "b"}, all)
}

func TestFarmWorkerPanicPoisons(t *testing.T) {
	in, out := csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := New("farm").Add(
		Generator("gen", []int{1, 2, 3, 4, 5, 6}, in.Writer()),
		Farm("farm", 2, func(v int) int {
			if v == 3 {
				panic("three")
			}
			return v
		}, in.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	).Run(context.Background())
	var pan *csp.PanicError
	require.ErrorAs(t, err, &pan)
	assert.Equal(t, "three", pan.Value)
	assert.True(t, out.Stats().Poisoned)
	assert.True(t, in.Stats().Poisoned)
	assert.False(t, errors.Is(err, context.Canceled), "the farm's own shutdown is not reported")
}

// A worker's failure poisons the farm's input at once, even while the dispatcher waits on it and
// the producer will not write again: otherwise the producer (and the network) would wait forever.
func TestFarmFailureReachesUpstreamAtOnce(t *testing.T) {
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	iw := in.Writer()
	done := make(chan error, 1)
	go func() {
		var got []int
		done <- New("farm").Add(
			csp.Proc("producer", func(ctx context.Context) error {
				if err := iw.Write(3); err != nil {
					return err
				}
				for !in.Stats().Poisoned { // never writes again: only the farm's poison ends this
					time.Sleep(time.Millisecond)
				}
				return nil
			}, iw),
			Farm("farm", 2, func(v int) int { panic("three") }, in.Reader(), out.Writer()),
			Collector("col", out.Reader(), &got),
		).Run(context.Background())
	}()
	select {
	case err := <-done:
		var pan *csp.PanicError
		require.ErrorAs(t, err, &pan)
	case <-time.After(10 * time.Second):
		t.Fatal("the farm's failure never reached its input")
	}
}
