package graphs

import (
	"errors"

	"github.com/gocsp/gocsp/csp"
)

// Integer is the constraint of Successor: the integer types.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// Number is the constraint of Plus and Pairs: the types + adds.
type Number interface {
	Integer | ~float32 | ~float64 | ~complex64 | ~complex128
}

// ended turns a channel error into a component's result: ErrRetired, on input or output, is the
// normal end of a stream (nil, so the framework retires the component's other ends and the end
// travels on); anything else, poison above all, is returned so that the framework poisons them.
func ended(err error) error {
	if errors.Is(err, csp.ErrRetired) {
		return nil
	}
	return err
}
