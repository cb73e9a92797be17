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
