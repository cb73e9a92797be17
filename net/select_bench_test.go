package net

import (
	"context"
	"testing"

	"github.com/gocsp/gocsp/csp"
)

// BenchmarkRemoteSelect: one op is one selection at a node over remote input guards whose
// channels live at another node's home, to show what a look at remote readiness costs in round
// trips. plain-read is a remote Read of a ready value (one round trip), the baseline; one-guard a
// PriSelect over one ready remote guard; four-none-ready a PriSelect over four empty remote
// guards and a Skip (the probes of the later guards ride on the first's round trip); four-last-ready
// the same with only the fourth ready (a second round trip to take it).
func BenchmarkRemoteSelect(b *testing.B) {
	cases := []struct {
		name  string
		ready []bool // which of the four channels a feeder keeps full
		sel   func(rs []*csp.Reader[int]) func() error
	}{
		{"plain-read", []bool{true, false, false, false}, func(rs []*csp.Reader[int]) func() error {
			return func() error { _, err := rs[0].Read(); return err }
		}},
		{"one-guard", []bool{true, false, false, false}, func(rs []*csp.Reader[int]) func() error {
			alt := csp.NewAlt(csp.Recv(rs[0]))
			return func() error { _, err := alt.PriSelect(); return err }
		}},
		{"four-none-ready", []bool{false, false, false, false}, func(rs []*csp.Reader[int]) func() error {
			alt := csp.NewAlt(csp.Recv(rs[0]), csp.Recv(rs[1]), csp.Recv(rs[2]), csp.Recv(rs[3]), csp.Skip())
			return func() error { _, err := alt.PriSelect(); return err }
		}},
		{"four-last-ready", []bool{false, false, false, true}, func(rs []*csp.Reader[int]) func() error {
			alt := csp.NewAlt(csp.Recv(rs[0]), csp.Recv(rs[1]), csp.Recv(rs[2]), csp.Recv(rs[3]), csp.Skip())
			return func() error {
				i, err := alt.PriSelect()
				if err == nil && i != 3 {
					b.Fatalf("guard %d fired, want the ready fourth", i)
				}
				return err
			}
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			ns := nodes(b, 2)
			ctx := context.Background()
			var rs []*csp.Reader[int]
			var feeds []chan struct{}
			for i, full := range tc.ready {
				name := string(rune('a' + i))
				c := csp.NewChan[int](csp.Named(name), csp.Buffered(64))
				if err := Export(ns[0], name, c); err != nil {
					b.Fatal(err)
				}
				r, err := OpenReader[int](ctx, ns[1], ns[0].Addr()+"/"+name)
				if err != nil {
					b.Fatal(err)
				}
				rs = append(rs, r)
				if full {
					w, done := c.Writer(), make(chan struct{})
					feeds = append(feeds, done)
					go func() {
						defer close(done)
						for v := 0; w.Write(v) == nil; v++ {
						}
					}()
				} else {
					c.Writer() // joined, so the channel is not retired while the selection looks
				}
				b.Cleanup(c.Poison)
			}
			op := tc.sel(rs)
			b.ResetTimer()
			for range b.N {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, r := range rs {
				r.Poison()
			}
			for _, done := range feeds {
				<-done
			}
		})
	}
}
