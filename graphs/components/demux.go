package components

import (
	"context"
	"fmt"

	"github.com/gocsp/gocsp/csp"
)

// Demux sends each value read from in to outs[route(v)]. A route outside outs is a failure of the
// process (it poisons its ends), because dropping the value silently would hide a bug. Demux ends
// when in retires, or when the output chosen for a value has retired.
func Demux[T any](name string, route func(T) int, in *csp.Reader[T], outs []*csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for {
			v, err := in.Read()
			if err != nil {
				return ended(err)
			}
			k := route(v)
			if k < 0 || k >= len(outs) {
				return fmt.Errorf("components: Demux %q: route(%v) = %d, not in [0, %d)", name, v, k, len(outs))
			}
			if err := outs[k].Write(v); err != nil {
				return ended(err)
			}
		}
	}, ends(in, outs)...).SetKind("Demux")
}
