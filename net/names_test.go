package net

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
)

// Nodes register what they export with a name server and open ends by name; a name is one node's
// at a time; a node's names go when it does.
func TestNameServer(t *testing.T) {
	server := nodes(t, 1, fastBeat)[0]
	require.NoError(t, ServeNames(server))
	ns := nodes(t, 3, fastBeat, WithNameServer(server.Addr()))
	a, b, c := ns[0], ns[1], ns[2]
	ctx := ctxT(t)

	jobs := csp.NewChan[int](csp.Named("jobs"))
	require.NoError(t, Export(a, "jobs", jobs))
	got, err := b.Lookup(ctx, "jobs")
	require.NoError(t, err)
	require.Equal(t, a.Addr(), got)
	w, err := OpenWriter[int](ctx, b, "jobs") // by name alone
	require.NoError(t, err)
	exchange(t, w, jobs.Reader(), 42)

	// Another node may not take the name while its owner lives.
	err = Export(c, "jobs", csp.NewChan[int]())
	require.ErrorIs(t, err, ErrNameTaken)
	require.Contains(t, err.Error(), a.Addr())
	_, err = b.Lookup(ctx, "nobody")
	require.ErrorContains(t, err, "not registered")
	_, err = OpenReader[int](ctx, b, "nobody")
	require.Error(t, err)

	// The owner leaves: its names go, and the name is free again.
	a.Close()
	require.Eventually(t, func() bool {
		_, err := b.Lookup(ctx, "jobs")
		return err != nil && strings.Contains(err.Error(), "not registered")
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, Export(c, "jobs", csp.NewChan[int]()))
	got, err = b.Lookup(ctx, "jobs")
	require.NoError(t, err)
	require.Equal(t, c.Addr(), got)

	// Without a name server, a bare name is not an address.
	plain := nodes(t, 1)[0]
	_, err = OpenWriter[int](ctx, plain, "jobs")
	require.Error(t, err)
	_, err = plain.Lookup(ctx, "jobs")
	require.ErrorContains(t, err, "no name server")
}

// A node that goes silent (SIGSTOP: no goodbye, no more heartbeats) loses its names within the
// server's heartbeat bound, without a reconnection window (the child keeps the default one: a link
// resumes only if both nodes have one), and once the bound and the window have passed with one.
func TestNameServerDropsSilentNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, how := range losses {
		t.Run(how.name, func(t *testing.T) {
			server := nodes(t, 1, fastBeat, how.window)[0]
			require.NoError(t, ServeNames(server))
			cmd, lines := child(t, "names", server.Addr())
			var addr string
			for l := range lines {
				if a, ok := strings.CutPrefix(l, "addr "); ok {
					addr = a
					break
				}
				t.Fatalf("child: %s", l)
			}
			client := nodes(t, 1, WithNameServer(server.Addr()))[0]
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := client.Lookup(ctx, "c")
			require.NoError(t, err)
			require.Equal(t, addr, got)
			require.NoError(t, cmd.Process.Signal(syscall.SIGSTOP))
			defer cmd.Process.Signal(syscall.SIGCONT)
			require.Eventually(t, func() bool {
				_, err := client.Lookup(ctx, "c")
				return err != nil && strings.Contains(err.Error(), "not registered")
			}, 10*time.Second, 20*time.Millisecond, "the silent node's name stayed")
		})
	}
}

// A blip on a node's link to the name server (the connection cut, the redial let through) is
// healed by the default reconnection window: the node's session with the server, and so its
// names, stay (without a window the link is lost, the server drops the names, and the node, whose
// name client never opens a new session, cannot register any more), and it goes on registering.
func TestNameServerKeepsNamesOverBlip(t *testing.T) {
	server := nodes(t, 1, fastBeat)[0]
	require.NoError(t, ServeNames(server))
	var f faults
	owner := nodes(t, 1, fastBeat, WithNameServer(server.Addr()), WithDialer(f.dial))[0]
	other := nodes(t, 1, fastBeat, WithNameServer(server.Addr()))[0]
	ctx := ctxT(t)
	jobs := csp.NewChan[int](csp.Named("jobs"))
	require.NoError(t, Export(owner, "jobs", jobs))
	for i := range 3 {
		f.cut()
		name := fmt.Sprint("more", i)
		require.NoError(t, Export(owner, name, csp.NewChan[int]()), "a registration after the blip")
		for _, n := range []string{"jobs", name} {
			got, err := other.Lookup(ctx, n)
			require.NoError(t, err)
			require.Equal(t, owner.Addr(), got)
		}
		w, err := OpenWriter[int](ctx, other, "jobs")
		require.NoError(t, err)
		exchange(t, w, jobs.Reader(), i)
	}
}

// An error on the way from Export to the name server names the package once: each layer says
// what it was doing, and the inner layers' "net: " is not repeated.
func TestNameServerErrorReadsOnce(t *testing.T) {
	gone := nodes(t, 1)[0]
	addr := gone.Addr()
	gone.Close() // nothing listens there now: the dial is refused
	n := nodes(t, 1, WithNameServer(addr))[0]
	err := Export(n, "jobs", csp.NewChan[int]())
	require.Error(t, err)
	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, `net: Export("jobs"): registering: the name server: `), msg)
	require.Equal(t, 1, strings.Count(msg, "net: "), msg)
}

// The sentinels read in one style, the package first, as csp's and gpu's do.
func TestSentinelTexts(t *testing.T) {
	for _, err := range []error{ErrLinkLost, ErrTypeMismatch, ErrNoChannel, ErrClosed, ErrNameTaken} {
		require.True(t, strings.HasPrefix(err.Error(), "net: "), err.Error())
	}
	// Wrapped on the Export path, the package is named once.
	n := nodes(t, 1)[0]
	n.Close()
	err := Export(n, "jobs", csp.NewChan[int]())
	require.ErrorIs(t, err, ErrClosed)
	require.Equal(t, `net: Export("jobs"): node is closed`, err.Error())
}
