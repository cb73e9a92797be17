package net

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/format"
)

// A remote end takes part in a graphs network like a local one: its owner's process is in the
// topology with an edge on the remote channel, and the network runs, observed, to the end.
func TestRemoteEndInGraphsNetwork(t *testing.T) {
	ns := nodes(t, 2)
	home := csp.NewChan[int](csp.Named("jobs"))
	require.NoError(t, Export(ns[0], "jobs", home))
	r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/jobs")
	require.NoError(t, err)
	sum := 0
	n := graphs.New("remote-consumer").Add(csp.Proc("consumer", func(context.Context) error {
		for {
			v, err := r.Read()
			if err != nil {
				return err
			}
			sum += v
		}
	}, r))
	top := n.Topology()
	require.Len(t, top.Processes, 1)
	require.Len(t, top.Channels, 1)
	require.Equal(t, r.Channel().Name(), top.Channels[0].Name)
	require.Len(t, top.Ends, 1)
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	w := home.Writer()
	for i := 1; i <= 10; i++ {
		require.NoError(t, w.Write(i))
	}
	w.Retire()
	require.NoError(t, <-done)
	require.Equal(t, 55, sum)
}

// A remote end's channel shows where it lives: the home node's address in the topology, and the
// link's state in snapshots, "up" and then, once the home is gone, "lost".
func TestRemoteEndShowsItsHome(t *testing.T) {
	ns := nodes(t, 2)
	home := csp.NewChan[int](csp.Named("jobs"))
	require.NoError(t, Export(ns[0], "jobs", home))
	r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/jobs")
	require.NoError(t, err)
	local := csp.NewChan[int](csp.Named("local"))
	lr, lw := local.Reader(), local.Writer()
	// The test holds lw, an end outside the network.
	n := graphs.New("remote-consumer", graphs.WithOutsideEnds()).Add(csp.Proc("consumer", func(context.Context) error {
		_, err := r.Read()
		return err
	}, r), csp.Proc("idle", func(context.Context) error { _, err := lr.Read(); return err }, lr))
	top := n.Topology()
	byName := map[string]format.Channel{}
	for _, c := range top.Channels {
		byName[c.Name] = c
	}
	require.Equal(t, ns[0].Addr(), byName[r.Channel().Name()].Remote)
	require.Empty(t, byName["local"].Remote)
	link := func() map[string]string {
		m := map[string]string{}
		for _, c := range n.Snapshot().Channels {
			m[c.Name] = c.Link
		}
		return m
	}
	require.Equal(t, "up", link()[r.Channel().Name()])
	require.Equal(t, "", link()["local"])
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	ns[0].Close()
	require.Eventually(t, func() bool { return link()[r.Channel().Name()] == "lost" }, 10*time.Second, time.Millisecond)
	lw.Retire()
	require.ErrorIs(t, <-done, ErrLinkLost)
}

// Values that go through remote ends count as the channel's messages on this node, whether by a
// plain operation or by a guard of a selection.
func TestRemoteEndCountsMessages(t *testing.T) {
	ns := nodes(t, 2)
	home := csp.NewChan[int](csp.Named("c"))
	require.NoError(t, Export(ns[0], "c", home))
	w, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	hw, hr := home.Writer(), home.Reader()
	go func() {
		for i := range 2 {
			hw.Write(i)
		}
	}()
	_, err = r.Read() // plain read
	require.NoError(t, err)
	_, err = csp.Select(csp.Recv(r)) // an input guard
	require.NoError(t, err)
	go func() {
		for range 2 {
			hr.Read()
		}
	}()
	require.NoError(t, w.Write(1))      // plain write
	_, err = csp.Select(csp.Send(w, 2)) // an output guard
	require.NoError(t, err)
	require.EqualValues(t, 2, r.Channel().Stats().Messages, "reads through the remote reader")
	require.EqualValues(t, 2, w.Channel().Stats().Messages, "writes through the remote writer")
}

// A trace records the moment a remote end's link is lost, and cspviz's replay can show it.
func TestTraceRecordsLinkLost(t *testing.T) {
	ns := nodes(t, 2)
	home := csp.NewChan[int](csp.Named("jobs"))
	require.NoError(t, Export(ns[0], "jobs", home))
	r, err := OpenReader[int](ctxT(t), ns[1], ns[0].Addr()+"/jobs")
	require.NoError(t, err)
	var trace bytes.Buffer
	n := graphs.New("traced", graphs.WithTrace(&trace)).Add(csp.Proc("consumer", func(context.Context) error {
		_, err := r.Read()
		return err
	}, r))
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	require.Eventually(t, func() bool {
		for _, p := range n.Snapshot().Processes {
			if p.Name == "consumer" && p.State == "blocked-read" {
				return true
			}
		}
		return false
	}, 10*time.Second, time.Millisecond)
	ns[0].Close()
	require.ErrorIs(t, <-done, ErrLinkLost)
	tr, err := graphs.NewTraceReader(&trace)
	require.NoError(t, err)
	lost := 0
	for {
		ev, err := tr.Next()
		if err != nil {
			break
		}
		if ev.Ev == "chan.link-lost" {
			lost++
			require.NotEmpty(t, ev.Chan)
		}
	}
	require.Equal(t, 1, lost, "one link-lost event for the channel:\n%s", trace.String())
}
