package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/render"
	"github.com/gocsp/gocsp/tools/cspviz/internal/viewer"
)

// merged serves the debug endpoints of several networks (the nodes of one distributed network,
// each serving its own) as the endpoints of one: their processes and channels side by side, every
// id prefixed with the node's number ("n2.p1") and every name followed by the node ("worker
// @n2"), so that one page shows them all. It is what "cspviz watch URL URL..." watches; each
// node's remote channels lead to boxes named by address, as on the node's own page.
type merged struct {
	bases  []string
	client *http.Client  // for /topology and /snapshot: with a timeout
	stream *http.Client  // for the nodes' event streams: without one
	retry  time.Duration // how long a node's broken stream waits before it reconnects
	hub    *format.Hub   // the merged event stream

	mu    sync.Mutex
	homes []string // per node, the node its declared processes all name, if they agree (see nodeOf)
}

// maxSnapshot bounds what merged reads of one node's snapshot.
const maxSnapshot = 16 << 20

func newMerged(urls []string) *merged {
	m := &merged{client: &http.Client{Timeout: 10 * time.Second}, stream: &http.Client{}, retry: 2 * time.Second}
	for _, u := range urls {
		m.bases = append(m.bases, viewer.NetworkBase(u))
	}
	m.hub = format.NewHub(context.Background(), m.observe)
	return m
}

