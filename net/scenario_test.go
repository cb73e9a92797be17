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
	pri              bool // alting readers use a prioritised selection (else a fair one)
}

var shapes = []shape{
	{name: "one-to-one/2nodes", nodes: 2, writers: []int{1}, readers: []int{0}},
	{name: "one-to-one/remote-reader", nodes: 2, writers: []int{0}, readers: []int{1}},
	{name: "one-to-one/3nodes", nodes: 3, writers: []int{1}, readers: []int{2}},
	{name: "any-to-one/alting", nodes: 3, writers: []int{0, 1, 2, 1}, readers: []int{2}, altReaders: true},
	{name: "any-to-one/pri-alting", nodes: 3, writers: []int{0, 1, 2}, readers: []int{1}, altReaders: true, pri: true},
	{name: "any-to-any/3nodes", nodes: 3, writers: []int{0, 1, 2}, readers: []int{0, 1, 2, 2}},
	{name: "any-to-any/alting", nodes: 3, writers: []int{1, 2, 2}, readers: []int{0, 1, 2}, altReaders: true},
	{name: "both-alting/2nodes", nodes: 2, writers: []int{1}, readers: []int{0}, altReaders: true, altWriters: true},
	{name: "both-alting/3nodes", nodes: 3, writers: []int{1, 1}, readers: []int{2, 2}, altReaders: true, altWriters: true},
	{name: "both-alting/any-to-any", nodes: 3, writers: []int{0, 1, 2}, readers: []int{0, 1, 2}, altReaders: true, altWriters: true},
	{name: "both-alting/pri", nodes: 3, writers: []int{1, 2}, readers: []int{2, 0}, altReaders: true, altWriters: true, pri: true},
}

// How a scenario ends: the writers retire their ends when done (the default), or one process
// fails part way and so poisons the channel through the end it owns.
const (
	endRetire       = ""
	endPoisonWriter = "writer fails"
	endPoisonReader = "reader fails"
)

var errScenario = errors.New("the scenario's process fails here")

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
			t.Run(fmt.Sprintf("%s/buf%d", s.name, buf), func(t *testing.T) { runShape(t, s, buf, k, endRetire) })
		}
	}
}

// TestScenariosPoisoned runs every shape with buffers of 0, 1, 5, 10 and 20 and a process that
// fails part way: the first writer after half its values, or the first reader after a quarter of
// all of them. Its end poisons the channel, wherever the end is, and every other process ends
// with ErrPoisoned; no value is delivered twice, and none is delivered whose write did not
// return nil (poison discards what a buffer held, so the converse need not hold).
func TestScenariosPoisoned(t *testing.T) {
	k := 100 * stress()
	if testing.Short() {
		k = 20
	}
	for _, s := range shapes {
		for _, buf := range []int{0, 1, 5, 10, 20} {
			for _, how := range []string{endPoisonWriter, endPoisonReader} {
				t.Run(fmt.Sprintf("%s/buf%d/%s", s.name, buf, how), func(t *testing.T) { runShape(t, s, buf, k, how) })
			}
		}
	}
}

func runShape(t *testing.T, s shape, buf, k int, how string) {
	ctx := ctxT(t)
	ns := nodes(t, s.nodes)
	ch := csp.NewChan[int](csp.Named("c"), csp.Buffered(buf))
	require.NoError(t, Export(ns[0], "c", ch))
	target := ns[0].Addr() + "/c"
	var procs []*csp.Process
	var mu sync.Mutex
	seen := map[int]int{}
	acked := map[int]bool{}
	ends := make([]error, len(s.writers)+len(s.readers)) // what each process returned
	record := func(idx int, body func() error) func(context.Context) error {
		return func(context.Context) error {
			err := body()
			mu.Lock()
			ends[idx] = err
			mu.Unlock()
			return err
		}
	}
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
		procs = append(procs, csp.Proc(fmt.Sprintf("writer-%d@%d", i, at), record(i, func() error {
			defer nw.Retire()
			out := csp.Send(w, 0)
			alt := csp.NewAlt(out, csp.Recv(nr))
			for j := range k {
				if how == endPoisonWriter && i == 0 && j == k/2 {
					return errScenario
				}
				if !s.altWriters {
					if err := w.Write(i*k + j); err != nil {
						return err
					}
				} else {
					out.Set(i*k + j)
					if g, err := alt.SelectContext(ctx); err != nil || g != 0 {
						return fmt.Errorf("guard %d: %w", g, err)
					}
				}
				mu.Lock()
				acked[i*k+j] = true
				mu.Unlock()
			}
			return nil
		}), w, nr))
	}
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
		procs = append(procs, csp.Proc(fmt.Sprintf("reader-%d@%d", i, at), record(len(s.writers)+i, func() error {
			defer nw.Retire()
			in := csp.Recv(r)
			alt := csp.NewAlt(in, csp.Recv(nr))
			for {
				var v int
				var err error
				switch {
				case s.altReaders && s.pri:
					_, err = alt.PriSelectContext(ctx)
					v = in.Value()
				case s.altReaders:
					_, err = alt.FairSelectContext(ctx)
					v = in.Value()
				default:
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
				total := 0
				for _, n := range seen {
					total += n
				}
				mu.Unlock()
				if how == endPoisonReader && i == 0 && total >= len(s.writers)*k/4 {
					return errScenario
				}
			}
		}), r, nr))
	}
	err := csp.Parallel(procs...)
	if how != endRetire {
		// A reader may have seen the channel retire before the poison came: when every writer
		// had written all its values and retired, and that reader read the last of them (the
		// failing reader then fails on a value it took after the others had gone).
		writersDone := true
		for _, perr := range ends[:len(s.writers)] {
			writersDone = writersDone && perr == nil
		}
		// The failing reader may even never fail: its sibling read every value after the
		// quarter mark, the writers retired, and it saw ErrRetired. Then nothing was poisoned.
		if !(how == endPoisonReader && writersDone && ends[len(s.writers)] == nil) {
			require.ErrorIs(t, err, errScenario)
		}
		for idx, perr := range ends {
			switch {
			case errors.Is(perr, errScenario):
			case perr == nil && idx < len(s.writers): // wrote all its values before the poison
			case perr == nil && writersDone: // a reader that saw the writers retire first
			default:
				require.ErrorIs(t, perr, csp.ErrPoisoned, "process %s", procs[idx].Name())
			}
		}
		for v, n := range seen {
			require.Equal(t, 1, n, "value %d delivered %d times", v, n)
			require.True(t, acked[v], "value %d delivered, but its write did not return nil", v)
		}
		return
	}
	require.NoError(t, err)
	require.Len(t, seen, len(s.writers)*k)
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("value %d delivered %d times", v, n)
		}
	}
	st := ch.Stats()
	require.Equal(t, uint64(len(s.writers)*k), st.Messages)
}
