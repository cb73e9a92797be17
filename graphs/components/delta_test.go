package components

import (
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeltaCopiesEveryValueToEveryOutput(t *testing.T) {
	for name, mk := range map[string]func(string, *csp.Reader[int], ...*csp.Writer[int]) *csp.Process{
		"Delta": Delta[int], "DeltaPar": DeltaPar[int],
	} {
		t.Run(name, func(t *testing.T) {
			in := csp.NewChan[int]()
			o1, o2 := csp.NewChan[int](), csp.NewChan[int]()
			var g1, g2 []int
			require.NoError(t, run(
				Generator("gen", []int{1, 2, 3}, in.Writer()),
				mk("delta", in.Reader(), o1.Writer(), o2.Writer()),
				Collector("c1", o1.Reader(), &g1),
				Collector("c2", o2.Reader(), &g2),
			))
			assert.Equal(t, []int{1, 2, 3}, g1)
			assert.Equal(t, []int{1, 2, 3}, g2)
		})
	}
}
