package components

import (
	"context"

	"github.com/gocsp/gocsp/csp"
)

// Collector appends every value read from in to *into until in retires. *into belongs to the
// process while it runs; read it after the network has ended.
func Collector[T any](name string, in *csp.Reader[T], into *[]T) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for {
			v, err := in.Read()
			if err != nil {
				return ended(err)
			}
			*into = append(*into, v)
		}
	}, in).SetKind("Collector")
}
