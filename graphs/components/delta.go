package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Delta copies each value read from in to every one of outs, in order: outs[0] first, then
// outs[1], and so on (sequential output). The next value is read only when every output took the
// current one. A slow reader of outs[0] therefore also delays outs[1]; DeltaPar avoids that.
//
// Delta ends when in, or any output, is retired (see the package's termination rule).
func Delta[T any](name string, in *csp.Reader[T], outs ...*csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for {
			v, err := in.Read()
			if err != nil {
				return ended(err)
			}
			for _, o := range outs {
				if err := o.Write(v); err != nil {
					return ended(err)
				}
			}
		}
	}, ends(in, outs)...).SetKind("Delta")
}

// DeltaPar is Delta with parallel output: each value is offered on every output at once, and the
// outputs take it in whatever order their readers come (an alternation over output guards, so no
// goroutine is started per value). The next value is read once every output took the current one.
func DeltaPar[T any](name string, in *csp.Reader[T], outs ...*csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		sends, alt := sendAlt(outs)
		for {
			v, err := in.Read()
			if err != nil {
				return ended(err)
			}
			for _, g := range sends {
				g.Set(v).When(true)
			}
			for range outs {
				i, err := alt.SelectContext(ctx)
				if err != nil {
					return ended(err)
				}
				sends[i].When(false)
			}
		}
	}, ends(in, outs)...).SetKind("DeltaPar")
}

// sendAlt makes a send guard on each of outs (Set its value before each selection) and an
// alternation over them: DeltaPar's and Farm's dispatcher's.
func sendAlt[T any](outs []*csp.Writer[T]) ([]*csp.SendGuard[T], *csp.Alt) {
	sends := make([]*csp.SendGuard[T], len(outs))
	guards := make([]csp.Guard, len(outs))
	var zero T
	for i, o := range outs {
		sends[i] = csp.Send(o, zero)
		guards[i] = sends[i]
	}
	return sends, csp.NewAlt(guards...)
}
