package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
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
	client *http.Client
	every  time.Duration // how often /events polls the nodes
}

// maxSnapshot bounds what merged reads of one node's snapshot.
const maxSnapshot = 16 << 20

func newMerged(urls []string) *merged {
	m := &merged{client: &http.Client{Timeout: 10 * time.Second}, every: 250 * time.Millisecond}
	for _, u := range urls {
		m.bases = append(m.bases, viewer.NetworkBase(u))
	}
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
		m.events(w, r)
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
	for i, b := range m.bases {
		ti, err := viewer.FetchTopology(ctx, m.client, b, 10*time.Second)
		if err != nil {
			return nil, err
		}
		p, at := node(i)+".", " @"+node(i)
		names = append(names, ti.Name+at)
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
	return t, nil
}

// snapshot fetches every node's snapshot and merges them.
func (m *merged) snapshot(ctx context.Context) (*format.Snapshot, error) {
	s := &format.Snapshot{Format: format.SnapshotFormat, Version: format.Version,
		Processes: []format.ProcessState{}, Channels: []format.ChannelState{}}
	for i, b := range m.bases {
		si, err := m.fetchSnapshot(ctx, b)
		if err != nil {
			return nil, err
		}
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
	return s, nil
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

// events streams the merged snapshot at each poll of the nodes, and ends the stream once
// no node runs any more (or one cannot be read: the page then says the network is gone).
func (m *merged) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	tick := time.NewTicker(m.every)
	defer tick.Stop()
	for {
		s, err := m.snapshot(r.Context())
		if err != nil {
			return
		}
		// Every poll is news: each node's seq grows with every snapshot taken of it.
		body, _ := json.Marshal(s)
		fmt.Fprintf(w, "event: snapshot\ndata: %s\n\n", body)
		fl.Flush()
		if !s.Running {
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			fl.Flush()
			return
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		}
	}
}
