package net

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// CBOR is the default codec: RFC 8949 CBOR through github.com/fxamacker/cbor/v2, configured for
// values from peers that may be hostile. Before it decodes anything it checks that the payload is
// one well-formed CBOR item, so a declared length longer than the bytes that follow (an array of
// 2^60 elements declared in nine bytes) is refused before anything is allocated; it refuses
// nesting deeper than CBORMaxDepth (arrays, maps and tags together), arrays longer than
// CBORMaxElements and maps with more pairs than that. Every element takes at least one byte of the
// frame, so what a decode allocates is bounded by the frame size times the size of the element
// type's parts, whatever the peer sends, and its stack by CBORMaxDepth.
//
// What it carries: booleans, numbers, strings, byte slices, slices, arrays, maps, pointers and
// structs, like encoding/json: a struct travels as a map from field names (or `cbor:"..."` and
// `json:"..."` tags) to values, its exported fields only, so an unexported field arrives as its
// zero value. time.Time travels as RFC 3339 text with nanoseconds. An interface field decodes only
// if it is an empty interface (it then holds what CBOR holds: int64 or uint64, float64, string,
// []byte, []any, map[any]any); a type that implements encoding.BinaryMarshaler and
// BinaryUnmarshaler travels as the bytes they give. A value that does not fit the channel's
// element type fails that operation with an error that says so ("cbor: cannot unmarshal UTF-8
// text string into Go struct field main.job.ID of type int"), the node and its other ends unaffected.
type CBOR struct{}

// The bounds of the CBOR codec's decoder.
const (
	// CBORMaxDepth is how deeply arrays, maps and tags may nest in one value (a struct is a map,
	// so a tree of structs may be this deep). Each level costs the decoder about a kilobyte of
	// stack, so the bound keeps a hostile value's stack to a fraction of a megabyte.
	CBORMaxDepth = 256
	// CBORMaxElements bounds the elements of one array and the pairs of one map.
	CBORMaxElements = 1 << 24
)

// The codec's encoding and decoding modes, built once: they are immutable (no state is kept
// between values) and safe for concurrent use.
var cborEnc, cborDec = func() (cbor.EncMode, cbor.DecMode) {
	enc, err := cbor.EncOptions{Time: cbor.TimeRFC3339Nano}.EncMode()
	if err != nil {
		panic(err)
	}
	dec, err := cbor.DecOptions{
		MaxNestedLevels:  CBORMaxDepth,
		MaxArrayElements: CBORMaxElements,
		MaxMapPairs:      CBORMaxElements,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return enc, dec
}()

// Name returns "cbor".
func (CBOR) Name() string { return "cbor" }

// Marshal encodes v as CBOR.
func (CBOR) Marshal(v any) ([]byte, error) {
	b, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("net: encoding a %T with the cbor codec: %w", v, err)
	}
	return b, nil
}

// Unmarshal decodes data, one CBOR item, into v, a pointer.
func (CBOR) Unmarshal(data []byte, v any) error { return cborDec.Unmarshal(data, v) }
