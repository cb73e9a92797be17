package networks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
	cspnet "github.com/gocsp/gocsp/net"
)

// FarmSpan is how many numbers one job of the remote farm covers.
const FarmSpan = 2500

// FarmJob asks for the primes in [From, From+FarmSpan).
type FarmJob struct{ ID, From int }

// FarmResult answers a FarmJob.
type FarmResult struct{ ID, Primes int }

// FarmWorker is a worker of the remote farm, on the node that exports jobs and results: it selects
// between taking a job and handing back a result, keeping at most two results in hand. pace, if
// set, is a pause per job, so that a viewer can watch. *done counts the results handed back;
// after, if not nil, runs as the body ends (closing the worker's node, say).
func FarmWorker(name string, jobs *csp.Reader[FarmJob], results *csp.Writer[FarmResult], pace time.Duration, done *int, after func()) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		if after != nil {
			defer after()
		}
		take, give := csp.Recv(jobs), csp.Send(results, FarmResult{})
		alt := csp.NewAlt(take, give)
		var hand []FarmResult // results computed, not yet handed back
		for {
			take.When(len(hand) < 2)
			give.When(len(hand) > 0)
			if len(hand) > 0 {
				give.Set(hand[0])
			}
			i, err := alt.SelectContext(ctx)
			if err != nil {
				return err
			}
			if i == 0 {
				j := take.Value()
				if pace > 0 {
					time.Sleep(pace)
				}
				hand = append(hand, FarmResult{ID: j.ID, Primes: CountPrimes(j.From, j.From+FarmSpan)})
			} else {
				hand = hand[1:]
				*done++
			}
		}
	}, jobs, results)
}

// FarmLink is the dispatcher's view of one worker: remote ends of its channels, and what is in
// its hands.
type FarmLink struct {
	Addr    string
	Jobs    *csp.Writer[FarmJob]
	Results *csp.Reader[FarmResult]
	Kill    func() // kills the worker (-kill-one), or nil
	Sent    int    // jobs it took
	Got     int    // results it handed back
	Lost    error  // why its link was lost, or nil
	taken   map[int]bool
}

// FarmOutcome is what the dispatcher found.
type FarmOutcome struct {
	Answers    map[int]int // primes per job id
	Duplicates int         // results for a job already answered (none, if the protocol holds)
}

// Total is the number of primes found.
func (o *FarmOutcome) Total() int {
	t := 0
	for _, p := range o.Answers {
		t += p
	}
	return t
}

// FarmDispatcher hands out jobs 0..jobs-1 and takes the results, selecting over every worker's
// channels at once (output guards offering the next job, input guards taking results). A worker
// whose link is lost gets no more jobs, and exactly the jobs it had taken and not answered are sent
// again. With killFirst, the first worker is killed once a third of the results are in, while it
// holds jobs. At the end it poisons the live workers' jobs, which shuts them down. Lost workers
// are reported to lost (if not nil); after, if not nil, runs as the body ends. (A worker whose
// dispatcher's node is gone sees its channels poisoned: the lost link poisons their remote ends.)
func FarmDispatcher(links []*FarmLink, jobs int, killFirst bool, out *FarmOutcome, lost func(l *FarmLink, again []int), after func()) *csp.Process {
	var ends []csp.End
	for _, l := range links {
		ends = append(ends, l.Jobs, l.Results)
	}
	return csp.Proc("dispatcher", func(ctx context.Context) error {
		if after != nil {
			defer after()
		}
		out.Answers = map[int]int{}
		var todo []int // jobs not in any live worker's hands, in order
		for i := range jobs {
			todo = append(todo, i)
		}
		var guards []csp.Guard
		sends := make([]*csp.SendGuard[FarmJob], len(links))
		recvs := make([]*csp.RecvGuard[FarmResult], len(links))
		for i, l := range links {
			l.taken = map[int]bool{}
			sends[i], recvs[i] = csp.Send(l.Jobs, FarmJob{}), csp.Recv(l.Results)
			guards = append(guards, sends[i], recvs[i])
		}
		alt := csp.NewAlt(guards...)
		killed := false
		for len(out.Answers) < jobs {
			live := 0
			for i, l := range links {
				up := l.Lost == nil
				if up {
					live++
				}
				sends[i].When(up && len(todo) > 0 && len(l.taken) < 2)
				if len(todo) > 0 {
					sends[i].Set(FarmJob{ID: todo[0], From: todo[0] * FarmSpan})
				}
				recvs[i].When(up && len(l.taken) > 0)
			}
			if live == 0 {
				return errors.New("every worker is lost")
			}
			if k := links[0]; killFirst && !killed && len(out.Answers) >= jobs/3 && len(k.taken) > 0 && k.Kill != nil {
				k.Kill()
				killed = true
			}
			i, err := alt.FairSelectContext(ctx)
			l := links[i/2]
			switch {
			case errors.Is(err, cspnet.ErrLinkLost):
				l.Lost = err
				var again []int
				for id := range l.taken {
					again = append(again, id) // in its hands, never answered: send again
				}
				slices.Sort(again)
				todo = append(again, todo...)
				l.taken = nil
				if lost != nil {
					lost(l, again)
				}
			case err != nil:
				return err
			case i%2 == 0: // a job went out
				l.taken[todo[0]] = true
				todo = todo[1:]
				l.Sent++
			default:
				r := recvs[i/2].Value()
				l.Got++
				if _, dup := out.Answers[r.ID]; dup {
					out.Duplicates++
				}
				out.Answers[r.ID] = r.Primes
				delete(l.taken, r.ID)
			}
		}
		for _, l := range links {
			if l.Lost == nil {
				l.Jobs.Poison() // the workers stop
			}
		}
		return nil
	}, ends...)
}

