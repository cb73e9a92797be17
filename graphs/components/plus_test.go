package components

import (
	"context"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlusAddsPairsAndEndsWithTheShorterInput(t *testing.T) {
	a, b, out := csp.NewChan[int](), csp.NewChan[int](), csp.NewChan[int]()
	var got []int
	require.NoError(t, run(
		Generator("a", []int{1, 2, 3}, a.Writer()),
		Generator("b", []int{10, 20, 30, 40}, b.Writer()),
		Plus("plus", a.Reader(), b.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	))
	assert.Equal(t, []int{11, 22, 33}, got)
	assert.Equal(t, 1, out.Stats().WritersRetired)
	assert.False(t, b.Stats().Poisoned, "the longer input is retired, not poisoned")
}

// A poisoned input poisons Plus's output and its other input, so that both neighbours stop.
func TestPlusPassesPoisonFromOneInputToAll(t *testing.T) {
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
		endless("b", b.Writer(), &bErr),
		Plus("plus", a.Reader(), b.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	))
	assert.ErrorIs(t, bErr, csp.ErrPoisoned)
	assert.True(t, out.Stats().Poisoned)
	assert.Equal(t, []int{1}, got, "the pair completed before the poison arrived")
}
