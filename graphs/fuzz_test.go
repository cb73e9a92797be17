package graphs

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// FuzzReadTopology: any input either fails cleanly or gives a topology that validates and survives
// a write/read round trip unchanged.
func FuzzReadTopology(f *testing.F) {
	var buf bytes.Buffer
	_ = New("commstime").Add(commsTime(1, nil)...).Topology().WriteJSON(&buf)
	f.Add(buf.String())
	f.Add(`{"format":"gocsp-topology","version":1}`)
	f.Add(`{"format":"gocsp-topology","version":1,"processes":[{"id":"p1"}],"channels":[{"id":"c1"}],"ends":[{"process":"p1","channel":"c1","dir":"read"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		top, err := ReadTopology(strings.NewReader(in))
		if err != nil {
			return
		}
		if err := top.Validate(); err != nil {
			t.Fatalf("read a topology that does not validate: %v", err)
		}
		var out bytes.Buffer
		if err := top.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		again, err := ReadTopology(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("written topology does not read back: %v\n%s", err, out.String())
		}
		var out2 bytes.Buffer
		_ = again.WriteJSON(&out2)
		if out.String() != out2.String() {
			t.Fatalf("round trip changed the topology:\n%s\n%s", out.String(), out2.String())
		}
	})
}

// FuzzReadTrace: any input either fails cleanly or gives events in non-decreasing time order.
func FuzzReadTrace(f *testing.F) {
	var buf bytes.Buffer
	net := New("commstime", WithTrace(&buf)).Add(commsTime(3, nil)...)
	if err := net.Run(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	top := `{"format":"gocsp-topology","version":1,"name":"x","processes":[],"channels":[],"ends":[]}`
	f.Add(`{"format":"gocsp-trace","version":1,"topology":` + top + "}\n" + `{"t":1,"ev":"proc.start","proc":"p1"}`)
	f.Add(`{"format":"gocsp-trace","version":1,"topology":` + top + "}\n\n" + `{"t":1,"ev":"x","guard":3}` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		h, evs, err := ReadTrace(strings.NewReader(in))
		if err != nil {
			return
		}
		if h == nil || h.Topology == nil {
			t.Fatal("no header or topology without an error")
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].T < evs[i-1].T || evs[i].Ev == "" {
				t.Fatalf("event %d accepted out of order or without ev", i)
			}
		}
	})
}
