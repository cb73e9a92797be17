package net

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
)

// Channels that share a link do not wait for each other: with a remote writer and a remote reader
// stuck on two channels nobody serves at the home, thousands of values still stream both ways
// through two other channels on the same link, and the stuck operations are still waiting after.
func TestSlowChannelDoesNotStallOthers(t *testing.T) {
	ns := nodes(t, 2)
	home, user := ns[0], ns[1]
	stuckIn, stuckOut := csp.NewChan[int](csp.Named("stuck-in")), csp.NewChan[int](csp.Named("stuck-out"))
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	for name, ch := range map[string]*csp.Chan[int]{"stuck-in": stuckIn, "stuck-out": stuckOut, "in": in, "out": out} {
		require.NoError(t, Export(home, name, ch))
	}
	sw, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/stuck-in")
	require.NoError(t, err)
	sr, err := OpenReader[int](ctxT(t), user, home.Addr()+"/stuck-out")
	require.NoError(t, err)
	w, err := OpenWriter[int](ctxT(t), user, home.Addr()+"/in")
	require.NoError(t, err)
	r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/out")
	require.NoError(t, err)
	user.mu.Lock()
	links := len(user.all)
	user.mu.Unlock()
	require.Equal(t, 1, links, "the four ends share one link")

	stuck := make(chan error, 2)
	go func() { stuck <- sw.Write(-1) }()
	go func() { _, err := sr.Read(); stuck <- err }()

	const n = 2000
	hr, hw := in.Reader(), out.Writer()
	go func() {
		for i := range n {
			if hw.Write(i) != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		for i := range n {
			if err := w.Write(i); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := range n {
		v, err := hr.Read()
		require.NoError(t, err)
		require.Equal(t, i, v)
		v, err = r.Read()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	require.NoError(t, <-done)
	select {
	case err := <-stuck:
		t.Fatalf("an operation nobody served returned: %v", err)
	default:
	}
	stuckIn.Poison()
	stuckOut.Poison()
	for range 2 {
		require.ErrorIs(t, <-stuck, csp.ErrPoisoned)
	}
}
