package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Tail discards the first value read from in, then copies the rest to out.
func Tail[T any](name string, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		if _, err := in.Read(); err != nil {
			return ended(err)
		}
		return copyAll(in, out)
	}, in, out).SetKind("Tail")
}
