package components

import (
	"context"
	"iter"
	"slices"

	"github.com/gocsp/gocsp/csp"
)

// Generator writes the values of vs to out, in order, and ends: its output retires, so the end of
// the stream travels downstream.
func Generator[T any](name string, vs []T, out *csp.Writer[T]) *csp.Process {
	return GeneratorSeq(name, slices.Values(vs), out)
}

// GeneratorSeq writes the values of seq to out, in order, and ends when seq does. If out is
// retired or poisoned first, it stops pulling from seq (so seq's cleanup runs).
func GeneratorSeq[T any](name string, seq iter.Seq[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for v := range seq {
			if err := out.Write(v); err != nil {
				return ended(err)
			}
		}
		return nil
	}, out).SetKind("Generator")
}
