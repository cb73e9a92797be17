package components

import (
	"slices"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stageCase is a component used as one stage between an input and an output channel of int.
type stageCase struct {
	name    string
	kind    string
	mk      stage
	want    []int // for stageInput
	ordered bool  // whether want's order is promised
}

// stageInput is what every stage case is fed.
func stageInput() []int { return []int{3, 1, 4, 1, 5, 9, 2, 6} }

// stageCases lists every component that can stand between one input and one output.
func stageCases() []stageCase {
	in := stageInput()
	return []stageCase{
		{"identity", "Identity", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Identity("id", i, o) },
			in, true},
		{"prefix", "Prefix", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Prefix("pre", 7, i, o) },
			append([]int{7}, in...), true},
		{"successor", "Successor", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Successor("succ", i, o) },
			[]int{4, 2, 5, 2, 6, 10, 3, 7}, true},
		{"tail", "Tail", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return Tail("tail", i, o) },
			in[1:], true},
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
			in, true},
		{"deltapar-1", "DeltaPar", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process { return DeltaPar("delta", i, o) },
			in, true},
		{"mux-1", "Mux", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process {
			return Mux("mux", []*csp.Reader[int]{i}, o)
		}, in, true},
		{"demux-1", "Demux", func(i *csp.Reader[int], o *csp.Writer[int]) *csp.Process {
			return Demux("demux", func(int) int { return 0 }, i, []*csp.Writer[int]{o})
		}, in, true},
	}
}

func TestStageOwnsItsEndsAndSaysItsKind(t *testing.T) {
	for _, tc := range stageCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.mk(csp.NewChan[int]().Reader(), csp.NewChan[int]().Writer())
			assert.Equal(t, tc.kind, p.Kind())
			assert.Len(t, p.Ends(), 2)
		})
	}
}

// The source's end of stream travels through every stage as retirement: all values arrive, the
// output retires, and nothing is poisoned.
func TestStageDeliversEveryValueThenRetires(t *testing.T) {
	for _, tc := range stageCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err, in, out := runStage(t, tc.mk, stageInput())
			require.NoError(t, err)
			want := tc.want
			if !tc.ordered {
				slices.Sort(got)
				want = slices.Sorted(slices.Values(want))
			}
			assert.Equal(t, want, got)
			assert.False(t, in.Stats().Poisoned)
			assert.False(t, out.Stats().Poisoned)
			assert.Equal(t, 1, out.Stats().WritersRetired, "output retired")
			assert.Equal(t, 1, in.Stats().ReadersRetired, "input retired")
		})
	}
}

// A consumer that stops reading and retires ends the stage gracefully: the retirement travels
// upstream to the source, which sees ErrRetired, and nothing is poisoned.
func TestStageRetiresUpstreamWhenOutputRetires(t *testing.T) {
	for _, tc := range stageCases() {
		t.Run(tc.name, func(t *testing.T) {
			srcErr, in, out := retireDownstream(t, tc.mk, 2)
			assert.ErrorIs(t, srcErr, csp.ErrRetired)
			assert.False(t, in.Stats().Poisoned)
			assert.False(t, out.Stats().Poisoned)
		})
	}
}

func TestStagePassesPoisonDownstream(t *testing.T) {
	for _, tc := range stageCases() {
		t.Run(tc.name, func(t *testing.T) {
			cerr, out := poisonUpstream(t, tc.mk, stageInput()[:3])
			assert.ErrorIs(t, cerr, csp.ErrPoisoned)
			assert.True(t, out.Stats().Poisoned)
		})
	}
}

func TestStagePassesPoisonUpstream(t *testing.T) {
	for _, tc := range stageCases() {
		t.Run(tc.name, func(t *testing.T) {
			serr, in := poisonDownstream(t, tc.mk)
			assert.ErrorIs(t, serr, csp.ErrPoisoned)
			assert.True(t, in.Stats().Poisoned)
		})
	}
}
