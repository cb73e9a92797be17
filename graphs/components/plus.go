package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Plus reads one value from each of in0 and in1 — in parallel: whichever is ready first is taken
// first, by alternation — and writes their sum to out. It ends when either input is retired.
func Plus[T Number](name string, in0, in1 *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		g0, g1 := csp.Recv(in0), csp.Recv(in1)
		alt := csp.NewAlt(g0, g1)
		for {
			g0.When(true)
			g1.When(true)
			for range 2 {
				i, err := alt.SelectContext(ctx)
				if err != nil {
					return ended(err)
				}
				if i == 0 {
					g0.When(false)
				} else {
					g1.When(false)
				}
			}
			if err := out.Write(g0.Value() + g1.Value()); err != nil {
				return ended(err)
			}
		}
	}, in0, in1, out).SetKind("Plus")
}
