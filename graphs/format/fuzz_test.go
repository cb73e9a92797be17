package format

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// addFixtures seeds a fuzz target with the files of testdata matching glob, on
// top of the corpus under testdata/fuzz that `go test -fuzz` keeps.
func addFixtures(f *testing.F, glob string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(testdata, glob))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzDecodeTopology checks that the decoder never panics and that whatever it
// accepts is valid and survives an encode/decode round trip unchanged.
func FuzzDecodeTopology(f *testing.F) {
	addFixtures(f, "*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := DecodeTopology(bytes.NewReader(data))
		if err != nil {
			if top != nil {
				t.Fatal("a topology came back with an error")
			}
			return
		}
		if err := top.Validate(); err != nil {
			t.Fatalf("accepted an invalid topology: %v", err)
		}
		again, err := json.Marshal(top)
		if err != nil {
			t.Fatal(err)
		}
		top2, err := DecodeTopology(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-decoding what we encoded: %v", err)
		}
		if !reflect.DeepEqual(normalize(top), normalize(top2)) {
			t.Fatalf("round trip changed the topology:\n%+v\n%+v", top, top2)
		}
	})
}

// normalize maps empty attrs to nil: omitempty drops an empty map, which is
// not a change a reader can see.
func normalize(t *Topology) *Topology {
	c := t.Clone()
	for i := range c.Processes {
		if len(c.Processes[i].Attrs) == 0 {
			c.Processes[i].Attrs = nil
		}
	}
	for i := range c.Channels {
		if len(c.Channels[i].Attrs) == 0 {
			c.Channels[i].Attrs = nil
		}
	}
	return c
}

// FuzzReadTrace checks that the trace reader never panics and that accepted
// traces keep their promises: a valid header topology and times that never go
// back.
func FuzzReadTrace(f *testing.F) {
	addFixtures(f, "*.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadTrace(bytes.NewReader(data))
		if err != nil {
			return
		}
		if tr.Header.Topology == nil {
			t.Fatal("accepted a trace without a header topology")
		}
		if err := tr.Header.Topology.Validate(); err != nil {
			t.Fatalf("accepted a trace with an invalid topology: %v", err)
		}
		for i, ev := range tr.Events {
			if ev.Ev == "" || ev.T < 0 || (i > 0 && ev.T < tr.Events[i-1].T) {
				t.Fatalf("accepted a bad event %d: %+v", i, ev)
			}
		}
	})
}

// FuzzDecodeSnapshot checks that snapshot decoding never panics.
func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(`{"format":"gocsp-snapshot","version":1,"seq":1,"processes":[{"id":"p","state":"running"}],"deadlock":{"cycles":[[{"process":"p"}]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSnapshot(data)
		if err == nil && (s.Format != SnapshotFormat || s.Version != 1) {
			t.Fatalf("accepted format %q version %d", s.Format, s.Version)
		}
	})
}