// RemoteFarmConfig sizes the in-process remote farm.
type RemoteFarmConfig struct {
	Workers int           // worker nodes (default 3)
	Jobs    int           // jobs (default 120)
	Pace    time.Duration // a pause per job, so that a viewer can watch
}

// RemoteFarm builds the remote farm with every node in this OS process, on loopback: one node per
// worker and one for the dispatcher, talking over real TCP links. The network holds the dispatcher
// and the workers' processes; the last of them to end closes the nodes. The remotefarm example
// runs the same processes with the workers in other OS processes.
func RemoteFarm(cfg RemoteFarmConfig, opts ...graphs.Option) (*graphs.Network, *FarmOutcome, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 3
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = 120
	}
	var nodes []*cspnet.Node
	fail := func(err error) (*graphs.Network, *FarmOutcome, error) {
		for _, n := range nodes {
			n.Close()
		}
		return nil, nil, err
	}
	disp, err := cspnet.Listen("")
	if err != nil {
		return fail(err)
	}
	nodes = append(nodes, disp)
	// The workers' exported channels have ends that the dispatcher's node opened from the other
	// side, which no process of this network owns: outside ends, by design.
	n := graphs.New("remotefarm", append(opts, graphs.WithOutsideEnds())...)
	// The last process to end closes every node, so that no link goes while a process still
	// uses it (a worker would see its dispatcher's link lost, and fail, rightly).
	var left atomic.Int32
	left.Store(int32(cfg.Workers + 1))
	after := func() {
		if left.Add(-1) == 0 {
			for _, n := range nodes {
				n.Close()
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var links []*FarmLink
	for i := range cfg.Workers {
		w, err := cspnet.Listen("")
		if err != nil {
			return fail(err)
		}
		nodes = append(nodes, w)
		// Named as exported, and each worker marked with its node, so that a viewer draws each
		// node as a box around its processes and the dispatcher's remote channels into them.
		jobs := csp.NewChan[FarmJob](csp.Named("jobs"))
		results := csp.NewChan[FarmResult](csp.Named("results"))
		if err := errors.Join(cspnet.Export(w, "jobs", jobs), cspnet.Export(w, "results", results)); err != nil {
			return fail(err)
		}
		l := &FarmLink{Addr: w.Addr()}
		if l.Jobs, err = cspnet.OpenWriter[FarmJob](ctx, disp, w.Addr()+"/jobs"); err != nil {
			return fail(err)
		}
		if l.Results, err = cspnet.OpenReader[FarmResult](ctx, disp, w.Addr()+"/results"); err != nil {
			return fail(err)
		}
		links = append(links, l)
		var done int
		n.Add(FarmWorker(fmt.Sprintf("worker-%d", i), jobs.Reader(), results.Writer(), cfg.Pace, &done, after).SetAttr("node", w.Addr()))
	}
	out := &FarmOutcome{}
	n.Add(FarmDispatcher(links, cfg.Jobs, false, out, nil, after).SetAttr("node", disp.Addr()))
	return n, out, nil
}

// CountPrimes counts the primes in [from, to).
func CountPrimes(from, to int) int {
	k := 0
	for n := max(from, 2); n < to; n++ {
		prime := true
		for d := 2; d*d <= n; d++ {
			if n%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			k++
		}
	}
	return k
}
