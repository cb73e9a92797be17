package net

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestCutMidStream cuts the link under a stream at a point drawn from a seed (logged, so that a
// failing cut point can be tried again), with the remote end writing and with it reading, and
// checks the promise of a lost link: every write that returned nil was received exactly once, no
// value twice, at most the one value in flight received without its write succeeding, and every
// blocked operation returns ErrLinkLost or, on the home side, what the export's policy made of the
// lost end: ErrPoisoned (PoisonOnLinkLost) or ErrRetired (LeaveOnLinkLost, the only other end
// having left). The runs alternate between nodes without a reconnection window and nodes with a
// short one whose redials are refused (losses), the link being lost once it passes.
func TestCutMidStream(t *testing.T) {
	rounds := 6 * stress()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range rounds {
		for k, remoteWriter := range []bool{true, false} {
			buf := 0
			if remoteWriter {
				buf = []int{0, 1, 5}[i%3]
			}
			cutAfter := time.Duration(rng.IntN(20_000)) * time.Microsecond
			policy := []LinkLostPolicy{PoisonOnLinkLost, LeaveOnLinkLost}[rng.IntN(2)]
			cutStream(t, remoteWriter, buf, cutAfter, policy, losses[(i+k)%len(losses)])
		}
	}
}

func cutStream(t *testing.T, remoteWriter bool, buf int, cutAfter time.Duration, policy LinkLostPolicy, how loss) {
	var f faults
	home, err := Listen("", fastBeat, how.window)
	require.NoError(t, err)
	defer home.Close()
	user, err := Listen("", fastBeat, how.window, WithDialer(f.dial))
	require.NoError(t, err)
	defer user.Close()
	ch := csp.NewChan[int](csp.Buffered(buf))
	require.NoError(t, Export(home, "c", ch, OnLinkLost(policy)))
	var w *csp.Writer[int]
	var r *csp.Reader[int]
	if remoteWriter {
		w, err = OpenWriter[int](context.Background(), user, home.Addr()+"/c")
		r = ch.Reader()
	} else {
		r, err = OpenReader[int](context.Background(), user, home.Addr()+"/c")
		w = ch.Writer()
	}
	require.NoError(t, err)

	const n = 1_000_000
	acked := make(chan int, 1) // the number of writes that returned nil
	go func() {
		i := 0
		for ; i < n; i++ {
			if err := w.Write(i); err != nil {
				// A local writer whose value was in flight to the lost reader fails with
				// ErrLinkLost (its fate is unknown); one that comes later finds the channel
				// poisoned by the home, or its only reader gone.
				if !errors.Is(err, ErrLinkLost) && (remoteWriter || !errors.Is(err, policyErr(policy))) {
					t.Errorf("write: %v", err)
				}
				break
			}
		}
		acked <- i
	}()
	time.AfterFunc(cutAfter, f.lose)
	var got []int
	for {
		v, err := r.Read()
		if err != nil {
			want := policyErr(policy)
			if !remoteWriter {
				want = ErrLinkLost
			}
			require.ErrorIs(t, err, want)
			break
		}
		got = append(got, v)
	}
	a := <-acked
	t.Logf("%s: remote writer %v, buffer %d, cut after %v, %v: %d acknowledged, %d received", how.name, remoteWriter, buf, cutAfter, policy, a, len(got))
	// Values arrive in order from one writer, so exactly once is: got is 0, 1, 2, ... with no gap
	// and no repeat, at least every acknowledged one, at most one more.
	for i, v := range got {
		require.Equal(t, i, v, "value %d received out of order or twice", v)
	}
	require.GreaterOrEqual(t, len(got), a, "an acknowledged write was lost (acked %d, received %d)", a, len(got))
	require.LessOrEqual(t, len(got), a+1, "more values received than written")
}

// policyErr is what the other ends of a channel see once its only end of the other kind was lost
// under policy.
func policyErr(policy LinkLostPolicy) error {
	if policy == PoisonOnLinkLost {
		return csp.ErrPoisoned
	}
	return csp.ErrRetired
}
