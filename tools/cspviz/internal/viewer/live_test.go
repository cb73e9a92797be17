package viewer

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/graphs/format"
	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
	"github.com/gocsp/gocsp/tools/cspviz/internal/testutil"
)

// startLive serves net and a live viewer of it, both on httptest servers.
func startLive(t *testing.T, net http.Handler) (*Live, *httptest.Server) {
	t.Helper()
	upstream := httptest.NewServer(net)
	t.Cleanup(upstream.Close)
	live, err := NewLive(context.Background(), upstream.URL)
	require.NoError(t, err)
	srv := httptest.NewServer(live)
	t.Cleanup(srv.Close)
	return live, srv
}

func TestLiveServesPageAndAssets(t *testing.T) {
	_, srv := startLive(t, fakenet.Commstime())
	code, body, _ := testutil.Get(t, srv.URL+"/")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `<script src="assets/app.js">`)
	for _, asset := range []string{"app.js", "style.css"} {
		code, body, _ := testutil.Get(t, srv.URL+"/assets/"+asset)
		assert.Equal(t, http.StatusOK, code, asset)
		assert.NotEmpty(t, body)
	}
	code, _, _ = testutil.Get(t, srv.URL+"/nothing-here")
	assert.Equal(t, http.StatusNotFound, code)

	code, body, _ = testutil.Get(t, srv.URL+"/info")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"mode":"live"`)
	assert.Contains(t, body, `"name":"commstime"`)
}

func TestLiveLayoutNamesEverything(t *testing.T) {
	_, srv := startLive(t, fakenet.Commstime())
	code, body, _ := testutil.Get(t, srv.URL+"/layout")
	require.Equal(t, http.StatusOK, code, body)
	var doc layoutDoc
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	doc.SVG += strings.Join(doc.Parts, "") // where they go does not matter here
	for _, name := range []string{"prefix", "delta", "succ", "consume", ">a<", "d [4]"} {
		assert.Contains(t, doc.SVG, name)
	}
	assert.Len(t, doc.Procs, 4)
	assert.Len(t, doc.Chans, 4)
	for id, sid := range doc.Procs {
		assert.Contains(t, doc.SVG, `id="`+strings.ReplaceAll(sid, "-", "&#45;")+`"`, id)
	}
}

func TestLiveSnapshotProxy(t *testing.T) {
	net := fakenet.Commstime(fakenet.WithInterval(20 * time.Millisecond))
	_, srv := startLive(t, net)
	var counts []uint64
	for range 3 {
		code, body, hdr := testutil.Get(t, srv.URL+"/snapshot")
		require.Equal(t, http.StatusOK, code, body)
		assert.Equal(t, "application/json", hdr.Get("Content-Type"))
		s, err := format.DecodeSnapshot([]byte(body))
		require.NoError(t, err)
		counts = append(counts, s.Channels[0].Messages)
		time.Sleep(50 * time.Millisecond)
	}
	assert.Less(t, counts[0], counts[2], "message counts should grow: %v", counts)
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name string
	data string
}

// readSSE reads events from r until n have arrived or the stream ends.
func readSSE(t *testing.T, r io.Reader, n int) []sseEvent {
	t.Helper()
	var evs []sseEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var cur sseEvent
	for len(evs) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" || cur.data != "" {
				evs = append(evs, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data += strings.TrimPrefix(line, "data: ")
		}
	}
	return evs
}

func TestLiveEventsStreamAndDiscovery(t *testing.T) {
	net := fakenet.Commstime(fakenet.WithInterval(20 * time.Millisecond))
	live, srv := startLive(t, net)
	_, ver0 := live.Model().Topology()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	evs := readSSE(t, resp.Body, 8)
	require.Len(t, evs, 8)
	var seqs []int64
	var msgs []uint64
	for _, ev := range evs {
		require.Equal(t, "snapshot", ev.name)
		s, err := format.DecodeSnapshot([]byte(ev.data))
		require.NoError(t, err)
		seqs = append(seqs, s.Seq)
		msgs = append(msgs, s.Channels[0].Messages)
	}
	assert.Less(t, msgs[0], msgs[len(msgs)-1], "counts change over the stream: %v", msgs)
	assert.Less(t, seqs[0], seqs[len(seqs)-1])

	// From tick 3 the fake network shows a monitor process and a stats
	// channel that its topology lacks; the viewer learns them, and the end
	// the monitor waits on, and lays them out.
	top, ver := live.Model().Topology()
	assert.Greater(t, ver, ver0)
	require.NotNil(t, top.Process("p9"))
	assert.Equal(t, "monitor", top.Process("p9").Name)
	require.NotNil(t, top.Channel("c9"))
	assert.Contains(t, top.Ends, format.End{Process: "p9", Channel: "c9", Dir: "read"})
	_, body, _ := testutil.Get(t, srv.URL+"/layout")
	assert.Contains(t, body, "monitor")
	assert.Contains(t, body, "stats")
}

