package net

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
)

// TestWindowsMeet links nodes with the default reconnection window, with none
// (WithReconnectWindow(0), or a node of before the window, which says nothing of one in its
// hello), and with windows of different lengths. Two nodes with a window link on a session and a
// cut connection heals; when either has none, they link as before the window (no session, a cut
// is a lost link at once, however long the other's window), so nodes of both kinds work together.
func TestWindowsMeet(t *testing.T) {
	for _, c := range []struct {
		name       string
		home, user []Option
		heals      bool
	}{
		{"both default", nil, nil, true},
		{"home default, user none", nil, []Option{WithReconnectWindow(0)}, false},
		{"home none, user default", []Option{WithReconnectWindow(0)}, nil, false},
		{"home default, user an hour", nil, []Option{WithReconnectWindow(time.Hour)}, true},
		{"home an hour, user none", []Option{WithReconnectWindow(time.Hour)}, []Option{WithReconnectWindow(0)}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var f faults
			home := nodes(t, 1, append([]Option{calmBeat}, c.home...)...)[0]
			user := nodes(t, 1, append([]Option{calmBeat, WithDialer(f.dial)}, c.user...)...)[0]
			ch := csp.NewChan[int]()
			require.NoError(t, Export(home, "c", ch))
			r, err := OpenReader[int](ctxT(t), user, home.Addr()+"/c")
			require.NoError(t, err)
			w := ch.Writer()
			werr := make(chan error, 1)
			go func() { werr <- w.Write(1) }()
			v, err := r.Read()
			require.NoError(t, err)
			require.Equal(t, 1, v)
			require.NoError(t, <-werr)
			user.mu.Lock()
			_, onSession := user.links[home.Addr()].c.(*session)
			user.mu.Unlock()
			require.Equal(t, c.heals, onSession, "whether the link runs on a session")

			f.cut() // the redial is let through: only a session makes one
			go func() { werr <- w.Write(2) }()
			v, err = r.Read()
			if c.heals {
				require.NoError(t, err)
				require.Equal(t, 2, v)
				require.NoError(t, <-werr)
				return
			}
			require.ErrorIs(t, err, ErrLinkLost)
			require.NotContains(t, err.Error(), "reconnection window", "the link waited for a window")
			// The home's end of the lost reader left (LeaveOnLinkLost) without waiting out
			// the home's window (an hour in one case): the home's writer, its only reader gone,
			// is told (ErrLinkLost if its value was in flight to the lost reader).
			err = <-werr
			require.True(t, typedLoss(err), "%v", err)
		})
	}
}
