package graphs

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Successor writes v+1 to out for each v read from in. Overflow wraps as Go's + does.
func Successor[T Integer](name string, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for {
			v, err := in.Read()
			if err != nil {
				return ended(err)
			}
			if err := out.Write(v + 1); err != nil {
				return ended(err)
			}
		}
	}, in, out).SetKind("Successor")
}
