package net

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// typedLoss says whether err is one of the errors an operation may return after a link loss: the
// link's own, or what the home's channel became (poisoned, or retired by a lost end that left).
func typedLoss(err error) bool {
	return errors.Is(err, ErrLinkLost) || errors.Is(err, csp.ErrPoisoned) || errors.Is(err, csp.ErrRetired)
}

// TestErrorsAfterLinkLossAreTyped streams values from a writer on one node to a reader on another
// through a channel at a third, and cuts the reader's link at a random moment: the writer, whose
// value may have been in flight to the lost reader, must get an error that errors.Is one of the
// sentinels (it got "at the channel's home: ... link lost", matching none, in about half the runs),
// with a plain Write and with an output guard of a selection, under both lost-link policies. Then
// the same with the writer's link cut: the reader, plain or selecting, must see what the policy
// made of the lost writer (ErrPoisoned, or ErrRetired as it was the only writer). The runs
// alternate between nodes without a reconnection window and with a short one, not come back within.
func TestErrorsAfterLinkLossAreTyped(t *testing.T) {
	runs := 20 * stress()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	for _, policy := range []LinkLostPolicy{PoisonOnLinkLost, LeaveOnLinkLost} {
		for _, alt := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/alt=%v", policy, alt), func(t *testing.T) {
				for i := range runs {
					typedAfterCut(t, policy, alt, time.Duration(rng.IntN(3000))*time.Microsecond, losses[i%len(losses)])
				}
			})
			t.Run(fmt.Sprintf("%v/alt=%v/writer-cut", policy, alt), func(t *testing.T) {
				for i := range runs {
					typedAfterWriterCut(t, policy, alt, time.Duration(rng.IntN(3000))*time.Microsecond, losses[i%len(losses)])
				}
			})
		}
	}
}

func typedAfterCut(t *testing.T, policy LinkLostPolicy, alt bool, cutAfter time.Duration, how loss) {
	var f faults
	home, err := Listen("", calmBeat, how.window)
	require.NoError(t, err)
	defer home.Close()
	wn, err := Listen("", calmBeat, how.window)
	require.NoError(t, err)
	defer wn.Close()
	rn, err := Listen("", calmBeat, how.window, WithDialer(f.dial))
	require.NoError(t, err)
	defer rn.Close()
	ch := csp.NewChan[int]()
	require.NoError(t, Export(home, "c", ch, OnLinkLost(policy)))
	w, err := OpenWriter[int](ctxT(t), wn, home.Addr()+"/c")
	require.NoError(t, err)
	r, err := OpenReader[int](ctxT(t), rn, home.Addr()+"/c")
	require.NoError(t, err)
	never := csp.NewChan[int]()
	werr := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			var err error
			if alt {
				_, err = csp.NewAlt(csp.Send(w, i), csp.Recv(never.Reader())).Select()
			} else {
				err = w.Write(i)
			}
			if err != nil {
				werr <- err
				return
			}
		}
	}()
	time.AfterFunc(cutAfter, f.lose)
	for {
		if _, err := r.Read(); err != nil {
			require.ErrorIs(t, err, ErrLinkLost, "the reader whose link was cut")
			break
		}
	}
	// The writer may go on writing to nobody for ever under the leave policy (the channel is
	// unbuffered and its reader gone: it waits): end it by poisoning the channel at its home.
	select {
	case err := <-werr:
		require.True(t, typedLoss(err), "the writer's error matches no sentinel: %v", err)
	case <-time.After(50 * time.Millisecond):
		ch.Poison()
		err := <-werr
		require.True(t, typedLoss(err), "the writer's error matches no sentinel: %v", err)
	}
}

func typedAfterWriterCut(t *testing.T, policy LinkLostPolicy, alt bool, cutAfter time.Duration, how loss) {
	var f faults
	home, err := Listen("", calmBeat, how.window)
	require.NoError(t, err)
	defer home.Close()
	wn, err := Listen("", calmBeat, how.window, WithDialer(f.dial))
	require.NoError(t, err)
	defer wn.Close()
	rn, err := Listen("", calmBeat, how.window)
	require.NoError(t, err)
	defer rn.Close()
	ch := csp.NewChan[int]()
	require.NoError(t, Export(home, "c", ch, OnLinkLost(policy)))
	w, err := OpenWriter[int](ctxT(t), wn, home.Addr()+"/c")
	require.NoError(t, err)
	r, err := OpenReader[int](ctxT(t), rn, home.Addr()+"/c")
	require.NoError(t, err)
	werr := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if err := w.Write(i); err != nil {
				werr <- err
				return
			}
		}
	}()
	time.AfterFunc(cutAfter, f.lose)
	never := csp.NewChan[int]()
	nr := never.Reader()
	for {
		var err error
		if alt {
			_, err = csp.NewAlt(csp.Recv(r), csp.Recv(nr)).Select()
		} else {
			_, err = r.Read()
		}
		if err != nil {
			require.ErrorIs(t, err, policyErr(policy), "the reader, once the only writer was lost")
			break
		}
	}
	require.ErrorIs(t, <-werr, ErrLinkLost, "the writer whose link was cut")
}
