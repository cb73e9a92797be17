package components

import (
	"context"
	"slices"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGeneratorSeqStopsPullingWhenOutputRetires(t *testing.T) {
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
	require.NoError(t, run(
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
	))
	assert.Equal(t, []int{0, 1, 2}, got)
	assert.True(t, stopped, "the sequence was stopped, so its cleanup ran")
	assert.False(t, out.Stats().Poisoned)
}

func TestGeneratorSeqWritesEverySequenceValue(t *testing.T) {
	out := csp.NewChan[string]()
	var all []string
	require.NoError(t, run(
		GeneratorSeq("gen", slices.Values([]string{"a", "b"}), out.Writer()),
		Collector("col", out.Reader(), &all),
	))
	assert.Equal(t, []string{"a", "b"}, all)
	assert.Equal(t, 1, out.Stats().WritersRetired)
}
