package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gocsp/gocsp/graphs"
)

// The topology document's types are graphs', which writes it.
type (
	Topology = graphs.Topology
	Process  = graphs.TopoProcess
	Channel  = graphs.TopoChannel
	End      = graphs.TopoEnd
)

// Directions of an End.
const (
	DirRead  = "read"
	DirWrite = "write"
)

// DecodeTopology reads one topology document from r and validates it.
func DecodeTopology(r io.Reader) (*Topology, error) {
	var t Topology
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, fmt.Errorf("decoding topology JSON: %w", jsonError(err))
	}
	if err := ValidateTopology(&t); err != nil {
		return nil, err
	}
	return &t, nil
}

// ValidateTopology checks the header, with messages that say what to do
// about a wrong format or version, and then everything graphs' reader checks:
// that every id is non-empty and unique and every end names a process and a
// channel of the document with a known direction.
func ValidateTopology(t *Topology) error {
	if err := checkHeader(TopologyFormat, t.Format, t.Version); err != nil {
		return err
	}
	// The header is known good, so graphs can only object to the body.
	return t.Validate()
}

// jsonError makes encoding/json's errors say where in the input they are.
func jsonError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("at byte %d: %w", syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q at byte %d: %w", typ.Field, typ.Offset, err)
	}
	if errors.Is(err, io.EOF) {
		return errors.New("the input is empty")
	}
	return err
}
