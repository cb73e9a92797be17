package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Identity copies every value from in to out, unchanged: a one-place buffer.
func Identity[T any](name string, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error { return copyAll(in, out) }, in, out).SetKind("Identity")
}

// copyAll copies from in to out until either side ends.
func copyAll[T any](in *csp.Reader[T], out *csp.Writer[T]) error {
	for {
		v, err := in.Read()
		if err != nil {
			return ended(err)
		}
		if err := out.Write(v); err != nil {
			return ended(err)
		}
	}
}
