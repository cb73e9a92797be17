package components

import (
	"context"
	"fmt"

	"github.com/gocsp/gocsp/csp"
)

// Prefix writes initial to out, then copies in to out like Identity. In a ring it is the process
// that puts the first value in circulation.
func Prefix[T any](name string, initial T, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		if err := out.Write(initial); err != nil {
			return ended(err)
		}
		return copyAll(in, out)
	}, in, out).SetKind("Prefix").SetAttr("initial", fmt.Sprint(initial))
}
