package graphs

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/components"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepNet is a network the test drives: the producer writes one value each time step is sent to,
// and returns when step is closed.
func stepNet() (*Network, chan<- struct{}) {
	step := make(chan struct{})
	c := csp.NewChan[int](csp.Named("values"))
	w, r := c.Writer(), c.Reader()
	var got []int
	n := New("steps").Add(
		csp.Proc("producer", func(ctx context.Context) error {
			for range step {
				if err := w.Write(1); err != nil {
					return err
				}
			}
			return nil
		}, w),
		components.Collector("consumer", r, &got),
	)
	return n, step
}

func getJSON(t *testing.T, c *http.Client, url string) (map[string]any, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m, resp.Header
}

func TestHandlerJSON(t *testing.T) {
	n, step := stepNet()
	close(step)
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	c := srv.Client()
	defer c.CloseIdleConnections()

	top, h := getJSON(t, c, srv.URL+"/topology")
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Empty(t, h.Get("Access-Control-Allow-Origin"), "no CORS unless asked for")
	assert.Equal(t, "gocsp-topology", top["format"])
	assert.EqualValues(t, 1, top["version"])
	assert.Len(t, top["processes"], 2)
	assert.Len(t, top["channels"], 1)
	assert.Len(t, top["ends"], 2)
	ch := top["channels"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"id": "c1", "name": "values", "type": "int", "buffer": 0.0}, ch)

	require.NoError(t, n.Run(context.Background()))
	snap, h := getJSON(t, c, srv.URL+"/snapshot")
	assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
	for _, k := range []string{"format", "version", "seq", "time", "running", "processes", "channels", "deadlock"} {
		assert.Contains(t, snap, k)
	}
	assert.Equal(t, "gocsp-snapshot", snap["format"])
	assert.Equal(t, false, snap["running"])
	assert.Nil(t, snap["deadlock"])
	p := snap["processes"].([]any)[0].(map[string]any)
	assert.Equal(t, "p1", p["id"])
	assert.Equal(t, "done", p["state"])
	chs := snap["channels"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "name", "buffer", "len", "messages", "readers", "writers", "readersRetired", "writersRetired", "poisoned"} {
		assert.Contains(t, chs, k)
	}
	assert.EqualValues(t, 1, chs["writersRetired"])
}

// sse reads server-sent events.
type sse struct{ r *bufio.Reader }

func (s sse) next(t *testing.T) (event string, data []byte) {
	t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = []byte(strings.TrimPrefix(line, "data: "))
		}
	}
}

func TestHandlerEventsStream(t *testing.T) {
	n, step := stepNet()
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	c := srv.Client()
	defer c.CloseIdleConnections()
	resp, err := c.Get(srv.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	ev := sse{bufio.NewReader(resp.Body)}

	// The first event comes at once, before the network runs.
	kind, data := ev.next(t)
	require.Equal(t, "snapshot", kind)
	var s Snapshot
	require.NoError(t, json.Unmarshal(data, &s))
	assert.False(t, s.Running)
	lastSeq := s.Seq

	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	// Each step moves one value; wait for a snapshot that shows it, and check that counts only
	// grow and sequence numbers too.
	var lastMsgs uint64
	for want := uint64(1); want <= 3; want++ {
		step <- struct{}{}
		for lastMsgs < want {
			kind, data := ev.next(t)
			require.Equal(t, "snapshot", kind)
			var s Snapshot
			require.NoError(t, json.Unmarshal(data, &s))
			require.Greater(t, s.Seq, lastSeq)
			lastSeq = s.Seq
			require.Len(t, s.Channels, 1)
			require.GreaterOrEqual(t, s.Channels[0].Messages, lastMsgs)
			lastMsgs = s.Channels[0].Messages
		}
	}
	close(step)
	require.NoError(t, <-done)
	for {
		kind, data := ev.next(t)
		if kind == "end" {
			break
		}
		var s Snapshot
		require.NoError(t, json.Unmarshal(data, &s))
	}
	// After the end the server closes the stream.
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Empty(t, rest, "nothing follows the end event")
}

func TestHandlerEventsClientLeaves(t *testing.T) {
	n, _ := stepNet() // never run: only the client going away ends the stream
	srv := httptest.NewServer(n.Handler())
	defer srv.Close() // blocks until the handler has returned
	c := srv.Client()
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	kind, _ := sse{bufio.NewReader(resp.Body)}.next(t)
	assert.Equal(t, "snapshot", kind)
	cancel()
	resp.Body.Close()
}

func TestHandlerCORSOnlyWhenAsked(t *testing.T) {
	n, _ := stepNet()
	rec := httptest.NewRecorder()
	n.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "/snapshot", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, "no preflight answer without WithCORS")
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))

	h := n.Handler(WithCORS("http://localhost:3000"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "/snapshot", nil))
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Equal(t, "http://localhost:3000", rec.Header().Get("Access-Control-Allow-Origin"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/topology", nil))
	assert.Equal(t, "http://localhost:3000", rec.Header().Get("Access-Control-Allow-Origin"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nothing", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

// Event streams beyond the cap are refused with 503, and a freed slot can be taken again.
func TestHandlerCapsEventStreams(t *testing.T) {
	n, _ := stepNet()
	srv := httptest.NewServer(n.Handler(WithMaxClients(2)))
	defer srv.Close()
	c := srv.Client()
	defer c.CloseIdleConnections()
	open := func() (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		return resp, cancel
	}
	var cancels []context.CancelFunc
	for range 2 {
		resp, cancel := open()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		kind, _ := sse{bufio.NewReader(resp.Body)}.next(t)
		require.Equal(t, "snapshot", kind)
		cancels = append(cancels, func() { cancel(); resp.Body.Close() })
	}
	resp, cancel := open()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp.Body.Close()
	cancel()
	cancels[0]()
	require.Eventually(t, func() bool {
		resp, cancel := open()
		defer cancel()
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 10*time.Millisecond)
	cancels[1]()
	assert.Panics(t, func() { WithMaxClients(0) })
}

// Many streams share one observation of the network: each gets the same snapshots (by seq), the
// state as it changes, and the end.
func TestHandlerStreamsShareSnapshots(t *testing.T) {
	n, step := stepNet()
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	c := srv.Client()
	defer c.CloseIdleConnections()
	var streams []sse
	for range 5 {
		resp, err := c.Get(srv.URL + "/events")
		require.NoError(t, err)
		defer resp.Body.Close()
		streams = append(streams, sse{bufio.NewReader(resp.Body)})
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	for range 3 {
		step <- struct{}{}
	}
	close(step)
	require.NoError(t, <-done)
	for i, ev := range streams {
		var last Snapshot
		for {
			kind, data := ev.next(t)
			if kind == "end" {
				break
			}
			require.NoError(t, json.Unmarshal(data, &last))
		}
		assert.False(t, last.Running, "stream %d ends with the final state", i)
		assert.EqualValues(t, 3, last.Channels[0].Messages, "stream %d", i)
	}
}