func TestLiveEventsEnd(t *testing.T) {
	net := fakenet.Philosophers(5, fakenet.WithInterval(10*time.Millisecond), fakenet.WithEndAfter(2))
	_, srv := startLive(t, net)
	resp, err := http.Get(srv.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	evs := readSSE(t, resp.Body, 100) // returns when the proxy closes
	require.NotEmpty(t, evs)
	assert.Equal(t, "end", evs[len(evs)-1].name)
	s, err := format.DecodeSnapshot([]byte(evs[0].data))
	require.NoError(t, err)
	require.NotNil(t, s.Deadlock)
	assert.Len(t, s.Deadlock.Cycles[0], 10)
}

func TestLiveBadUpstream(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := NewLive(context.Background(), url)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "cannot reach the network at "+url+"/topology")
	})
	t.Run("not a URL", func(t *testing.T) {
		_, err := NewLive(context.Background(), "localhost:8080")
		require.ErrorContains(t, err, `"localhost:8080" is not an http:// or https:// URL`)
	})
	t.Run("404", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		_, err := NewLive(context.Background(), srv.URL)
		require.ErrorContains(t, err, srv.URL+"/topology: the network answered 404 Not Found")
	})
	t.Run("newer version", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"format":"gocsp-topology","version":2}`)
		}))
		defer srv.Close()
		_, err := NewLive(context.Background(), srv.URL)
		require.ErrorContains(t, err, srv.URL+"/topology: gocsp-topology version 2 not supported: it is newer")
	})
	t.Run("bad snapshot in stream", func(t *testing.T) {
		net := fakenet.Commstime()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/events" {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "event: snapshot\ndata: {\"format\":\"gocsp-snapshot\",\"version\":7}\n\n")
				return
			}
			net.ServeHTTP(w, r)
		}))
		defer srv.Close()
		live, err := NewLive(context.Background(), srv.URL)
		require.NoError(t, err)
		view := httptest.NewServer(live)
		defer view.Close()
		resp, err := http.Get(view.URL + "/events")
		require.NoError(t, err)
		defer resp.Body.Close()
		evs := readSSE(t, resp.Body, 1)
		require.Len(t, evs, 1)
		assert.Equal(t, "problem", evs[0].name)
		assert.Contains(t, evs[0].data, "version 7 not supported: it is newer")
	})
}

// Any of the network's endpoint URLs names the network, as does its base.
func TestNetworkBaseAcceptsEndpoints(t *testing.T) {
	for _, u := range []string{"http://h:1", "http://h:1/", "http://h:1/topology", "http://h:1/snapshot/", "http://h:1/events"} {
		assert.Equal(t, "http://h:1", NetworkBase(u), u)
	}
	assert.Equal(t, "http://h:1/debug", NetworkBase("http://h:1/debug/topology"))
	net := fakenet.Commstime()
	srv := httptest.NewServer(net)
	defer srv.Close()
	live, err := NewLive(context.Background(), srv.URL+"/topology")
	require.NoError(t, err)
	view := httptest.NewServer(live)
	defer view.Close()
	code, body, _ := testutil.Get(t, view.URL+"/snapshot")
	assert.Equal(t, http.StatusOK, code, body)
}

// The first layout of a live viewer has what the network started at run time
// already: the viewer reads a snapshot before it lays out, so the page need not
// lay the network out again as soon as its first snapshot arrives.
func TestLiveFirstLayoutHasRunTimeProcesses(t *testing.T) {
	net := fakenet.Commstime(fakenet.WithInterval(time.Millisecond))
	time.Sleep(10 * time.Millisecond) // past tick 3: the monitor runs
	_, srv := startLive(t, net)
	code, body, _ := testutil.Get(t, srv.URL+"/layout")
	require.Equal(t, http.StatusOK, code, body)
	var doc layoutDoc
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Contains(t, doc.Procs, "p9", "the monitor, started at run time")
	assert.Contains(t, doc.Chans, "c9", "its stats channel")
}

// A network whose snapshot cannot be read when the first layout is made is
// laid out as far as it is known, once: later layouts do not ask again (each
// ask held every layout up for as long as primeTimeout), since the page asks
// for a new layout when its snapshots show more.
func TestLivePrimesOnce(t *testing.T) {
	net := fakenet.Commstime()
	var asked atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/snapshot" {
			asked.Add(1)
			http.Error(w, "not now", http.StatusServiceUnavailable)
			return
		}
		net.ServeHTTP(w, r)
	}))
	t.Cleanup(upstream.Close)
	live, err := NewLive(context.Background(), upstream.URL)
	require.NoError(t, err)
	for i := range 3 {
		_, err := live.page.currentLayout(context.Background())
		require.NoError(t, err)
		id := string(rune('a' + i))
		live.page.model.addProcess(id, id) // a new version: the next call lays out again
	}
	assert.Equal(t, int32(1), asked.Load(), "snapshots asked for by three layouts")
}
