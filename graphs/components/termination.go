package components

import (
	"errors"

	"github.com/gocsp/gocsp/csp"
)

// ended turns a channel error into a component's result: ErrRetired, on input or output, is the
// normal end of a stream (nil, so the framework retires the component's other ends and the end
// travels on); anything else, poison above all, is returned so that the framework poisons them.
//
// Returning nil rather than the ErrRetired itself keeps the result "ended normally" for every
// runner, also one that counts a returned ErrRetired as a failure.
func ended(err error) error {
	if errors.Is(err, csp.ErrRetired) {
		return nil
	}
	return err
}

// ends lists one end and several others as the ends a process owns, in that order.
func ends[E csp.End, F csp.End](first E, rest []F) []csp.End {
	es := make([]csp.End, 0, 1+len(rest))
	es = append(es, first)
	for _, o := range rest {
		es = append(es, o)
	}
	return es
}
