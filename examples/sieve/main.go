// Command sieve runs the dynamic prime sieve: a generator of 2, 3, 4, … feeds a chain of filters
// in which each filter, on reading its prime, spawns the next one (csp.SpawnContext under its own
// context, so the network observes the chain as it grows). It prints exactly the first -n primes,
// space-separated on one line; then the printer poisons the primes channel, the poison cascades
// through every filter to the generator, and the command exits 0 with no goroutine left.
//
//	go run ./examples/sieve -n 20
//
// -pace pauses after each prime so that a viewer can watch the chain grow; with -debug it is 100ms
// unless given. The shared flags -topology, -debug, -linger and -trace are described by -help.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
)

func main() {
	count := flag.Int("n", 20, "how many primes to print")
	pace := flag.Duration("pace", 0, "pause this long after each prime, so that a viewer can watch the sieve grow (with -debug: 100ms unless given)")
	f := cli.Register(flag.CommandLine)
	flag.Parse()
	paced := false
	flag.Visit(func(fl *flag.Flag) { paced = paced || fl.Name == "pace" })
	if f.Debug != "" && !paced {
		*pace = 100 * time.Millisecond
	}
	if *count < 1 {
		fmt.Fprintln(os.Stderr, "error: -n must be at least 1")
		os.Exit(2)
	}
	os.Exit(f.Main(func(opts ...graphs.Option) (*graphs.Network, cli.Report) {
		var onPrime func(int)
		if *pace > 0 {
			onPrime = func(int) { time.Sleep(*pace) }
		}
		n, res := networks.Sieve(networks.SieveConfig{Primes: *count, OnPrime: onPrime}, opts...)
		return n, func(w io.Writer, err error) error {
			if err != nil {
				return err
			}
			if len(res.Primes) != *count {
				return fmt.Errorf("got %d primes, want %d", len(res.Primes), *count)
			}
			s := make([]string, len(res.Primes))
			for i, p := range res.Primes {
				s[i] = strconv.Itoa(p)
			}
			_, err = fmt.Fprintln(w, strings.Join(s, " "))
			return err
		}
	}))
}
