package format

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The events of a network's event stream (GET /events, a text/event-stream): each carries JSON in
// its data.
const (
	// EventSnapshot carries a Snapshot: the state when the stream opens, then whenever it changed.
	EventSnapshot = "snapshot"
	// EventEnd follows the network's final snapshot; its data is {} and the stream closes after it.
	EventEnd = "end"
	// EventProblem carries a Problem: the network cannot be read now (a viewer's proxy, or one
	// node of several, lost it). The last snapshot sent stays the best known state.
	EventProblem = "problem"
)

// Problem is the data of an EventProblem.
type Problem struct {
	Message      string `json:"message"`      // why the network cannot be read
	HaveSnapshot bool   `json:"haveSnapshot"` // whether a snapshot was sent before: the state shown is the last known
}

// MaxEventData bounds the data of one event that ReadEvents accepts (and so one line): a snapshot
// of a large network is a few MiB, and a hostile or broken stream must not grow a reader's memory
// without bound.
const MaxEventData = 16 << 20

// WriteEvent writes one server-sent event. data is JSON (which json.Marshal writes on one line);
// should it hold newlines, each line goes as a data line of its own, as the framing requires.
func WriteEvent(w io.Writer, name string, data []byte) error {
	var b bytes.Buffer
	b.Grow(len(data) + len(name) + 16)
	b.WriteString("event: ")
	b.WriteString(name)
	b.WriteByte('\n')
	for {
		line, rest, more := bytes.Cut(data, []byte("\n"))
		b.WriteString("data: ")
		b.Write(line)
		b.WriteByte('\n')
		if !more {
			break
		}
		data = rest
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// ReadEvents parses a text/event-stream, calling fn with each event's name ("" when it has none)
// and data until fn returns false or the stream ends; it returns nil then, or the stream's error.
// Comments (keep-alives) and fields other than event and data are skipped. An event whose data, or
// a line, is longer than MaxEventData ends it with an error.
func ReadEvents(r io.Reader, fn func(name string, data []byte) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxEventData+len("data: \r\n"))
	var name string
	var data []byte
	for sc.Scan() {
		line := bytes.TrimRight(sc.Bytes(), "\r")
		switch {
		case len(line) == 0:
			if data != nil || name != "" {
				if !fn(name, data) {
					return nil
				}
			}
			name, data = "", nil
		case line[0] == ':':
			// A comment, used as a keep-alive.
		default:
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "event":
				name = string(value)
			case "data":
				if len(data)+len(value) > MaxEventData {
					return fmt.Errorf("an event's data is longer than %d bytes", MaxEventData)
				}
				if data != nil {
					data = append(data, '\n')
				}
				data = append(data, value...)
			}
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("a line of the event stream is longer than %d bytes", MaxEventData)
	}
	return sc.Err()
}

// Subscribe reads the event stream at url (a network's /events) with client, calling fn for each
// event as ReadEvents does, until fn returns false (Subscribe returns nil then), ctx ends, or the
// stream breaks or closes (an error that names url). An answer other than 200 OK is an error that
// gives the status and the first line of the body.
func Subscribe(ctx context.Context, client *http.Client, url string, fn func(name string, data []byte) bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the network at %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		if len(line) > 200 {
			line = line[:200] + "…"
		}
		return fmt.Errorf("%s: the network answered %s: %s", url, resp.Status, line)
	}
	stopped := false
	err = ReadEvents(resp.Body, func(name string, data []byte) bool {
		stopped = !fn(name, data)
		return !stopped
	})
	switch {
	case stopped:
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", url, err)
	}
	return fmt.Errorf("%s: the network closed the stream", url)
}
