package format

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type event struct{ name, data string }

// What WriteEvent writes, ReadEvents reads back, a multi-line data included.
func TestWriteEventReadsBack(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteEvent(&b, EventSnapshot, []byte(`{"a":1}`)))
	require.NoError(t, WriteEvent(&b, EventProblem, []byte("{\n\"message\":\"x\"}")))
	require.NoError(t, WriteEvent(&b, EventEnd, []byte("{}")))
	assert.Equal(t, "event: snapshot\ndata: {\"a\":1}\n\n", strings.SplitAfter(b.String(), "\n\n")[0])
	var got []event
	require.NoError(t, ReadEvents(&b, func(name string, data []byte) bool {
		got = append(got, event{name, string(data)})
		return true
	}))
	assert.Equal(t, []event{{"snapshot", `{"a":1}`}, {"problem", "{\n\"message\":\"x\"}"}, {"end", "{}"}}, got)
}

func TestReadEvents(t *testing.T) {
	in := ": keep-alive\n\nevent: snapshot\ndata: {\"a\":\r\ndata: 1}\n\nretry: 10\n\nevent: end\ndata: {}\n\nevent: after\n\n"
	var got []event
	require.NoError(t, ReadEvents(strings.NewReader(in), func(name string, data []byte) bool {
		got = append(got, event{name, string(data)})
		return name != "end"
	}))
	assert.Equal(t, []event{{"snapshot", "{\"a\":\n1}"}, {"end", "{}"}}, got)
}

// One endless line from a network ends the stream with an error instead of growing memory.
func TestReadEventsBoundsLines(t *testing.T) {
	endless := io.MultiReader(strings.NewReader("event: snapshot\ndata: "), &repeatReader{b: 'x', n: MaxEventData + 10})
	err := ReadEvents(endless, func(string, []byte) bool { t.Fatal("no event is complete"); return false })
	require.ErrorContains(t, err, "longer than")
	// Many data lines of one event are bounded too.
	many := io.MultiReader(strings.NewReader("event: snapshot\n"), &repeatReader{line: "data: " + strings.Repeat("y", 1<<20) + "\n", n: MaxEventData + (2 << 20)})
	err = ReadEvents(many, func(string, []byte) bool { t.Fatal("no event is complete"); return false })
	require.ErrorContains(t, err, "data is longer than")
}

// repeatReader yields n bytes: b repeated, or line repeated.
type repeatReader struct {
	b    byte
	line string
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range k {
		if r.line != "" {
			p[i] = r.line[r.off%len(r.line)]
			r.off++
		} else {
			p[i] = r.b
		}
	}
	r.n -= k
	return k, nil
}

// FuzzReadEvents: whatever a network sends, ReadEvents returns (no panic, no unbounded growth) and
// every event it reports has bounded data.
func FuzzReadEvents(f *testing.F) {
	f.Add([]byte("event: snapshot\ndata: {}\n\n"))
	f.Add([]byte(": c\r\n\r\nevent: end\ndata: {}\n\ndata: x\ndata: y\n\n"))
	f.Add([]byte("event\ndata\n\n:\n\nevent: a:b\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = ReadEvents(bytes.NewReader(in), func(name string, data []byte) bool {
			if len(data) > MaxEventData {
				t.Fatalf("an event of %d bytes", len(data))
			}
			return true
		})
	})
}
