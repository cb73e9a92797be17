// Command commstime runs the classic commstime benchmark: a ring of prefix → delta → successor →
// prefix, built from graphs/components, with delta also feeding a consumer that takes -n values.
// It times the ring over csp channels and the same ring over plain Go channels, and prints the
// nanoseconds per channel communication of each (4 per cycle) side by side, with their ratio.
//
//	go run ./examples/commstime -n 1000000
//
// The csp ring runs unobserved (graphs.WithoutObservation) unless -debug or -trace asks for
// observation. The shared flags -topology, -debug, -linger and -trace are described by -help.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
)

func main() {
	cycles := flag.Int("n", 1000000, "cycles of the ring (values the consumer takes)")
	f := cli.Register(flag.CommandLine)
	flag.Parse()
	if *cycles < 2 {
		fmt.Fprintln(os.Stderr, "error: -n must be at least 2")
		os.Exit(2)
	}
	os.Exit(f.Main(func(opts ...graphs.Option) (*graphs.Network, cli.Report) {
		mode := "observed"
		if !f.Observed() {
			opts = append(opts, graphs.WithoutObservation())
			mode = "unobserved"
		}
		n, res := networks.Commstime(networks.CommstimeConfig{Cycles: *cycles}, opts...)
		return n, func(w io.Writer, err error) error {
			if err != nil {
				return err
			}
			if res.Cycles != *cycles {
				return fmt.Errorf("consumer took %d values, want %d", res.Cycles, *cycles)
			}
			csp := res.NsPerComm()
			goch := networks.CommstimeGoNsPerComm(*cycles)
			fmt.Fprintf(w, "commstime: %d cycles, %d communications each\n", *cycles, networks.CommsPerCycle)
			fmt.Fprintf(w, "%-18s %8.1f ns/comm\n", "csp ("+mode+")", csp)
			fmt.Fprintf(w, "%-18s %8.1f ns/comm\n", "go channels", goch)
			fmt.Fprintf(w, "%-18s %8.2f\n", "ratio csp/go", csp/goch)
			return nil
		}
	}))
}
