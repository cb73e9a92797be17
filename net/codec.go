package net

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"reflect"
)

// Codec turns a channel's values into payload bytes and back. Both ends of a channel must use the
// same codec: its Name is checked when an end connects. Unmarshal is always given a pointer to the
// channel's element type, so a codec never decodes a type the channel was not declared with.
type Codec interface {
	Name() string
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// sessioner is a Codec that can make a codec for the values, of type t, of one end, which may keep
// state from value to value (see Gob's). Each payload it writes must still decode alone, with the
// Codec itself, so that the other side needs no state to read it.
type sessioner interface{ session(t reflect.Type) Codec }

// sessionOf returns the codec one end for values of type t uses: c's session if it has them, else c.
func sessionOf(c Codec, t reflect.Type) Codec {
	if s, ok := c.(sessioner); ok {
		return s.session(t)
	}
	return c
}

// Gob is a codec through encoding/gob, one self-describing message per value, for trusted peers
// only: encoding/gob is not hardened against hostile input (a value nested a few million levels
// deep in one frame ends the whole process with a fatal stack overflow, which no recover catches),
// so a node that may meet a peer it does not trust uses CBOR, the default. Every payload
// decodes alone; an end still keeps one encoder and one decoder for its element type, so that
// after the first value it no longer builds gob's type descriptions and decoders again (types
// with an interface in them excepted: gob describes those inside each value).
type Gob struct{}

// Name returns "gob".
func (Gob) Name() string { return "gob" }

// Marshal encodes v with encoding/gob.
func (Gob) Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Unmarshal decodes data into v, a pointer.
func (Gob) Unmarshal(data []byte, v any) error {
	return gob.NewDecoder(bytes.NewReader(data)).Decode(v)
}

// JSON is a codec through encoding/json.
type JSON struct{}

// Name returns "json".
func (JSON) Name() string { return "json" }

// Marshal encodes v with encoding/json.
func (JSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes data into v, a pointer.
func (JSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// Raw is a codec for channels of []byte: the payload is the value itself.
type Raw struct{}

// Name returns "raw".
func (Raw) Name() string { return "raw" }

// Marshal returns v, which must be a []byte.
func (Raw) Marshal(v any) ([]byte, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("net: the raw codec carries []byte, not %T", v)
	}
	return b, nil
}

// Unmarshal stores a copy of data in v, which must be a *[]byte.
func (Raw) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("net: the raw codec carries []byte, not %T", v)
	}
	*p = bytes.Clone(data)
	return nil
}
