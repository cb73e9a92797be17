package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Map writes f(v) to out for each v read from in.
func Map[In, Out any](name string, f func(In) Out, in *csp.Reader[In], out *csp.Writer[Out]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error { return mapAll(in, out, f) }, in, out).SetKind("Map")
}

// mapAll writes f(v) to out for each v read from in, until either side ends: the loop of Map,
// Successor and Farm's workers.
func mapAll[In, Out any](in *csp.Reader[In], out *csp.Writer[Out], f func(In) Out) error {
	for {
		v, err := in.Read()
		if err != nil {
			return ended(err)
		}
		if err := out.Write(f(v)); err != nil {
			return ended(err)
		}
	}
}
