package viewer

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/tools/cspviz/internal/fakenet"
)

// syncBuffer is a bytes.Buffer safe to read while Serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// waitURL waits for the served URL to be printed.
func waitURL(t *testing.T, out *syncBuffer) string {
	t.Helper()
	var url string
	require.Eventually(t, func() bool {
		url = urlRE.FindString(out.String())
		return url != ""
	}, 10*time.Second, 10*time.Millisecond)
	return url
}

func TestServeNetwork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- ServeNetwork(ctx, fakenet.Commstime(), WithOutput(out)) }()
	url := waitURL(t, out)
	assert.Contains(t, out.String(), `watching "commstime"`)

	code, body, _ := getBody(t, url+"info")
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
