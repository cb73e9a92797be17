package net

import (
	"encoding/gob"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type gobPoint struct {
	X, Y int
	Tag  string
}

type gobJob struct {
	ID     int
	Points []gobPoint
	Next   *gobJob
	Attrs  map[string]float64
	Grid   [2][]byte
}

type gobLoose struct {
	ID  int
	Any any
}

type gobShape interface{ area() int }

type gobSquare struct{ Side int }
type gobRect struct{ W, H int }

func (s gobSquare) area() int { return s.Side * s.Side }
func (r gobRect) area() int   { return r.W * r.H }

type gobHolder struct{ S gobShape }

func init() {
	gob.Register(gobSquare{})
	gob.Register(gobRect{})
	gob.Register(gobPoint{})
}

// sessionValues are sequences of values of one type, including ones whose later values need type
// descriptions the first did not (interfaces holding new types).
func sessionValues() map[string][]any {
	return map[string][]any{
		"int":    {0, 1, -7, 1 << 40, 3},
		"string": {"", "a", "hello, world"},
		"bytes":  {[]byte{0}, []byte{1, 2, 3}, []byte("x")},
		"struct": {gobPoint{1, 2, "a"}, gobPoint{}, gobPoint{-3, 4, "bb"}},
		"nested": {
			gobJob{ID: 1},
			gobJob{ID: 2, Points: []gobPoint{{1, 2, "p"}}, Next: &gobJob{ID: 3}, Attrs: map[string]float64{"a": 1}},
			gobJob{ID: 4, Grid: [2][]byte{{1}, {2, 3}}},
		},
		"pointer": {&gobPoint{1, 2, "a"}, &gobPoint{3, 4, "b"}},
		"any field": {
			gobLoose{1, gobPoint{5, 6, "q"}}, gobLoose{2, 7}, gobLoose{3, gobPoint{}}, gobLoose{4, nil},
		},
		"interface": {
			gobHolder{gobSquare{2}}, gobHolder{gobRect{2, 3}}, gobHolder{gobSquare{4}}, gobHolder{}, gobHolder{gobRect{1, 1}},
		},
	}
}

func zeroOf(v any) any { return reflect.New(reflect.TypeOf(v)).Interface() }

// Every payload a session writes decodes alone with a fresh decoder, to the value written, and
// is the bytes a fresh encoder writes (maps aside, whose order gob does not fix); a session
// decodes the stream of them too.
func TestGobSessionPayloadsStandAlone(t *testing.T) {
	for name, vals := range sessionValues() {
		t.Run(name, func(t *testing.T) {
			typ := reflect.TypeOf(vals[0])
			enc, dec := Gob{}.session(typ), Gob{}.session(typ)
			for round := range 3 {
				for i, v := range vals {
					p, err := enc.Marshal(v)
					require.NoError(t, err)
					if !hasMap(v) {
						fresh, err := Gob{}.Marshal(v)
						require.NoError(t, err)
						assert.Equal(t, fresh, p, "round %d value %d: the bytes of a fresh encoder", round, i)
					}
					alone := zeroOf(v)
					require.NoError(t, Gob{}.Unmarshal(p, alone), "round %d value %d alone", round, i)
					assert.Equal(t, v, reflect.ValueOf(alone).Elem().Interface())
					streamed := zeroOf(v)
					require.NoError(t, dec.Unmarshal(p, streamed), "round %d value %d in the stream", round, i)
					assert.Equal(t, v, reflect.ValueOf(streamed).Elem().Interface())
				}
			}
		})
	}
}

func hasMap(v any) bool {
	j, ok := v.(gobJob)
	return ok && j.Attrs != nil
}

// A session writes each value as one message after descriptions it wrote once, and reads such
// payloads the same way: far fewer allocations than a fresh encoder and decoder per value. A type
// with an interface in it gets no such session (its messages carry descriptions), and stays right.
func TestGobSessionSkipsDescriptions(t *testing.T) {
	for name, v := range map[string]any{"int": 42, "struct": gobJob{ID: 1, Points: []gobPoint{{1, 2, "p"}}}} {
		s := Gob{}.session(reflect.TypeOf(v))
		p, err := s.Marshal(v)
		require.NoError(t, err)
		dst := reflect.New(reflect.TypeOf(v)).Interface()
		sessionEnc := testing.AllocsPerRun(100, func() { _, _ = s.Marshal(v) })
		freshEnc := testing.AllocsPerRun(100, func() { _, _ = Gob{}.Marshal(v) })
		sessionDec := testing.AllocsPerRun(100, func() { require.NoError(t, s.Unmarshal(p, dst)) })
		freshDec := testing.AllocsPerRun(100, func() { require.NoError(t, Gob{}.Unmarshal(p, dst)) })
		assert.Less(t, sessionEnc*3, freshEnc, "%s: encoding allocations, session against fresh", name)
		assert.Less(t, sessionDec*3, freshDec, "%s: decoding allocations, session against fresh", name)
	}
	assert.False(t, Gob{}.session(reflect.TypeOf(gobLoose{})).(*gobSession).fast)
	assert.False(t, Gob{}.session(reflect.TypeOf(gobHolder{})).(*gobSession).fast)
	assert.True(t, Gob{}.session(reflect.TypeOf(gobJob{})).(*gobSession).fast, "a recursive type without interfaces")
}

// Garbage, truncated payloads and a wrong message after the right descriptions each fail with an
// error, and leave nothing behind: the next good payload decodes.
func TestGobSessionRecoversFromBadPayloads(t *testing.T) {
	typ := reflect.TypeOf(gobJob{})
	enc, dec := Gob{}.session(typ), Gob{}.session(typ)
	good := func(i int) []byte {
		p, err := enc.Marshal(gobJob{ID: i, Points: []gobPoint{{i, i, "p"}}})
		require.NoError(t, err)
		return p
	}
	first := good(1)
	var j gobJob
	require.NoError(t, dec.Unmarshal(first, &j))
	n, last, ok := gobMessages(first)
	require.True(t, ok)
	require.Greater(t, n, 1, "descriptions, then the value")
	bad := map[string][]byte{
		"empty":            {},
		"garbage":          []byte("\x07garbage"),
		"truncated":        first[:len(first)-2],
		"descriptions":     first[:last],
		"bad message":      append(append([]byte{}, first[:last]...), 3, 0xff, 0xff, 0xff),
		"two values":       append(append([]byte{}, first...), first[last:]...),
		"huge length":      {0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"wrong type value": mustGob(t, "a string"),
		"other type":       mustGob(t, gobPoint{1, 2, "x"}),
		"value, no prefix": first[last:],
	}
	for name, p := range bad {
		var got gobJob
		freshErr := Gob{}.Unmarshal(p, new(gobJob))
		err := dec.Unmarshal(p, &got)
		assert.Equal(t, freshErr == nil, err == nil, "%s: the session agrees with a fresh decoder (%v, %v)", name, err, freshErr)
		var next gobJob
		require.NoError(t, dec.Unmarshal(good(2), &next), "after %s", name)
		assert.Equal(t, 2, next.ID)
	}
}

func mustGob(t testing.TB, v any) []byte {
	t.Helper()
	p, err := Gob{}.Marshal(v)
	require.NoError(t, err)
	return p
}

// gobUint reads the integers encoding/gob itself writes: a top-level uint (a message of its
// length, the type id, a zero field delta, then the number), and message lengths of one to four
// bytes, which gobMessages walks.
func TestGobUint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 255, 256, 1 << 20, 1<<63 + 5} {
		b := mustGob(t, v)
		size, w, ok := gobUint(b)
		require.True(t, ok, "%d: length", v)
		require.Equal(t, len(b)-w, int(size), "%d: length", v)
		got, vw, ok := gobUint(b[w+2:])
		require.True(t, ok, "%d", v)
		assert.Equal(t, v, got)
		assert.Equal(t, len(b), w+2+vw, "%d: the number ends the message", v)
	}
	for _, size := range []int{1, 100, 200, 70_000, 1 << 20} {
		b := mustGob(t, make([]byte, size))
		n, last, ok := gobMessages(b)
		require.True(t, ok, "a %d-byte value", size)
		assert.Equal(t, 1, n)
		assert.Equal(t, 0, last)
		n, _, ok = gobMessages(b[:len(b)-1])
		assert.False(t, ok, "a %d-byte value cut short: %d messages", size, n)
	}
	_, _, ok := gobUint([]byte{0xf7}) // -9 bytes: more than gob ever writes
	assert.False(t, ok)
	_, _, ok = gobUint([]byte{0xfe, 1}) // two bytes promised, one there
	assert.False(t, ok)
}

// BenchmarkGob: one op encodes a value and decodes it, with a session per end (what the ends use)
// and with a fresh encoder and decoder per value (plain Gob, what they used before sessions).
func BenchmarkGob(b *testing.B) {
	for name, v := range map[string]any{
		"int":    42,
		"struct": gobJob{ID: 1, Points: []gobPoint{{1, 2, "p"}, {3, 4, "q"}}, Attrs: map[string]float64{"a": 1}},
	} {
		typ := reflect.TypeOf(v)
		for _, c := range []struct {
			name     string
			enc, dec Codec
		}{{"session", Gob{}.session(typ), Gob{}.session(typ)}, {"fresh", Gob{}, Gob{}}} {
			b.Run(name+"/"+c.name, func(b *testing.B) {
				dst := reflect.New(typ).Interface()
				for range b.N {
					p, err := c.enc.Marshal(v)
					if err != nil {
						b.Fatal(err)
					}
					if err := c.dec.Unmarshal(p, dst); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
