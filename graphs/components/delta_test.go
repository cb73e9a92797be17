package components

import (
	"context"
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

// One consumer that stops and retires ends the Delta gracefully: the other consumer's stream ends
// by retirement, the source sees ErrRetired, and nothing is poisoned.
func TestDeltaEndsByRetirementWhenOneOutputRetires(t *testing.T) {
	for name, mk := range map[string]func(string, *csp.Reader[int], ...*csp.Writer[int]) *csp.Process{
		"Delta": Delta[int], "DeltaPar": DeltaPar[int],
	} {
		t.Run(name, func(t *testing.T) {
			in, o1, o2 := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
			r1 := o1.Reader()
			var srcErr error
			var g2 []int
			require.NoError(t, run(
				endless("src", in.Writer(), &srcErr),
				mk("delta", in.Reader(), o1.Writer(), o2.Writer()),
				csp.Proc("take2", func(ctx context.Context) error {
					for range 2 {
						if _, err := r1.Read(); err != nil {
							return err
						}
					}
					return nil
				}, r1),
				Collector("all", o2.Reader(), &g2),
			))
			assert.ErrorIs(t, srcErr, csp.ErrRetired)
			assert.GreaterOrEqual(t, len(g2), 2, "the other output got at least what the first took")
			for _, c := range []*csp.Chan[int]{in, o1, o2} {
				assert.False(t, c.Stats().Poisoned)
			}
		})
	}
}

// A poison from one consumer reaches the other consumer and the source.
func TestDeltaPassesPoisonFromOneOutputToAll(t *testing.T) {
	for name, mk := range map[string]func(string, *csp.Reader[int], ...*csp.Writer[int]) *csp.Process{
		"Delta": Delta[int], "DeltaPar": DeltaPar[int],
	} {
		t.Run(name, func(t *testing.T) {
			in, o1, o2 := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
			r1, r2 := o1.Reader(), o2.Reader()
			var srcErr, otherErr error
			require.NoError(t, run(
				endless("src", in.Writer(), &srcErr),
				mk("delta", in.Reader(), o1.Writer(), o2.Writer()),
				csp.Proc("poisoner", func(ctx context.Context) error {
					if _, err := r1.Read(); err != nil {
						return err
					}
					return csp.ErrPoisoned
				}, r1),
				csp.Proc("other", func(ctx context.Context) error {
					for {
						if _, otherErr = r2.Read(); otherErr != nil {
							return otherErr
						}
					}
				}, r2),
			))
			assert.ErrorIs(t, srcErr, csp.ErrPoisoned)
			assert.ErrorIs(t, otherErr, csp.ErrPoisoned)
		})
	}
}
