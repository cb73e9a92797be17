package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// CheckHeader rejects a document whose format is not want or whose version this package cannot
// read, naming both as docs/FORMATS.md asks.
func CheckHeader(want, got string, version int) error {
	switch {
	case got == "":
		return fmt.Errorf("unknown format \"\" (want %q): the \"format\" field is missing", want)
	case got != want:
		return fmt.Errorf("unknown format %q (want %q)", got, want)
	case version < 1:
		return fmt.Errorf("%s version %d not supported: versions start at 1", got, version)
	case version > Version:
		return fmt.Errorf("%s version %d not supported: it is newer than version %d, the newest this reader reads; upgrade the reader", got, version, Version)
	}
	return nil
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
