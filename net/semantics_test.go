package net

import (
	"fmt"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/internal/semtest"
	"github.com/stretchr/testify/require"
)

// TestSemanticsRemote runs csp's semantic suite (internal/semtest) through remote ends: every
// channel's home is node 0, its readers are opened through node 1 and its writers through node 2.
func TestSemanticsRemote(t *testing.T) { semtest.Run(t, remoteMode("remote", false)) }

// TestSemanticsMixed runs the suite with the ends of each channel spread over all three nodes:
// in turn a local end at the home, one through node 1 and one through node 2, readers and writers
// starting at different nodes.
func TestSemanticsMixed(t *testing.T) { semtest.Run(t, remoteMode("mixed", true)) }

// TestSemanticsCredited runs the suite with every end remote through one node, its writers with
// credits (WithCredits): a Write into a buffer returns before the home has the value, and all
// that the ends see is still what local ends see, since what a process does after a Write reaches
// the home after the value through the same link. (Through two nodes it would not be: a reader on
// another node, told that a Write returned, may look before the value arrives; skip-and-timeout
// would then see a Skip win. net/doc.go, "Credits".)
func TestSemanticsCredited(t *testing.T) {
	m := remoteMode("credited", false)
	m.WriteAhead = true
	semtest.Run(t, m)
}

func remoteMode(name string, mixed bool) semtest.Mode {
	credited := name == "credited"
	return semtest.Mode{Name: name, Setup: func(t testing.TB) func(...csp.ChanOption) semtest.Chan {
		var nopts []Option
		var eopts []EndOption
		writerAt := 2
		if credited {
			nopts = append(nopts, WithReconnectWindow(10*time.Second))
			eopts = append(eopts, WithCredits())
			writerAt = 1
		}
		ns := nodes(t, 3, nopts...)
		ctx := ctxT(t)
		made := 0
		return func(opts ...csp.ChanOption) semtest.Chan {
			ch := csp.NewChan[int](opts...)
			export := fmt.Sprint("c", made)
			made++
			require.NoError(t, Export(ns[0], export, ch))
			target := ns[0].Addr() + "/" + export
			readers, writers := 0, 1
			return semtest.Chan{Home: ch,
				Reader: func() *csp.Reader[int] {
					at := 1
					if mixed {
						at = readers % 3
						readers++
					}
					if at == 0 {
						return ch.Reader()
					}
					r, err := OpenReader[int](ctx, ns[at], target)
					require.NoError(t, err)
					return r
				},
				Writer: func() *csp.Writer[int] {
					at := writerAt
					if mixed {
						at = writers % 3
						writers++
					}
					if at == 0 {
						return ch.Writer()
					}
					w, err := OpenWriter[int](ctx, ns[at], target, eopts...)
					require.NoError(t, err)
					return w
				}}
		}
	}}
}
