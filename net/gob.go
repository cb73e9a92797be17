package net

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"sync"
)

// session returns a Gob codec for the values, of type t, of one end. A fresh gob encoder describes
// a value's types before the value itself, and a fresh decoder compiles them again, for every
// value: most of the cost of a small value. A session keeps one encoder and one decoder, so that a
// value costs only its own message, while every payload is still what a fresh encoder writes (the
// descriptions, then the value) and decodes alone.
func (Gob) session(t reflect.Type) Codec { return &gobSession{t: t, fast: !hasInterface(t, nil)} }

// gobSession is the Gob codec of one end for values of type t.
//
// The session primes one encoder and one decoder with this process's own encoding of a zero t:
// prefix, its type descriptions, then a value message whose type id is id. After that the encoder
// writes each value as one message, sent as prefix+message: byte for byte what a fresh encoder
// writes (gob type ids are the process's, not the encoder's). A payload that is prefix and one
// message of type id is decoded by the primed decoder from that message alone; any other payload
// (a peer whose gob numbered its types otherwise, say) by a fresh decoder, as Gob does.
//
// This holds only for a t with no interface anywhere in it (fast): the value message of an
// interface carries the descriptions of the types it holds, which an encoder sends once and a
// decoder keeps. Without interfaces, nothing a peer sends can add to the primed decoder's state:
// it only ever reads values of t's own descriptions, so a stream of them costs no memory.
type gobSession struct {
	Gob
	t    reflect.Type
	fast bool

	mu     sync.Mutex
	primed bool // enc, dec, prefix and id are set
	prefix []byte
	id     []byte // the type id of a value message, as encoded
	ebuf   bytes.Buffer
	enc    *gob.Encoder
	din    bytes.Reader
	dec    *gob.Decoder
}

// prime sets up the encoder and decoder, or clears fast if t cannot be primed. s.mu is held.
func (s *gobSession) prime() bool {
	if !s.primed && s.fast {
		s.fast = s.primeZero()
		s.primed = s.fast
	}
	return s.fast
}

// primeZero encodes and decodes this process's zero t to set enc, dec, prefix and id; false if any
// of it fails.
func (s *gobSession) primeZero() bool {
	zero := reflect.New(s.t).Elem()
	if s.t.Kind() == reflect.Pointer { // gob refuses a nil pointer; it sends what it points to
		zero = reflect.New(s.t.Elem())
	}
	s.ebuf.Reset()
	enc := gob.NewEncoder(&s.ebuf)
	if enc.EncodeValue(zero) != nil {
		return false
	}
	out := bytes.Clone(s.ebuf.Bytes())
	n, last, ok := gobMessages(out)
	if !ok || n == 0 {
		return false
	}
	id, ok := gobMessageID(out[last:])
	if !ok {
		return false
	}
	s.din.Reset(out)
	dec := gob.NewDecoder(&s.din)
	if dec.DecodeValue(reflect.New(s.t)) != nil || s.din.Len() != 0 {
		return false
	}
	s.enc, s.dec, s.prefix, s.id = enc, dec, out[:last], id
	return true
}

// Marshal encodes v, a t, as a self-contained gob payload.
func (s *gobSession) Marshal(v any) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.prime() {
		return s.Gob.Marshal(v)
	}
	s.ebuf.Reset()
	if err := s.enc.Encode(v); err != nil {
		s.primed = false // start again with the next value, not from a half-written state
		return nil, err
	}
	if n, _, ok := gobMessages(s.ebuf.Bytes()); !ok || n != 1 {
		s.fast = false // not the stream this session expects: be plain Gob from now on
		return s.Gob.Marshal(v)
	}
	out := make([]byte, 0, len(s.prefix)+s.ebuf.Len())
	return append(append(out, s.prefix...), s.ebuf.Bytes()...), nil
}

// Unmarshal decodes data, a gob payload, into v, a pointer to a t.
func (s *gobSession) Unmarshal(data []byte, v any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.prime() || !bytes.HasPrefix(data, s.prefix) {
		return s.Gob.Unmarshal(data, v)
	}
	msg := data[len(s.prefix):]
	if n, _, ok := gobMessages(msg); !ok || n != 1 {
		return s.Gob.Unmarshal(data, v)
	}
	if id, ok := gobMessageID(msg); !ok || !bytes.Equal(id, s.id) {
		return s.Gob.Unmarshal(data, v)
	}
	s.din.Reset(msg)
	if err := s.dec.Decode(v); err != nil {
		s.primed = false // whatever the failure left in the decoder goes with it
		return err
	}
	return nil
}

// hasInterface says whether t holds an interface anywhere (seen guards recursive types).
func hasInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	if seen == nil {
		seen = map[reflect.Type]bool{}
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasInterface(t.Elem(), seen)
	case reflect.Map:
		return hasInterface(t.Key(), seen) || hasInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if hasInterface(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// gobMessages counts the messages of a gob stream (each is its length, a gob unsigned integer,
// then that many bytes) and says where the last one starts; ok is false unless b is whole messages.
func gobMessages(b []byte) (n, last int, ok bool) {
	for at := 0; at < len(b); n++ {
		size, w, ok := gobUint(b[at:])
		if !ok || size == 0 || size > uint64(len(b)-at-w) {
			return n, last, false
		}
		last, at = at, at+w+int(size)
	}
	return n, last, true
}

// gobMessageID returns the encoded type id that opens message m (after its length): the bytes of
// a gob integer, compared as bytes since gob writes each number one way only.
func gobMessageID(m []byte) ([]byte, bool) {
	_, w, ok := gobUint(m)
	if !ok {
		return nil, false
	}
	_, iw, ok := gobUint(m[w:])
	if !ok {
		return nil, false
	}
	return m[w : w+iw], true
}

// gobUint decodes a gob unsigned integer: one byte below 0x80 is the value; else the byte is minus
// the number of big-endian bytes that follow (at most 8).
func gobUint(b []byte) (v uint64, width int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1, true
	}
	n := -int(int8(b[0]))
	if n > 8 || len(b) < 1+n {
		return 0, 0, false
	}
	for _, c := range b[1 : 1+n] {
		v = v<<8 | uint64(c)
	}
	return v, 1 + n, true
}
