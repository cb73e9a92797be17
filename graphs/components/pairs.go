package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Pairs writes the sum of each two consecutive values read from in: for x0, x1, x2, … it writes
// x0+x1, x1+x2, …. It is the JCSP Pairs network (Delta, Tail, Plus) folded into one process, which
// keeps the previous value instead of passing it round a loop.
func Pairs[T Number](name string, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		prev, err := in.Read()
		if err != nil {
			return ended(err)
		}
		for {
			v, err := in.Read()
			if err != nil {
				return ended(err)
			}
			if err := out.Write(prev + v); err != nil {
				return ended(err)
			}
			prev = v
		}
	}, in, out).SetKind("Pairs")
}
