// Package testutil holds the helpers that cspviz's tests share: a buffer a
// serving command can print to while the test reads it, the wait for the URL
// it prints, and a plain GET.
package testutil

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Buffer is a bytes.Buffer safe to read while a command writes to it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// WaitURL waits for the page's URL to be printed to out and returns it.
func WaitURL(t *testing.T, out *Buffer) string {
	t.Helper()
	var url string
	require.Eventually(t, func() bool {
		url = urlRE.FindString(out.String())
		return url != ""
	}, 10*time.Second, 10*time.Millisecond, "no URL printed")
	return url
}

// Get fetches url and returns the status code, the body and the headers.
func Get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}
