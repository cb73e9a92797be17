package net

import (
	"bytes"
	"io"
	gonet "net"
	"reflect"
	"testing"
	"time"
)

// FuzzFrame feeds arbitrary bytes to the frame decoder: it must never panic, never accept a frame
// over the maximum size, and re-encode what it accepts to the same bytes.
func FuzzFrame(f *testing.F) {
	f.Add(appendFrame(nil, msgPing, 0, 0, 0, nil))
	f.Add(appendFrame(nil, msgWrite, 0, 7, 1<<40, []byte("value")))
	f.Add(appendFrame(nil, msgOpen, 0, 1, 0, openReq{dir: 1, name: "c", typ: "int", codec: "gob"}.append(nil)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		const max = 4096
		fr, rest, err := decodeFrame(b, max)
		if err != nil {
			return
		}
		if headerLen+len(fr.payload) > max {
			t.Fatalf("accepted a frame of %d bytes over the maximum %d", headerLen+len(fr.payload), max)
		}
		enc := appendFrame(nil, fr.typ, fr.flags, fr.end, fr.op, fr.payload)
		if !bytes.Equal(enc, b[:len(b)-len(rest)]) {
			t.Fatalf("re-encoding differs")
		}
		if fr.typ == msgOpen {
			if o, err := parseOpen(fr.payload); err == nil {
				if !bytes.Equal(o.append(nil), fr.payload) {
					t.Fatalf("open request re-encodes differently")
				}
			}
		}
	})
}

// FuzzHello feeds arbitrary bytes to the handshake decoder: it must never panic, and accept only
// a hello of this protocol version whose address it returns intact.
func FuzzHello(f *testing.F) {
	f.Add(appendHello(nil, "127.0.0.1:4000", 0))
	f.Add(appendHello(nil, "", 0))
	f.Add(appendHello(nil, "10.0.0.1:7000", helloSecret))
	f.Add([]byte("GCSP\x00\x02\x00\x00"))
	f.Add([]byte("HTTP/1.1 200 OK\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		addr, flags, err := parseHello(b)
		if err != nil {
			return
		}
		if !bytes.Equal(appendHello(nil, addr, flags), b) {
			t.Fatalf("hello %q re-encodes differently", b)
		}
	})
}

// FuzzAuthenticate plays an unauthenticated peer that sends arbitrary bytes through the
// shared-secret handshake: the node must never panic or hang, and never accept, since a peer
// that does not know the secret cannot produce the proof for a nonce it has not seen.
func FuzzAuthenticate(f *testing.F) {
	f.Add(make([]byte, nonceLen+macLen))
	f.Add([]byte("GCSP"))
	f.Add(append(make([]byte, nonceLen), bytes.Repeat([]byte{0xff}, macLen)...))
	o := &options{secret: []byte("the node's secret")}
	f.Fuzz(func(t *testing.T, peer []byte) {
		c, p := gonet.Pipe()
		defer c.Close()
		go func() {
			defer p.Close()
			go io.Copy(io.Discard, p)
			p.Write(peer)
		}()
		c.SetDeadline(time.Now().Add(time.Second))
		if err := o.authenticate(c, false, appendHello(nil, "a:1", 0), appendHello(nil, "b:2", 0)); err == nil {
			t.Fatalf("a peer that does not know the secret was accepted with %x", peer)
		}
	})
}

// FuzzGobSession feeds arbitrary payloads to a decoding session between good ones: it must decode
// each exactly as a fresh gob decoder does (both fail, or both give the same value), and a good
// payload after any input must still decode.
func FuzzGobSession(f *testing.F) {
	typ := reflect.TypeOf(gobJob{})
	enc := Gob{}.session(typ)
	good, err := enc.Marshal(gobJob{ID: 7, Points: []gobPoint{{1, 2, "p"}}, Attrs: map[string]float64{"a": 1}})
	if err != nil {
		f.Fatal(err)
	}
	_, last, _ := gobMessages(good)
	f.Add(good)
	f.Add(good[last:])
	f.Add(good[:last])
	f.Add(append(append([]byte{}, good[:last]...), 4, 0xff, 0x80, 1, 2))
	f.Add(append(append([]byte{}, good...), good[last:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		dec := Gob{}.session(typ)
		var want gobJob
		if err := dec.Unmarshal(good, &want); err != nil || want.ID != 7 {
			t.Fatalf("good payload: %v %+v", err, want)
		}
		var got, fresh gobJob
		err := dec.Unmarshal(b, &got)
		ferr := Gob{}.Unmarshal(b, &fresh)
		if (err == nil) != (ferr == nil) {
			t.Fatalf("session: %v; fresh decoder: %v", err, ferr)
		}
		if err == nil && !reflect.DeepEqual(got, fresh) {
			t.Fatalf("session decoded %+v; fresh decoder %+v", got, fresh)
		}
		var again gobJob
		if err := dec.Unmarshal(good, &again); err != nil || !reflect.DeepEqual(again, want) {
			t.Fatalf("good payload after %x: %v %+v", b, err, again)
		}
	})
}

// fuzzTargets are the element types the codec fuzz target decodes into: scalars, collections, a
// struct with nested and recursive parts, and the empty interface.
func fuzzTargets() []any {
	return []any{new(int), new(string), new([]byte), new([]int), new(map[string]int), new(any),
		new(hostileTree), new(gobJob), new([4]float64), new(*gobPoint)}
}

// FuzzCodecs feeds arbitrary payloads to every shipped codec, decoding into representative
// element types: none may panic, and CBOR, JSON and Raw (the codecs for untrusted input) may
// allocate only in proportion to the payload. Gob is for trusted peers: it must not panic on what
// a fuzzer finds in small inputs, and is not held to the bound.
func FuzzCodecs(f *testing.F) {
	for _, v := range []any{7, "text", []int{1, 2, 3}, map[string]int{"a": 1},
		hostileTree{Kids: []hostileTree{{Leaf: 1}}}, gobJob{ID: 7, Points: []gobPoint{{1, 2, "p"}}}} {
		for _, c := range []Codec{CBOR{}, JSON{}, Gob{}} {
			b, err := c.Marshal(v)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add(deepCBOR(1000))
	f.Add(deepJSON(1000))
	f.Add(hugeCBOR(4))
	f.Add(hugeCBOR(5))
	f.Add([]byte{0x9f, 0x9f, 0xbf})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range []Codec{CBOR{}, JSON{}, Raw{}, Gob{}} {
			for _, v := range fuzzTargets() {
				if _, raw := c.(Raw); raw {
					v = new([]byte)
				}
				n := allocated(func() { c.Unmarshal(b, v) })
				if _, gob := c.(Gob); !gob && n > uint64(64*len(b)+64<<10) {
					t.Fatalf("%s: decoding %d bytes into %T allocated %d", c.Name(), len(b), v, n)
				}
			}
		}
	})
}
