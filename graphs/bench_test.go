package graphs

import (
	"context"
	"testing"
)

// BenchmarkCommsTimeObserved runs the same CommsTime ring (Prefix, Delta, Successor and a consumer)
// with the monitor on (observed) and as plain csp.ParallelContext (plain). One op is one value
// round the ring: four channel communications.
func BenchmarkCommsTimeObserved(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"observed", nil},
		{"plain", []Option{WithoutObservation()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := New("commstime", bc.opts...).Add(commsTime(b.N, nil)...)
			b.ResetTimer()
			if err := n.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
