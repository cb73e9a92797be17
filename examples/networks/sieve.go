package networks

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/components"
)

// SieveConfig sizes the prime sieve.
type SieveConfig struct {
	// Primes is how many primes the printer takes before it shuts the sieve down (default 20).
	Primes int
	// OnPrime, if set, is called by the printer with each prime as it arrives.
	OnPrime func(int)
}

// SieveResult holds the primes the sieve found. Read it after Run.
type SieveResult struct {
	Primes  []int
	filters atomic.Int64
}

// Filters returns how many filter processes have started so far, the static first one included.
// The sieve for n primes runs n+1: the last one is spawned as the n-th prime goes out.
func (r *SieveResult) Filters() int { return int(r.filters.Load()) }

// Sieve builds the dynamic sieve of Eratosthenes. A generator writes 2, 3, 4, … on "numbers" to
// filter-1. Each filter reads its first number, a prime p, sends it on "primes", spawns the next
// filter on a new channel "sieve-k" (with csp.SpawnContext under its own context, so the network
// observes it), and passes on the numbers that p does not divide. The printer takes cfg.Primes
// primes and poisons "primes"; the poison cascades from filter to filter back to the generator
// and forward to the newest filter. Each filter waits for the one it spawned, so when Run returns
// no goroutine is left.
func Sieve(cfg SieveConfig, opts ...graphs.Option) (*graphs.Network, *SieveResult) {
	if cfg.Primes <= 0 {
		cfg.Primes = 20
	}
	numbers := csp.NewChan[int](csp.Named("numbers"))
	primes := csp.NewChan[int](csp.Named("primes"))
	res := &SieveResult{}
	naturals := func(yield func(int) bool) {
		for i := 2; yield(i); i++ {
		}
	}
	generator := components.GeneratorSeq("generator", naturals, numbers.Writer())

	in := primes.Reader()
	printer := csp.Proc("printer", func(ctx context.Context) error {
		for range cfg.Primes {
			p, err := in.Read()
			if err != nil {
				return err
			}
			res.Primes = append(res.Primes, p)
			if cfg.OnPrime != nil {
				cfg.OnPrime(p)
			}
		}
		in.Poison()
		return nil
	}, in).SetKind("Printer")

	var filter func(k int, in *csp.Reader[int]) *csp.Process
	filter = func(k int, in *csp.Reader[int]) *csp.Process {
		report := primes.Writer()
		return csp.Proc(fmt.Sprintf("filter-%d", k), func(ctx context.Context) (err error) {
			res.filters.Add(1)
			p, err := in.Read()
			if err != nil {
				return err
			}
			if err := report.Write(p); err != nil {
				return err
			}
			next := csp.NewChan[int](csp.Named(fmt.Sprintf("sieve-%d", k+1)))
			out := next.Writer()
			// Owning the end made here lets observers draw the chain filter-k → sieve-k+1.
			if err := csp.Own(ctx, out); err != nil {
				return err
			}
			child := csp.SpawnContext(ctx, filter(k+1, next.Reader()))
			// The child must see this filter's end of next go before we wait for it, so settle out
			// here rather than leave it to the framework after the body returns (doing both is
			// harmless: poison and retirement are idempotent).
			defer func() {
				if err != nil {
					out.Poison()
				} else {
					out.Retire()
				}
				if cerr := child.Wait(); err == nil {
					err = cerr
				}
			}()
			for {
				v, err := in.Read()
				if err != nil {
					return err
				}
				if v%p == 0 {
					continue
				}
				if err := out.Write(v); err != nil {
					return err
				}
			}
		}, in, report).SetKind("Filter")
	}
	first := filter(1, numbers.Reader())
	n := graphs.New("sieve", opts...).Add(generator, first, printer)
	return n, res
}
