package networks

// This file stands in for package graphs until it lands: a Network with Add and Run, and the few
// components the examples use, with the signatures graphs announces. Replacing it is the last step.

import (
	"context"
	"errors"

	"github.com/gocsp/gocsp/csp"
)

// Network is a stand-in for graphs.Network.
type Network struct {
	name  string
	procs []*csp.Process
}

// Option is a stand-in for graphs.Option.
type Option func(*Network)

// DeadlockError is a stand-in for graphs.DeadlockError.
type DeadlockError struct{ D *csp.Deadlock }

func (e *DeadlockError) Error() string { return e.D.String() }

func newNetwork(name string, _ ...Option) *Network { return &Network{name: name} }

// Add adds processes.
func (n *Network) Add(procs ...*csp.Process) *Network { n.procs = append(n.procs, procs...); return n }

// Run runs the network under a monitor.
func (n *Network) Run(ctx context.Context) error {
	m := csp.NewMonitor()
	err := csp.ParallelContext(m.Context(ctx), n.procs...)
	m.Wait()
	if d := m.Deadlock(); d != nil {
		return errors.Join(&DeadlockError{D: d}, err)
	}
	return err
}

func prefix[T any](name string, initial T, in *csp.Reader[T], out *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		if err := out.Write(initial); err != nil {
			return err
		}
		for {
			v, err := in.Read()
			if err != nil {
				return err
			}
			if err := out.Write(v); err != nil {
				return err
			}
		}
	}, in, out)
}

func delta[T any](name string, in *csp.Reader[T], out0, out1 *csp.Writer[T]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for {
			v, err := in.Read()
			if err != nil {
				return err
			}
			if err := out0.Write(v); err != nil {
				return err
			}
			if err := out1.Write(v); err != nil {
				return err
			}
		}
	}, in, out0, out1)
}

func successor(name string, in *csp.Reader[int], out *csp.Writer[int]) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for {
			v, err := in.Read()
			if err != nil {
				return err
			}
			if err := out.Write(v + 1); err != nil {
				return err
			}
		}
	}, in, out)
}
