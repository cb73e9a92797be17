// Package networks builds the GoCSP example networks, ready to run: the classic commstime
// benchmark ring, the dynamic prime sieve, a Monte Carlo estimate of π over a farm of workers, the
// dining philosophers (with a butler, or without one so that they deadlock), and two networks of GPU
// processes (package gpu): a Mandelbrot image, and vectors streamed through SAXPY and a sum.
//
// Each constructor takes a config (zero fields take documented defaults) and network options, and
// returns the network and a result handle that the network's processes fill in. Read a result
// after Run has returned; the counters that a viewer may want while the network runs (meals, say)
// are safe to read at any time.
//
// The commands under examples/ run these networks, and cspviz's demo imports this package to run
// them in-process.
package networks
