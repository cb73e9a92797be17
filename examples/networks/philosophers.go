package networks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
)

// PhilosophersConfig sets up the dining philosophers.
type PhilosophersConfig struct {
	// N is the number of philosophers and forks (default 5, at least 2).
	N int
	// Duration is how long the philosophers dine: each stops after the meal that ends past it
	// (default 2s).
	Duration time.Duration
	// MaxPause bounds the random time a philosopher thinks, and eats (default 1ms).
	MaxPause time.Duration
	// Deadlock leaves the butler out: every philosopher picks up the left fork, waits until all
	// have theirs (so that the deadlock is certain, not just likely), and reaches for the right one.
	Deadlock bool
}

// PhilosophersResult counts meals; its counters may be read at any time.
type PhilosophersResult struct {
	meals []atomic.Int64
}

// Meals returns how many times each philosopher has eaten so far.
func (r *PhilosophersResult) Meals() []int64 {
	m := make([]int64, len(r.meals))
	for i := range r.meals {
		m[i] = r.meals[i].Load()
	}
	return m
}

// Philosophers builds the dining philosophers, occam style: forks are processes too. Philosopher i
// eats with fork i on the left and fork i+1 (mod N) on the right. Fork j is picked up and put down
// by writes on one of its two channels: "left-fork-j" (from philosopher j, whose left fork it is)
// and "right-fork-j" (from philosopher j−1); it serves one side until that side puts it down.
//
// With the butler (the default), a philosopher writes on "sit-down-i" before picking up forks and
// on "stand-up-i" after putting them down; the butler alternates over all of these channels with
// one reused csp.Alt, the sit-down guards enabled only while fewer than N−1 philosophers are seated,
// so that no cycle can form. Everyone ends by retirement once the duration is up.
//
// With cfg.Deadlock there is no butler and the network deadlocks: Run returns the deadlock error,
// which names the cycle (philosopher-0 writes right-fork-1 → fork-1 reads left-fork-1 ← philosopher-1 …).
func Philosophers(cfg PhilosophersConfig, opts ...graphs.Option) (*graphs.Network, *PhilosophersResult) {
	if cfg.N < 2 {
		cfg.N = 5
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 2 * time.Second
	}
	if cfg.MaxPause <= 0 {
		cfg.MaxPause = time.Millisecond
	}
	n := cfg.N
	name := "philosophers"
	if cfg.Deadlock {
		name = "philosophers-deadlock"
	}
	res := &PhilosophersResult{meals: make([]atomic.Int64, n)}
	net := graphs.New(name, opts...)

	left := make([]*csp.Chan[int], n)
	right := make([]*csp.Chan[int], n)
	for j := range n {
		left[j] = csp.NewChan[int](csp.Named(fmt.Sprintf("left-fork-%d", j)))
		right[j] = csp.NewChan[int](csp.Named(fmt.Sprintf("right-fork-%d", j)))
		net.Add(fork(j, left[j].Reader(), right[j].Reader()))
	}

	var sit, stand []*csp.Chan[int]
	if !cfg.Deadlock {
		sit = make([]*csp.Chan[int], n)
		stand = make([]*csp.Chan[int], n)
		sitR := make([]*csp.Reader[int], n)
		standR := make([]*csp.Reader[int], n)
		for i := range n {
			sit[i] = csp.NewChan[int](csp.Named(fmt.Sprintf("sit-down-%d", i)))
			stand[i] = csp.NewChan[int](csp.Named(fmt.Sprintf("stand-up-%d", i)))
			sitR[i], standR[i] = sit[i].Reader(), stand[i].Reader()
		}
		net.Add(butler(sitR, standR))
	}

	var all *sync.WaitGroup // without a butler: everyone holds the left fork before reaching right
	if cfg.Deadlock {
		all = &sync.WaitGroup{}
		all.Add(n)
	}
	for i := range n {
		p := philosopher{
			i: i, cfg: cfg, meals: &res.meals[i], all: all,
			left:  left[i].Writer(),
			right: right[(i+1)%n].Writer(),
		}
		ends := []csp.End{p.left, p.right}
		if !cfg.Deadlock {
			p.sit, p.stand = sit[i].Writer(), stand[i].Writer()
			ends = append(ends, p.sit, p.stand)
		}
		net.Add(csp.Proc(fmt.Sprintf("philosopher-%d", i), p.run, ends...).SetKind("Philosopher"))
	}
	return net, res
}

