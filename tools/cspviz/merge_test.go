package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
)

// Several nodes' endpoints are served as one network: every id prefixed by its node, every name
// marked with it, the remote channels' homes kept, and one stream of merged snapshots.
func TestMergedNodes(t *testing.T) {
	a := httptest.NewServer(fakenet.Commstime(fakenet.WithInterval(20 * time.Millisecond)))
	defer a.Close()
	b := httptest.NewServer(fakenet.Dispatcher(fakenet.WithInterval(20 * time.Millisecond)))
	defer b.Close()
	m := newMerged([]string{a.URL, b.URL + "/topology"})
	ctx := context.Background()

	top, err := m.topology(ctx)
	require.NoError(t, err)
	require.NoError(t, top.Validate())
	require.Len(t, top.Processes, 5)
	require.Equal(t, "n1.p1", top.Processes[0].ID)
	require.Equal(t, "prefix @n1", top.Processes[0].Name)
	require.Equal(t, "dispatcher @n2", top.Processes[4].Name)
	require.Equal(t, "commstime @n1 + dispatcher @n2", top.Name)
	remote := 0
	for _, c := range top.Channels {
		if c.Remote != "" {
			remote++
			require.True(t, strings.HasPrefix(c.ID, "n2."), c.ID)
		}
	}
	require.Equal(t, 3, remote)

	time.Sleep(100 * time.Millisecond) // past tick 3: the dispatcher's link to one node is lost
	s, err := m.snapshot(ctx)
	require.NoError(t, err)
	links := map[string]string{}
	for _, c := range s.Channels {
		links[c.ID] = c.Link
	}
	require.Equal(t, format.LinkLost, links["n2.c3"])
	require.Equal(t, format.LinkUp, links["n2.c1"])
	require.Empty(t, links["n1.c1"])
	for _, p := range s.Processes {
		for _, w := range p.Waits {
			require.Contains(t, links, w.Channel, "a wait names a merged channel id")
		}
	}

	srv := httptest.NewServer(m)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			s, err := format.DecodeSnapshot([]byte(data))
			require.NoError(t, err)
			require.Len(t, s.Channels, len(top.Channels)+1, "both nodes' channels (and commstime's stats)")
			return
		}
	}
	t.Fatal("no snapshot event")
}

// One node that cannot be reached makes the merged endpoints fail with its address.
func TestMergedNodeGone(t *testing.T) {
	a := httptest.NewServer(fakenet.Commstime())
	defer a.Close()
	m := newMerged([]string{a.URL, "http://127.0.0.1:1"})
	_, err := m.topology(context.Background())
	require.ErrorContains(t, err, "127.0.0.1:1")
}

// The merged stream follows each node's own event stream: it ends when every node's has, and a
// node it cannot reach is a problem event naming the node, with the others' state kept.
func TestMergedEventsFollowNodes(t *testing.T) {
	a := httptest.NewServer(fakenet.Commstime(fakenet.WithInterval(5*time.Millisecond), fakenet.WithEndAfter(3)))
	defer a.Close()
	b := httptest.NewServer(fakenet.Dispatcher(fakenet.WithInterval(5*time.Millisecond), fakenet.WithEndAfter(5)))
	defer b.Close()
	srv := httptest.NewServer(newMerged([]string{a.URL, b.URL}))
	defer srv.Close()
	var names []string
	require.NoError(t, format.Subscribe(context.Background(), http.DefaultClient, srv.URL+"/events", func(name string, data []byte) bool {
		names = append(names, name)
		if name == format.EventSnapshot {
			s, err := format.DecodeSnapshot(data)
			require.NoError(t, err)
			require.Equal(t, "n1.p1", s.Processes[0].ID)
		}
		return name != format.EventEnd
	}))
	require.Equal(t, format.EventEnd, names[len(names)-1])

	m := newMerged([]string{a.URL, "http://127.0.0.1:1"})
	m.retry = time.Hour
	srv2 := httptest.NewServer(m)
	defer srv2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var problem format.Problem
	format.Subscribe(ctx, http.DefaultClient, srv2.URL+"/events", func(name string, data []byte) bool {
		if name != format.EventProblem {
			return true
		}
		require.NoError(t, json.Unmarshal(data, &problem))
		return false
	})
	require.Contains(t, problem.Message, "n2: cannot reach the network at http://127.0.0.1:1/events")
}

// A process that only a node's snapshots show (started at run time) belongs to that node: the one
// its declared processes all name, else the node's number.
func TestMergedNodeOfRunTimeProcess(t *testing.T) {
	a := httptest.NewServer(fakenet.Commstime())
	defer a.Close()
	b := httptest.NewServer(fakenet.New(&format.Topology{Format: format.TopologyFormat, Version: format.Version, Name: "w",
		Processes: []format.Process{{ID: "p1", Name: "worker", Attrs: map[string]string{"node": "10.0.0.7:7000"}}}},
		func(int) *format.Snapshot { return &format.Snapshot{Running: true} }))
	defer b.Close()
	m := newMerged([]string{a.URL, b.URL})
	require.Equal(t, "n2", m.nodeOf("n2.d7"), "before the topology is read")
	_, err := m.topology(context.Background())
	require.NoError(t, err)
	require.Equal(t, "n1", m.nodeOf("n1.d7"))
	require.Equal(t, "10.0.0.7:7000", m.nodeOf("n2.d7"))
	for _, id := range []string{"d7", "n3.d7", "n0.d7", "x1.d7", "n01.d7", "nx.d7"} {
		require.Empty(t, m.nodeOf(id), id)
	}
}
