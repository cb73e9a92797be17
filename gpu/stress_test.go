package gpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestStressPoisonAnywhere poisons Proc and Pipeline networks at random points, from upstream
// (after k vectors were handed over, all k must come out) and from downstream (after m results),
// with random batch sizes, on the CPU backend and on the engine double, and checks that every
// pooled buffer is back each time (and, on the double, that none went back with work pending).
func TestStressPoisonAnywhere(t *testing.T) {
	f := newFakeEngine()
	devs := []*Device{openCPU(t, 2), openFake(t, f)}
	r := rand.New(rand.NewPCG(11, 12))
	names := []string{"Proc", "Pipeline"}
	for round := range scaled(120) {
		d := devs[round%2]
		name := names[r.IntN(2)]
		batch := 1 + r.IntN(5)
		upstream := r.IntN(2) == 0
		k := r.IntN(20)
		m := r.IntN(20)
		desc := fmt.Sprintf("round %d: %s batch %d upstream %v k %d m %d", round, name, batch, upstream, k, m)

		in, out := csp.NewChan[[]float32](), csp.NewChan[[]float32]()
		w := in.Writer()
		producer := csp.Proc("producer", func(context.Context) error {
			for i := 0; !upstream || i < k; i++ {
				if err := w.Write(vec(i % 30)); err != nil {
					return err
				}
			}
			return csp.ErrPoisoned
		}, w)
		rd := out.Reader()
		var got [][]float32
		consumer := csp.Proc("consumer", func(context.Context) error {
			for upstream || len(got) < m {
				v, err := rd.Read()
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			return csp.ErrPoisoned
		}, rd)
		procs := append(stages[name](d, Map(Square), in.Reader(), out.Writer(), Batch(batch)), producer, consumer)
		require.NoError(t, csp.Parallel(procs...), desc)
		if upstream {
			requireSquares(t, got, k)
		} else {
			require.Len(t, got, m, desc)
		}
		require.Zero(t, d.InUse(), desc)
	}
	f.requireClean(t)
}
