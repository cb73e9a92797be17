package components

import (
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemuxRouteOutOfRangeFailsAndPoisons(t *testing.T) {
	in, out := csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	err := run(
		Generator("gen", []int{1}, in.Writer()),
		Demux("demux", func(int) int { return 5 }, in.Reader(), []*csp.Writer[int]{out.Writer()}),
		Collector("col", out.Reader(), &got),
	)
	var pe *csp.ProcessError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "demux", pe.Process)
	assert.ErrorContains(t, err, "route(1) = 5")
	assert.True(t, out.Stats().Poisoned, "a failure poisons the component's ends")
}

// A route to an output whose reader retired ends the Demux by retirement: the other outputs and
// the source end gracefully, and nothing is poisoned.
func TestDemuxEndsByRetirementWhenTheChosenOutputRetired(t *testing.T) {
	in, a, b := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	a.Reader().Retire() // nobody will read a
	var srcErr error
	var gotB []int
	require.NoError(t, run(
		endless("src", in.Writer(), &srcErr),
		Demux("demux", func(v int) int { return min(v, 1) ^ 1 }, in.Reader(), []*csp.Writer[int]{a.Writer(), b.Writer()}),
		Collector("b", b.Reader(), &gotB),
	))
	assert.ErrorIs(t, srcErr, csp.ErrRetired)
	for _, c := range []*csp.Chan[int]{in, a, b} {
		assert.False(t, c.Stats().Poisoned)
	}
}