// fork serves whichever side asks first, then waits for that side to put it down. It ends when
// both sides have retired.
func fork(j int, left, right *csp.Reader[int]) *csp.Process {
	return csp.Proc(fmt.Sprintf("fork-%d", j), func(ctx context.Context) error {
		sides := []*csp.Reader[int]{left, right}
		guards := []*csp.RecvGuard[int]{csp.Recv(left), csp.Recv(right)}
		alt := csp.NewAlt(guards[0], guards[1])
		gone := 0
		for gone < 2 {
			i, err := alt.FairSelectContext(ctx)
			if errors.Is(err, csp.ErrRetired) {
				guards[i].When(false)
				gone++
				continue
			}
			if err != nil {
				return err
			}
			if _, err := sides[i].Read(); err != nil { // put down
				return err
			}
		}
		return nil
	}, left, right).SetKind("Fork")
}

// butler lets at most len(sit)−1 philosophers sit at once. It ends when every philosopher has left.
func butler(sit, stand []*csp.Reader[int]) *csp.Process {
	n := len(sit)
	ends := make([]csp.End, 0, 2*n)
	sitG := make([]*csp.RecvGuard[int], n)
	standG := make([]*csp.RecvGuard[int], n)
	guards := make([]csp.Guard, 0, 2*n)
	for i := range n {
		sitG[i] = csp.Recv(sit[i])
		guards = append(guards, sitG[i])
		ends = append(ends, sit[i])
	}
	for i := range n {
		standG[i] = csp.Recv(stand[i])
		guards = append(guards, standG[i])
		ends = append(ends, stand[i])
	}
	return csp.Proc("butler", func(ctx context.Context) error {
		alt := csp.NewAlt(guards...)
		gone := make([]bool, 2*n) // guard i's channel has no writer left
		left, seated := 2*n, 0
		for left > 0 {
			for i := range n {
				sitG[i].When(!gone[i] && seated < n-1)
				standG[i].When(!gone[n+i])
			}
			i, err := alt.FairSelectContext(ctx)
			switch {
			case errors.Is(err, csp.ErrRetired):
				gone[i] = true
				left--
			case err != nil:
				return err
			case i < n:
				seated++
			default:
				seated--
			}
		}
		return nil
	}, ends...).SetKind("Butler")
}

type philosopher struct {
	i           int
	cfg         PhilosophersConfig
	meals       *atomic.Int64
	left, right *csp.Writer[int]
	sit, stand  *csp.Writer[int] // nil without a butler
	all         *sync.WaitGroup  // without a butler, for the first round
}

func (p *philosopher) run(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(uint64(p.i), 0x5eed))
	// csp.Sleep, not time.Sleep: a monitor then shows a thinking or eating philosopher as sleeping.
	pause := func() { _ = csp.Sleep(ctx, time.Duration(rng.Int64N(int64(p.cfg.MaxPause)))) }
	deadline := time.Now().Add(p.cfg.Duration)
	for time.Now().Before(deadline) {
		if p.sit != nil {
			pause() // think
			if err := p.sit.Write(p.i); err != nil {
				return err
			}
		}
		if err := p.left.Write(p.i); err != nil {
			return err
		}
		if p.all != nil {
			p.all.Done()
			p.all.Wait()
			p.all = nil
		}
		if err := p.right.Write(p.i); err != nil {
			return err
		}
		pause() // eat
		p.meals.Add(1)
		if err := p.left.Write(p.i); err != nil {
			return err
		}
		if err := p.right.Write(p.i); err != nil {
			return err
		}
		if p.stand != nil {
			if err := p.stand.Write(p.i); err != nil {
				return err
			}
		}
	}
	return nil
}
