package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Filter copies to out the values read from in for which keep returns true, and drops the others.
func Filter[T any](name string, keep func(T) bool, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for {
			v, err := in.Read()
			if err != nil {
				return ended(err)
			}
			if !keep(v) {
				continue
			}
			if err := out.Write(v); err != nil {
				return ended(err)
			}
		}
	}, in, out).SetKind("Filter")
}
