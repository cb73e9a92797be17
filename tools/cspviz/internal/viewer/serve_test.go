package viewer

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
	"github.com/gocsp/gocsp/tools/cspviz/internal/testutil"
)

func TestServeNetwork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.Buffer{}
	done := make(chan error, 1)
	go func() { done <- ServeNetwork(ctx, fakenet.Commstime(), WithOutput(out)) }()
	url := testutil.WaitURL(t, out)
	assert.Contains(t, out.String(), `watching "commstime"`)

	code, body, _ := testutil.Get(t, url+"info")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"name":"commstime"`)

	// An open event stream must not keep Serve from returning.
	resp, err := http.Get(url + "events")
	require.NoError(t, err)
	evs := readSSE(t, resp.Body, 1)
	require.Len(t, evs, 1)
	assert.Equal(t, "snapshot", evs[0].name)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("ServeNetwork did not return after its context ended")
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestServeBadAddr(t *testing.T) {
	err := Serve(context.Background(), http.NotFoundHandler(), "x", WithAddr("256.0.0.1:99999"), WithOutput(io.Discard))
	require.ErrorContains(t, err, "listening on 256.0.0.1:99999")
}

func TestServeNetworkBadHandler(t *testing.T) {
	err := ServeNetwork(context.Background(), http.NotFoundHandler(), WithOutput(io.Discard))
	require.ErrorContains(t, err, "404")
}

// A request naming another host (a DNS-rebinding page) is refused; the loopback names and IP
// literals are served.
func TestCheckHostRefusesRebinding(t *testing.T) {
	h := CheckHost(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }), "127.0.0.1:0")
	for host, want := range map[string]int{
		"127.0.0.1:8080":    http.StatusTeapot,
		"localhost:8080":    http.StatusTeapot,
		"LOCALHOST.":        http.StatusTeapot,
		"[::1]:8080":        http.StatusTeapot,
		"evil.example:8080": http.StatusMisdirectedRequest,
		"evil.example":      http.StatusMisdirectedRequest,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		assert.Equal(t, want, rec.Code, host)
	}
	named := CheckHost(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "viz.lan:8080")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = "viz.lan:8080"
	rec := httptest.NewRecorder()
	named.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusOK, rec.Code)
}
