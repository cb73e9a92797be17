package components

import (
	"context"
	"errors"

	"github.com/gocsp/gocsp/csp"
)

// Mux merges ins onto out: it forwards each value from whichever input is ready, choosing fairly
// (FairSelect), so no busy input starves another. An input that retires drops out and the others
// go on, their buffered values included; Mux ends, retiring out, when every input has retired (or
// out has). A poisoned input poisons every end of the Mux.
func Mux[T any](name string, ins []*csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	es := make([]csp.End, 0, len(ins)+1)
	for _, in := range ins {
		es = append(es, in)
	}
	es = append(es, out)
	return csp.Proc(name, func(ctx context.Context) error { return merge(ctx, ins, out) }, es...).SetKind("Mux")
}

// merge is Mux's body, shared with Farm's gatherer.
func merge[T any](ctx context.Context, ins []*csp.Reader[T], out *csp.Writer[T]) error {
	guards := make([]csp.Guard, len(ins))
	recvs := make([]*csp.RecvGuard[T], len(ins))
	for i, in := range ins {
		recvs[i] = csp.Recv(in)
		guards[i] = recvs[i]
	}
	alt := csp.NewAlt(guards...)
	for live := len(ins); live > 0; {
		i, err := alt.FairSelectContext(ctx)
		if errors.Is(err, csp.ErrRetired) && i >= 0 {
			recvs[i].When(false) // that input has ended; the others go on
			live--
			continue
		}
		if err != nil {
			return err
		}
		if err := out.Write(recvs[i].Value()); err != nil {
			return ended(err)
		}
	}
	return nil
}
