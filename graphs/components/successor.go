package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Successor writes v+1 to out for each v read from in. Overflow wraps as Go's + does.
func Successor[T Integer](name string, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		return mapAll(in, out, func(v T) T { return v + 1 })
	}, in, out).SetKind("Successor")
}
