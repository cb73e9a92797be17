package net

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/csp"
)

// deepCBOR is a CBOR item of depth nested one-element arrays around a 0: [[[...0...]]].
func deepCBOR(depth int) []byte { return append(bytes.Repeat([]byte{0x81}, depth), 0) }

// deepJSON is the same in JSON.
func deepJSON(depth int) []byte {
	return append(append(bytes.Repeat([]byte{'['}, depth), '0'), bytes.Repeat([]byte{']'}, depth)...)
}

// hugeCBOR declares an item of major type major (4 array, 5 map, 2 byte string, 3 text) with 2^60
// elements in nine bytes, then gives a few.
func hugeCBOR(major byte) []byte {
	return append([]byte{major<<5 | 27, 0x10, 0, 0, 0, 0, 0, 0, 0}, 1, 2, 3)
}

// allocated returns how many bytes f allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The default codec is CBOR; Gob must be asked for, on both sides: an end that asks for it on a
// channel exported with the default is refused, naming both codecs.
func TestGobIsOptIn(t *testing.T) {
	assert.Equal(t, "cbor", endOpts(nil).codec.Name())
	ns := nodes(t, 2)
	require.NoError(t, Export(ns[0], "c", csp.NewChan[int]()))
	_, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/c", WithCodec(Gob{}))
	require.ErrorIs(t, err, ErrTypeMismatch)
	assert.Contains(t, err.Error(), "(codec cbor)")
	assert.Contains(t, err.Error(), "(codec gob)")

	// Both sides choosing gob still works, for trusted peers.
	ch := csp.NewChan[int]()
	require.NoError(t, Export(ns[0], "g", ch, WithCodec(Gob{})))
	w, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/g", WithCodec(Gob{}))
	require.NoError(t, err)
	exchange(t, w, ch.Reader(), 5)
}

// Hostile payloads are refused by the codecs for untrusted input with an error, allocating little
// more than the payload itself: nesting millions deep, lengths of 2^60 declared in a few bytes.
func TestCodecsRefuseHostileValues(t *testing.T) {
	targets := map[string]func() any{
		"any": func() any { return new(any) }, "[]any": func() any { return new([]any) },
		"[]int": func() any { return new([]int) }, "map[string]int": func() any { return new(map[string]int) },
		"string": func() any { return new(string) }, "[]byte": func() any { return new([]byte) },
		"tree": func() any { return new(hostileTree) },
	}
	cases := []struct {
		name  string
		codec Codec
		data  []byte
		why   string // in the error, for every target type that could hold the value's shape
	}{
		{"cbor nested 3,000,000 deep", CBOR{}, deepCBOR(3_000_000), "exceeded max nested level"},
		{"cbor array of 2^60", CBOR{}, hugeCBOR(4), ""},
		{"cbor map of 2^60 pairs", CBOR{}, hugeCBOR(5), ""},
		{"cbor bytes of 2^60", CBOR{}, hugeCBOR(2), ""},
		{"cbor text of 2^60", CBOR{}, hugeCBOR(3), ""},
		{"cbor unterminated indefinite arrays", CBOR{}, bytes.Repeat([]byte{0x9f}, 1<<20), ""},
		{"json nested 3,000,000 deep", JSON{}, deepJSON(3_000_000), "exceeded max depth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for tn, mk := range targets {
				var err error
				n := allocated(func() { err = c.codec.Unmarshal(c.data, mk()) })
				require.Error(t, err, "into %s", tn)
				if c.why != "" && (tn == "any" || tn == "[]any") {
					assert.Contains(t, err.Error(), c.why, "into %s", tn)
				}
				assert.LessOrEqual(t, n, uint64(2*len(c.data)+1<<20), "bytes allocated decoding into %s: %v", tn, err)
			}
		})
	}
}

// Just within the decoders' own depth bounds a value still decodes, in bounded stack: CBOR at
// CBORMaxDepth, JSON at encoding/json's 10,000.
func TestCodecsDecodeAtTheirDepthBound(t *testing.T) {
	var v any
	require.NoError(t, CBOR{}.Unmarshal(deepCBOR(CBORMaxDepth-1), &v))
	require.Error(t, CBOR{}.Unmarshal(deepCBOR(CBORMaxDepth+1), &v))
	require.NoError(t, JSON{}.Unmarshal(deepJSON(9_999), &v))
	require.Error(t, JSON{}.Unmarshal(deepJSON(10_001), &v))
}

// hostileTree is a recursive type, as a peer's deep value would need in a statically typed channel.
type hostileTree struct {
	Kids []hostileTree
	Leaf int
}

