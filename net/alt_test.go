package net

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestAltExactlyOne: writers select between output guards on two channels homed on different
// nodes, offering the same value on both; readers select between input guards on both. Every
// selection fires exactly one guard, so every value arrives exactly once, over one channel or
// the other, never both and never neither.
func TestAltExactlyOne(t *testing.T) {
	k := 150 * stress()
	if testing.Short() {
		k = 30
	}
	ctx := ctxT(t)
	ns := nodes(t, 3)
	c1, c2 := csp.NewChan[int](), csp.NewChan[int](csp.Buffered(2))
	require.NoError(t, Export(ns[0], "c1", c1))
	require.NoError(t, Export(ns[2], "c2", c2))
	ends := func(at int) (*csp.Reader[int], *csp.Reader[int], *csp.Writer[int], *csp.Writer[int]) {
		var r1, r2 *csp.Reader[int]
		var w1, w2 *csp.Writer[int]
		var err error
		if at == 0 {
			r1, w1 = c1.Reader(), c1.Writer()
		} else {
			r1, err = OpenReader[int](ctx, ns[at], ns[0].Addr()+"/c1")
			require.NoError(t, err)
			w1, err = OpenWriter[int](ctx, ns[at], ns[0].Addr()+"/c1")
			require.NoError(t, err)
		}
		if at == 2 {
			r2, w2 = c2.Reader(), c2.Writer()
		} else {
			r2, err = OpenReader[int](ctx, ns[at], ns[2].Addr()+"/c2")
			require.NoError(t, err)
			w2, err = OpenWriter[int](ctx, ns[at], ns[2].Addr()+"/c2")
			require.NoError(t, err)
		}
		return r1, r2, w1, w2
	}
	var mu sync.Mutex
	seen := map[int]int{}
	fired := [2]int{}
	var procs []*csp.Process
	for i, at := range []int{1, 0, 2} {
		r1, r2, w1, w2 := ends(at)
		procs = append(procs, csp.Proc(fmt.Sprintf("writer@%d", at), func(context.Context) error {
			g1, g2 := csp.Send(w1, 0), csp.Send(w2, 0)
			alt := csp.NewAlt(g1, g2)
			for j := range k {
				v := i*k + j
				g1.Set(v)
				g2.Set(v)
				g, err := alt.SelectContext(ctx)
				if err != nil {
					return err
				}
				mu.Lock()
				fired[g]++
				mu.Unlock()
			}
			return nil
		}, w1, w2))
		procs = append(procs, csp.Proc(fmt.Sprintf("reader@%d", at), func(context.Context) error {
			g1, g2 := csp.Recv(r1), csp.Recv(r2)
			alt := csp.NewAlt(g1, g2)
			open := [2]bool{true, true}
			for open[0] || open[1] {
				g1.When(open[0])
				g2.When(open[1])
				g, err := alt.FairSelectContext(ctx)
				if errors.Is(err, csp.ErrRetired) {
					open[g] = false
					continue
				}
				if err != nil {
					return err
				}
				v := g1.Value()
				if g == 1 {
					v = g2.Value()
				}
				mu.Lock()
				seen[v]++
				mu.Unlock()
			}
			return nil
		}, r1, r2))
	}
	require.NoError(t, csp.Parallel(procs...))
	require.Len(t, seen, 3*k)
	for v, n := range seen {
		require.Equal(t, 1, n, "value %d delivered %d times", v, n)
	}
	require.Equal(t, 3*k, fired[0]+fired[1])
	require.Equal(t, uint64(fired[0]), c1.Stats().Messages)
	require.Equal(t, uint64(fired[1]), c2.Stats().Messages)
	t.Logf("%d values over c1, %d over c2", fired[0], fired[1])
}
