package net

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestLeavingPeerKeepsExportUp: a peer that opens ends of an exported channel and then disconnects
// (its link cut) or goes silent past the heartbeat bound does not take the channel down for its
// other users under LeaveOnLinkLost, the default: an honest remote writer's later writes reach the
// home's reader (under poison, 3 of 3 failed). Its ends retire, one by one: at once without a
// reconnection window, and once the window passes with one (the leaver never comes back).
func TestLeavingPeerKeepsExportUp(t *testing.T) {
	for _, c := range []struct {
		how string
		loss
	}{{"cut", losses[0]}, {"cut", losses[1]}, {"silent", losses[0]}, {"silent", losses[1]}} {
		how := c.how
		t.Run(how+"/"+c.name, func(t *testing.T) {
			var f faults
			home, err := Listen("", calmBeat, c.window)
			require.NoError(t, err)
			defer home.Close()
			honest, err := Listen("", calmBeat, c.window)
			require.NoError(t, err)
			defer honest.Close()
			leaver, err := Listen("", calmBeat, c.window, WithDialer(f.dial))
			require.NoError(t, err)
			defer leaver.Close()
			ch := csp.NewChan[int](csp.Buffered(4))
			require.NoError(t, Export(home, "svc", ch))
			r := ch.Reader()
			w, err := OpenWriter[int](ctxT(t), honest, home.Addr()+"/svc")
			require.NoError(t, err)
			require.NoError(t, w.Write(1))
			_, err = OpenWriter[int](ctxT(t), leaver, home.Addr()+"/svc")
			require.NoError(t, err)
			_, err = OpenReader[int](ctxT(t), leaver, home.Addr()+"/svc")
			require.NoError(t, err)
			if how == "cut" {
				f.lose()
			} else {
				f.silence()
			}
			require.Eventually(t, func() bool {
				st := ch.Stats()
				return st.WritersRetired == 1 && st.ReadersRetired == 1
			}, 10*time.Second, time.Millisecond, "the leaver's ends retire")
			t.Logf("retired")
			for i := 2; i <= 4; i++ {
				require.NoError(t, w.Write(i), "an honest write after the leaver went")
			}
			for want := 1; want <= 4; want++ {
				v, err := r.Read()
				require.NoError(t, err)
				require.Equal(t, want, v)
			}
			require.False(t, ch.Stats().Poisoned)
		})
	}
}

// TestLeaveKeepsBufferedValues cuts the link of a remote reader of a buffered channel mid-stream
// under LeaveOnLinkLost: no acknowledged value is discarded. A local reader that reads only after
// the cut gets, with what the remote reader got, every value whose write returned nil, each once;
// the one value that may be missing is the one in flight to the lost reader when its link went.
// (Under PoisonOnLinkLost the lost reader's poison discards the buffer, as a local reader's does:
// 343 of 11,634 acknowledged writes never arrived.) The rounds alternate between nodes without a
// reconnection window and with a short one, not come back within.
func TestLeaveKeepsBufferedValues(t *testing.T) {
	rounds := 6 * stress()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	for i := range rounds {
		buf := []int{1, 8, 64}[i%3]
		cutAfter := time.Duration(rng.IntN(10_000)) * time.Microsecond
		how := losses[i%len(losses)]
		t.Run(fmt.Sprintf("buf%d/%v/%s", buf, cutAfter, how.name), func(t *testing.T) { leaveBuffered(t, buf, cutAfter, how) })
	}
}

func leaveBuffered(t *testing.T, buf int, cutAfter time.Duration, how loss) {
	var f faults
	home, err := Listen("", calmBeat, how.window)
	require.NoError(t, err)
	defer home.Close()
	user, err := Listen("", calmBeat, how.window, WithDialer(f.dial))
	require.NoError(t, err)
	defer user.Close()
	ch := csp.NewChan[int](csp.Buffered(buf))
	require.NoError(t, Export(home, "c", ch, OnLinkLost(LeaveOnLinkLost)))
	local := ch.Reader() // joined from the start, so the channel always has a reader
	r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/c")
	require.NoError(t, err)
	w := ch.Writer()
	var stop atomic.Bool // set once the remote reader has seen its link go
	acked := make(chan int, 1)
	go func() {
		i := 0
		for ; !stop.Load(); i++ {
			if err := w.Write(i); err != nil {
				require.ErrorIs(t, err, ErrLinkLost, "only the value in flight to the lost reader fails")
				break
			}
		}
		w.Retire()
		acked <- i
	}()
	time.AfterFunc(cutAfter, f.lose)
	var remote []int
	for {
		v, err := r.Read()
		if err != nil {
			require.ErrorIs(t, err, ErrLinkLost)
			break
		}
		remote = append(remote, v)
	}
	stop.Store(true)
	var rest []int
	for {
		v, err := local.Read()
		if err != nil {
			require.ErrorIs(t, err, csp.ErrRetired)
			break
		}
		rest = append(rest, v)
	}
	a := <-acked
	require.False(t, ch.Stats().Poisoned)
	t.Logf("%d acknowledged; %d read remotely before the cut, %d locally after", a, len(remote), len(rest))
	// One writer, so values arrive in order: the remote reader got a prefix 0..m-1, the local
	// reader the rest, with at most the one value in flight between them missing.
	for i, v := range remote {
		require.Equal(t, i, v, "remote: value %d out of order or twice", v)
	}
	seen := map[int]bool{}
	for _, v := range append(append([]int{}, remote...), rest...) {
		require.False(t, seen[v], "value %d received twice", v)
		seen[v] = true
	}
	missing := 0
	for v := range a {
		if !seen[v] {
			missing++
			require.Equal(t, len(remote), v, "acknowledged value %d discarded (not the one in flight)", v)
		}
	}
	require.LessOrEqual(t, missing, 1)
}

// calmBeat finds a silent peer within a second, and does not mistake a slow one (a loaded machine,
// the race detector) for a lost one as fastBeat may: these tests cut links, which is found at once.
var calmBeat = WithHeartbeat(50*time.Millisecond, time.Second)