// A value nested 3,000,000 deep in one 3 MB frame, which encoding/gob decoded until the process
// died of a stack overflow, is refused by the default codec: the writer is told why, and the node
// lives and goes on serving the same end.
func TestDeepValueLeavesNodeServing(t *testing.T) {
	target := nodes(t, 1, WithMaxFrame(8<<20))[0]
	ch := csp.NewChan[any](csp.Named("c"))
	require.NoError(t, Export(target, "c", ch))
	p := dialRawPeer(t, target.Addr(), "127.0.0.1:1")
	p.send(t, msgOpen, 1, 0, openReq{dir: uint8(csp.DirWrite), name: "c", typ: typeName(reflect.TypeFor[any]()), codec: "cbor"}.append(nil))
	require.Equal(t, msgOpened, p.next(t).typ)

	p.send(t, msgWrite, 1, 1, deepCBOR(3_000_000))
	f := p.next(t)
	require.Equal(t, msgDone, f.typ)
	err := errorOf(f.payload, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exceeded max nested level")

	good, err := CBOR{}.Marshal([]any{"still", "here"})
	require.NoError(t, err)
	p.send(t, msgWrite, 1, 2, good)
	v, err := ch.Reader().Read()
	require.NoError(t, err)
	assert.Equal(t, []any{"still", "here"}, v)
	f = p.next(t)
	require.Equal(t, msgDone, f.typ)
	require.NoError(t, errorOf(f.payload, nil))
}

// Many ends on several connections write hostile values at once: every one is refused with a
// reason, the node's memory stays within a bound of the frames in flight, and an honest writer
// still gets through. GOCSP_STRESS multiplies the ends.
func TestHostileValuesFromManyEnds(t *testing.T) {
	const conns, frame = 4, 4 << 20
	ends := 16 * stress() // per connection
	target := nodes(t, 1, WithMaxFrame(frame), WithHeartbeat(250*time.Millisecond, 10*time.Second))[0]
	ch := csp.NewChan[hostileTree](csp.Named("c"))
	require.NoError(t, Export(target, "c", ch))
	typ := typeName(reflect.TypeFor[hostileTree]())

	// The hostile values: a tree 1,000,000 deep as CBOR maps {"Kids": [ ... ]}, lengths of 2^60.
	level := []byte{0xa1, 0x64, 'K', 'i', 'd', 's', 0x81}
	deep := append(bytes.Repeat(level, (frame-headerLen)/len(level)-1), 0xa0)
	values := [][]byte{deep, hugeCBOR(4), hugeCBOR(5), append([]byte{0xa1, 0x64, 'K', 'i', 'd', 's'}, hugeCBOR(4)...)}

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if u := m.HeapInuse + m.StackInuse; u > peak.Load() {
				peak.Store(u)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, conns*ends)
	for c := range conns {
		p := dialRawPeer(t, target.Addr(), fmt.Sprintf("127.0.0.1:%d", c+1))
		for id := uint32(1); id <= uint32(ends); id++ {
			p.send(t, msgOpen, id, 0, openReq{dir: uint8(csp.DirWrite), name: "c", typ: typ, codec: "cbor"}.append(nil))
		}
		for range ends { // a write for an end not open yet would be dropped
			require.Equal(t, msgOpened, p.next(t).typ)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := uint32(1); id <= uint32(ends); id++ {
				if _, err := p.c.Write(appendFrame(nil, msgWrite, 0, id, 1, values[int(id)%len(values)])); err != nil {
					errs <- err
					return
				}
			}
			for done := 0; done < ends; {
				f, _, err := readFrame(p.br, DefaultMaxFrame, nil)
				if err != nil {
					errs <- err
					return
				}
				if f.typ == msgDone {
					done++
					if errorOf(f.payload, nil) == nil {
						errs <- fmt.Errorf("end %d: a hostile value was accepted", f.end)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	grew := peak.Load() - min(peak.Load(), base.HeapInuse+base.StackInuse)
	t.Logf("%d ends on %d connections wrote hostile values of up to %d bytes: heap and stacks grew by %.1f MiB at the peak",
		conns*ends, conns, frame, float64(grew)/(1<<20))
	// What is in flight: per connection its reader's frame buffer and one copy per queued frame.
	bound := uint64(conns*ends*frame + 64<<20)
	assert.LessOrEqual(t, grew, bound)

	ns := nodes(t, 1)
	w, err := OpenWriter[hostileTree](ctxT(t), ns[0], target.Addr()+"/c")
	require.NoError(t, err)
	go func() { w.Write(hostileTree{Leaf: 9}) }()
	v, err := ch.Reader().Read()
	require.NoError(t, err)
	assert.Equal(t, 9, v.Leaf)
}

// BenchmarkCodecs encodes and decodes one value through each shipped codec, as an end does (with
// its session where the codec has one), side by side: the default CBOR against gob's session, the
// previous default, and JSON. go test -run '^$' -bench BenchmarkCodecs ./net
func BenchmarkCodecs(b *testing.B) {
	for name, v := range map[string]any{
		"int":    42,
		"struct": gobJob{ID: 1, Points: []gobPoint{{1, 2, "p"}, {3, 4, "q"}}, Attrs: map[string]float64{"a": 1}},
	} {
		typ := reflect.TypeOf(v)
		for _, c := range []Codec{CBOR{}, Gob{}, JSON{}} {
			enc, dec := sessionOf(c, typ), sessionOf(c, typ)
			b.Run(name+"/"+c.Name(), func(b *testing.B) {
				dst := reflect.New(typ).Interface()
				for range b.N {
					p, err := enc.Marshal(v)
					if err != nil {
						b.Fatal(err)
					}
					if err := dec.Unmarshal(p, dst); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
