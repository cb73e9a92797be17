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

// shape places one channel's ends: the channel's home is node 0; writers[i] and readers[i] are the
// nodes their ends are on (0: a local end at the home).
type shape struct {
	name             string
	nodes            int
	writers, readers []int
	altReaders       bool // readers select over their end and a local channel that never fires
	altWriters       bool // writers likewise, with an output guard
}

var shapes = []shape{
	{name: "one-to-one/2nodes", nodes: 2, writers: []int{1}, readers: []int{0}},
	{name: "one-to-one/remote-reader", nodes: 2, writers: []int{0}, readers: []int{1}},
	{name: "one-to-one/3nodes", nodes: 3, writers: []int{1}, readers: []int{2}},
	{name: "any-to-one/alting", nodes: 3, writers: []int{0, 1, 2, 1}, readers: []int{2}, altReaders: true},
	{name: "any-to-any/3nodes", nodes: 3, writers: []int{0, 1, 2}, readers: []int{0, 1, 2, 2}},
	{name: "any-to-any/alting", nodes: 3, writers: []int{1, 2, 2}, readers: []int{0, 1, 2}, altReaders: true},
	{name: "both-alting/2nodes", nodes: 2, writers: []int{1}, readers: []int{0}, altReaders: true, altWriters: true},
	{name: "both-alting/3nodes", nodes: 3, writers: []int{1, 1}, readers: []int{2, 2}, altReaders: true, altWriters: true},
	{name: "both-alting/any-to-any", nodes: 3, writers: []int{0, 1, 2}, readers: []int{0, 1, 2}, altReaders: true, altWriters: true},
}

// TestScenarios moves values through every shape with buffers of 0, 1, 5, 10 and 20, each
// process owning its end (so the writers' retirement ends the readers), and counts every value:
// each must be delivered exactly once.
func TestScenarios(t *testing.T) {
	k := 200 * stress()
	if testing.Short() {
		k = 40
	}
	for _, s := range shapes {
		for _, buf := range []int{0, 1, 5, 10, 20} {
			t.Run(fmt.Sprintf("%s/buf%d", s.name, buf), func(t *testing.T) { runShape(t, s, buf, k) })
		}
	}
}

func runShape(t *testing.T, s shape, buf, k int) {
	ctx := ctxT(t)
	ns := nodes(t, s.nodes)
	ch := csp.NewChan[int](csp.Named("c"), csp.Buffered(buf))
	require.NoError(t, Export(ns[0], "c", ch))
	target := ns[0].Addr() + "/c"
	var procs []*csp.Process
	for i, at := range s.writers {
		var w *csp.Writer[int]
		if at == 0 {
			w = ch.Writer()
		} else {
			var err error
			w, err = OpenWriter[int](ctx, ns[at], target)
			require.NoError(t, err)
		}
		never := csp.NewChan[int]()
		nr, nw := never.Reader(), never.Writer()
		procs = append(procs, csp.Proc(fmt.Sprintf("writer-%d@%d", i, at), func(context.Context) error {
			defer nw.Retire()
			out := csp.Send(w, 0)
			alt := csp.NewAlt(out, csp.Recv(nr))
			for j := range k {
				if !s.altWriters {
					if err := w.Write(i*k + j); err != nil {
						return err
					}
					continue
				}
				out.Set(i*k + j)
				if g, err := alt.SelectContext(ctx); err != nil || g != 0 {
					return fmt.Errorf("guard %d: %w", g, err)
				}
			}
			return nil
		}, w, nr))
	}
	var mu sync.Mutex
	seen := map[int]int{}
	for i, at := range s.readers {
		var r *csp.Reader[int]
		if at == 0 {
			r = ch.Reader()
		} else {
			var err error
			r, err = OpenReader[int](ctx, ns[at], target)
			require.NoError(t, err)
		}
		never := csp.NewChan[int]()
		nr, nw := never.Reader(), never.Writer()
		procs = append(procs, csp.Proc(fmt.Sprintf("reader-%d@%d", i, at), func(context.Context) error {
			defer nw.Retire()
			in := csp.Recv(r)
			alt := csp.NewAlt(in, csp.Recv(nr))
			for {
				var v int
				var err error
				if s.altReaders {
					_, err = alt.FairSelectContext(ctx)
					v = in.Value()
				} else {
					v, err = r.Read()
				}
				if errors.Is(err, csp.ErrRetired) {
					return nil
				}
				if err != nil {
					return err
				}
				mu.Lock()
				seen[v]++
				mu.Unlock()
			}
		}, r, nr))
	}
	require.NoError(t, csp.Parallel(procs...))
	require.Len(t, seen, len(s.writers)*k)
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("value %d delivered %d times", v, n)
		}
	}
	st := ch.Stats()
	require.Equal(t, uint64(len(s.writers)*k), st.Messages)
}