func (m *merged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/topology":
		t, err := m.topology(r.Context())
		m.reply(w, t, err)
	case "/snapshot":
		s, err := m.snapshot(r.Context())
		m.reply(w, s, err)
	case "/events":
		m.hub.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (m *merged) reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// node names the i-th network on the page.
func node(i int) string { return fmt.Sprintf("n%d", i+1) }

// topology fetches every node's topology and puts them side by side.
func (m *merged) topology(ctx context.Context) (*format.Topology, error) {
	t := &format.Topology{Format: format.TopologyFormat, Version: format.Version,
		Processes: []format.Process{}, Channels: []format.Channel{}, Ends: []format.End{}}
	var names []string
	homes := make([]string, len(m.bases))
	for i, b := range m.bases {
		ti, err := viewer.FetchTopology(ctx, m.client, b, 10*time.Second)
		if err != nil {
			return nil, err
		}
		p, at := node(i)+".", " @"+node(i)
		names = append(names, ti.Name+at)
		homes[i] = commonNode(ti.Processes)
		for _, x := range ti.Processes {
			x.ID, x.Name = p+x.ID, x.Name+at
			// The page draws each node as a box around its processes: a
			// process that does not say its node's address is on this one.
			if x.Attrs[render.NodeAttr] == "" {
				x.Attrs = maps.Clone(x.Attrs)
				if x.Attrs == nil {
					x.Attrs = map[string]string{}
				}
				x.Attrs[render.NodeAttr] = node(i)
			}
			t.Processes = append(t.Processes, x)
		}
		for _, c := range ti.Channels {
			c.ID, c.Name = p+c.ID, c.Name+at
			t.Channels = append(t.Channels, c)
		}
		for _, e := range ti.Ends {
			e.Process, e.Channel = p+e.Process, p+e.Channel
			t.Ends = append(t.Ends, e)
		}
	}
	t.Name = strings.Join(names, " + ")
	m.mu.Lock()
	m.homes = homes
	m.mu.Unlock()
	return t, nil
}

// commonNode is the node that every one of procs names, or "" when one names
// none or two name different ones.
func commonNode(procs []format.Process) string {
	home := ""
	for i, p := range procs {
		n := p.Attrs[render.NodeAttr]
		if n == "" || (i > 0 && n != home) {
			return ""
		}
		home = n
	}
	return home
}

// nodeOf is the node of a process that a node's snapshots show and its topology does not (one
// started at run time), by the node prefix of its merged id: the node its declared processes all
// name, else the node's number, as for a declared process that names none. The viewer draws it
// inside that node's box (viewer.WithNodeOf).
func (m *merged) nodeOf(id string) string {
	prefix, _, ok := strings.Cut(id, ".")
	if !ok || !strings.HasPrefix(prefix, "n") {
		return ""
	}
	i, err := strconv.Atoi(prefix[1:])
	if err != nil || i < 1 || i > len(m.bases) || node(i-1) != prefix {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if i <= len(m.homes) && m.homes[i-1] != "" {
		return m.homes[i-1]
	}
	return prefix
}

// viewerOptions are what a live viewer of the merged network needs beyond the command line's.
func (m *merged) viewerOptions() []viewer.Option {
	return []viewer.Option{viewer.WithNodeOf(m.nodeOf)}
}

// snapshot fetches every node's snapshot and merges them.
func (m *merged) snapshot(ctx context.Context) (*format.Snapshot, error) {
	snaps := make([]*format.Snapshot, len(m.bases))
	for i, b := range m.bases {
		si, err := m.fetchSnapshot(ctx, b)
		if err != nil {
			return nil, err
		}
		snaps[i] = si
	}
	return merge(snaps), nil
}

// merge puts the nodes' snapshots side by side, each node's ids prefixed and names marked with it.
// It changes the snapshots it is given.
func merge(snaps []*format.Snapshot) *format.Snapshot {
	s := &format.Snapshot{Format: format.SnapshotFormat, Version: format.Version,
		Processes: []format.ProcessState{}, Channels: []format.ChannelState{}}
	for i, si := range snaps {
		p, at := node(i)+".", " @"+node(i)
		s.Seq += si.Seq
		s.Running = s.Running || si.Running
		if si.Time.After(s.Time) {
			s.Time = si.Time
		}
		for _, x := range si.Processes {
			x.ID, x.Name = p+x.ID, x.Name+at
			for k := range x.Waits {
				x.Waits[k].Channel = p + x.Waits[k].Channel
			}
			for k := range x.Ends {
				x.Ends[k].Channel = p + x.Ends[k].Channel
			}
			s.Processes = append(s.Processes, x)
		}
		for _, c := range si.Channels {
			c.ID, c.Name = p+c.ID, c.Name+at
			s.Channels = append(s.Channels, c)
		}
		if si.Deadlock != nil && s.Deadlock == nil {
			d := *si.Deadlock
			d.Message = node(i) + ": " + d.Message
			for _, cyc := range d.Cycles {
				for k := range cyc {
					cyc[k].Process, cyc[k].Channel = p+cyc[k].Process, p+cyc[k].Channel
				}
			}
			s.Deadlock = &d
		}
	}
	return s
}

func (m *merged) fetchSnapshot(ctx context.Context, base string) (*format.Snapshot, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/snapshot", nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the network at %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSnapshot))
	if err != nil {
		return nil, fmt.Errorf("%s/snapshot: %w", base, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s/snapshot: %s", base, resp.Status)
	}
	s, err := format.DecodeSnapshot(body)
	if err != nil {
		return nil, fmt.Errorf("%s/snapshot: %w", base, err)
	}
	return s, nil
}

// nodeNews is what one node's event stream said: a snapshot, its end, or why it cannot be read.
type nodeNews struct {
	node    int
	snap    []byte // a snapshot's JSON
	ended   bool
	problem string
}

// observe feeds the merged event stream: it follows every node's own stream and, whenever one
// sends a snapshot, merges the latest of each (once every node has sent one); a node that cannot
// be read is reported as a problem, with the last merged state kept, and followed again after a
// pause. The merged stream ends when every node's has.
func (m *merged) observe(ctx context.Context, f *format.Feed) {
	news := make(chan nodeNews)
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := range m.bases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.follow(ctx, i, news)
		}()
	}
	latest := make([][]byte, len(m.bases))
	ended := make([]bool, len(m.bases))
	problems := make([]string, len(m.bases))
	for {
		var n nodeNews
		select {
		case <-ctx.Done():
			return
		case n = <-news:
		}
		problems[n.node] = n.problem
		problem := strings.Join(slices.DeleteFunc(slices.Clone(problems), func(p string) bool { return p == "" }), "; ")
		if n.problem != "" {
			f.Problem(problem)
			continue
		}
		if n.snap != nil {
			latest[n.node] = n.snap
		}
		ended[n.node] = ended[n.node] || n.ended
		if slices.ContainsFunc(latest, func(b []byte) bool { return b == nil }) {
			continue
		}
		snaps := make([]*format.Snapshot, len(latest))
		for i, b := range latest {
			// Decoded again each time (read checked it already): merge changes what it is given.
			snaps[i], _ = format.DecodeSnapshot(b)
		}
		if slices.Contains(snaps, nil) {
			continue
		}
		if data, err := json.Marshal(merge(snaps)); err == nil {
			f.Snapshot(data)
			if problem != "" {
				f.Problem(problem) // another node is still out of reach
			}
		}
		if !slices.Contains(ended, false) {
			f.End()
			return
		}
	}
}

// follow reads node i's event stream, sending what it says to news until ctx ends or the node's
// stream has ended, and reconnecting after m.retry when it breaks.
func (m *merged) follow(ctx context.Context, i int, news chan<- nodeNews) {
	send := func(n nodeNews) bool {
		n.node = i
		select {
		case news <- n:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		ended, err := m.read(ctx, m.bases[i], send)
		if ended || ctx.Err() != nil {
			return
		}
		if !send(nodeNews{problem: node(i) + ": " + err.Error()}) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.retry):
		}
	}
}

// read follows one connection to a node's /events: ended says it sent its end.
func (m *merged) read(ctx context.Context, base string, send func(nodeNews) bool) (ended bool, err error) {
	target := base + "/events"
	var bad error
	err = format.Subscribe(ctx, m.stream, target, func(name string, data []byte) bool {
		switch name {
		case "", format.EventSnapshot:
			if _, err := format.DecodeSnapshot(data); err != nil {
				bad = fmt.Errorf("%s: %w", target, err)
				return false
			}
			return send(nodeNews{snap: data})
		case format.EventEnd:
			ended = true
			send(nodeNews{ended: true})
			return false
		}
		return true // a problem of the node's own proxy, or an event of a later version
	})
	switch {
	case ended:
		return true, nil
	case bad != nil:
		return false, bad
	case err != nil:
		return false, err
	}
	return false, fmt.Errorf("%s: the stream closed without an end event", target)
}
