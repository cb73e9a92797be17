package components

import (
	"context"
	"slices"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMuxThenDemuxRoutesEveryValue(t *testing.T) {
	var procs []*csp.Process
	var readers []*csp.Reader[int]
	for i := range 3 {
		c := csp.NewChan[int]()
		procs = append(procs, Generator("gen", []int{i*10 + 1, i*10 + 2, i*10 + 3}, c.Writer()))
		readers = append(readers, c.Reader())
	}
	mid := csp.NewChan[int]()
	evens, odds := csp.NewChan[int](), csp.NewChan[int]()
	var ge, gO []int
	procs = append(procs,
		Mux("mux", readers, mid.Writer()),
		Demux("demux", func(v int) int { return v % 2 }, mid.Reader(), []*csp.Writer[int]{evens.Writer(), odds.Writer()}),
		Collector("evens", evens.Reader(), &ge),
		Collector("odds", odds.Reader(), &gO),
	)
	require.NoError(t, run(procs...))
	slices.Sort(ge)
	slices.Sort(gO)
	assert.Equal(t, []int{2, 12, 22}, ge)
	assert.Equal(t, []int{1, 3, 11, 13, 21, 23}, gO)
}

// An input that retires is that input's end only: Mux keeps reading the others, drains what their
// buffers hold, poisons nothing, and retires its output once every input has retired.
func TestMuxKeepsReadingOtherInputsAfterOneRetires(t *testing.T) {
	empty := csp.NewChan[int](csp.Named("empty"))
	full := csp.NewChan[int](csp.Named("full"), csp.Buffered(50))
	live := csp.NewChan[int](csp.Named("live"))
	empty.Writer().Retire()
	fw := full.Writer()
	var want []int
	for i := range 50 {
		require.NoError(t, fw.Write(i)) // buffered: does not block
		want = append(want, i)
	}
	fw.Retire() // its values wait in the buffer
	out := csp.NewChan[int](csp.Named("out"))
	var got []int
	lateValues := []int{100, 101, 102}
	require.NoError(t, run(
		Generator("late", lateValues, live.Writer()),
		Mux("mux", []*csp.Reader[int]{empty.Reader(), full.Reader(), live.Reader()}, out.Writer()),
		Collector("col", out.Reader(), &got),
	))
	slices.Sort(got)
	assert.Equal(t, append(want, lateValues...), got)
	for _, c := range []*csp.Chan[int]{empty, full, live, out} {
		assert.False(t, c.Stats().Poisoned, c.Name())
	}
	assert.Equal(t, 1, out.Stats().WritersRetired)
}

// A poisoned input is a failure upstream: Mux passes the poison to its output and to its other
// inputs, so that their sources stop too.
func TestMuxPassesPoisonFromOneInputToAll(t *testing.T) {
	a, b, out := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	aw := a.Writer()
	var bErr error
	var got []int
	require.NoError(t, run(
		csp.Proc("poisoner", func(ctx context.Context) error {
			if err := aw.Write(1); err != nil {
				return err
			}
			return csp.ErrPoisoned
		}, aw),
		endless("endless", b.Writer(), &bErr),
		Mux("mux", []*csp.Reader[int]{a.Reader(), b.Reader()}, out.Writer()),
		Collector("col", out.Reader(), &got),
	))
	assert.ErrorIs(t, bErr, csp.ErrPoisoned)
	assert.True(t, out.Stats().Poisoned)
}
