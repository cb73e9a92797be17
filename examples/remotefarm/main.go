// Command remotefarm farms work out to workers in other OS processes (or on other hosts) over remote
// channels: it counts the primes below -jobs × 2,500, one range of 2,500 numbers per job.
//
//	go run ./examples/remotefarm              # a dispatcher and 3 workers, as 4 processes
//	go run ./examples/remotefarm -kill-one    # … and kill -9 one worker mid-run
//
// Each worker is a node exporting two channels, "jobs" (it reads) and "results" (it writes). Its
// process selects between taking a job and handing back a result, keeping at most two results in
// hand. The dispatcher opens a remote writer of every worker's jobs and a remote reader of its
// results, and selects over all of them at once: output guards offering the next job, input guards
// taking results. Every value crosses a process boundary with rendezvous semantics: a job whose
// write returned nil is in its worker's hands.
//
// When a worker dies (-kill-one does it with SIGKILL once a third of the results are in, while the
// first worker has jobs in hand), the
// dispatcher's guards on it fail with ErrLinkLost within the heartbeat bound; it re-sends exactly
// the jobs that worker had taken and not answered, never one already answered, and the count is
// still right. At the end the dispatcher poisons the workers' channels, which shuts them down.
//
// Workers on other hosts: start each with
//
//	go run ./examples/remotefarm -worker -listen 0.0.0.0:7000 -secret-file secret
//
// and the dispatcher with -workers host1:7000,host2:7000 -secret-file secret, or, where the workers
// are a Kubernetes headless service with a port named gocsp, with -workers-srv SERVICE-DOMAIN
// (deploy/remotefarm.yaml). A worker that listens beyond loopback needs the shared secret (or TLS:
// see package net). The shared flags -debug, -topology, -trace and -linger are described by -help;
// -debug serves the dispatcher's network.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/graphs"
	cspnet "github.com/gocsp/gocsp/net"
)

// span is how many numbers one job covers.
const span = 2500

// Job asks for the primes in [From, From+span).
type Job struct{ ID, From int }

// Result answers a Job.
type Result struct{ ID, Primes int }

// heartbeat finds a dead worker within a second.
var heartbeat = cspnet.WithHeartbeat(100*time.Millisecond, 700*time.Millisecond)

func main() {
	worker := flag.Bool("worker", false, "run as a worker node")
	listen := flag.String("listen", "127.0.0.1:0", "worker: the address to listen on")
	n := flag.Int("n", 3, "workers to start as child processes (unless -workers)")
	jobs := flag.Int("jobs", 400, "jobs, each counting the primes in a range of 2,500 numbers")
	workers := flag.String("workers", "", "comma-separated addresses of workers started by hand")
	srv := flag.String("workers-srv", "", "find the workers in the DNS SRV records _gocsp._tcp.DOMAIN (a Kubernetes headless service)")
	kill := flag.Bool("kill-one", false, "kill the first worker with SIGKILL once a third of the results are in")
	secretFile := flag.String("secret-file", "", "a file holding the secret all nodes share")
	f := cli.Register(flag.CommandLine)
	flag.Parse()
	var opts []cspnet.Option
	if *secretFile != "" {
		secret, err := os.ReadFile(*secretFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(2)
		}
		opts = append(opts, cspnet.WithSecret(secret))
	}
	if *worker {
		os.Exit(runWorker(*listen, opts))
	}
	if *jobs < 1 || *n < 1 {
		fmt.Fprintln(os.Stderr, "error: -jobs and -n must be at least 1")
		os.Exit(2)
	}
	if *srv != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		addrs, err := cspnet.SRVResolver{}.Resolve(ctx, *srv)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		*workers = strings.Join(addrs, ",")
	}
	os.Exit(runDispatcher(f, *jobs, *n, *workers, *kill, opts))
}

// runWorker serves jobs until the dispatcher poisons them (or its link is lost).
func runWorker(listen string, opts []cspnet.Option) int {
	if !strings.HasPrefix(listen, "127.") && !strings.HasPrefix(listen, "localhost:") {
		opts = append(opts, cspnet.WithAnyInterface())
	}
	node, err := cspnet.Listen(listen, append(opts, heartbeat)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer node.Close()
	jobs := csp.NewChan[Job](csp.Named("jobs"))
	results := csp.NewChan[Result](csp.Named("results"))
	if err := errors.Join(cspnet.Export(node, "jobs", jobs), cspnet.Export(node, "results", results)); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	fmt.Printf("remotefarm worker: listening on %s\n", node.Addr())
	done := 0
	in, out := jobs.Reader(), results.Writer()
	err = csp.Parallel(csp.Proc("worker", func(context.Context) error {
		take, give := csp.Recv(in), csp.Send(out, Result{})
		alt := csp.NewAlt(take, give)
		var hand []Result // results computed, not yet handed back
		for {
			take.When(len(hand) < 2)
			give.When(len(hand) > 0)
			if len(hand) > 0 {
				give.Set(hand[0])
			}
			i, err := alt.Select()
			if err != nil {
				return err
			}
			if i == 0 {
				j := take.Value()
				hand = append(hand, Result{ID: j.ID, Primes: primes(j.From, j.From+span)})
			} else {
				hand = hand[1:]
				done++
			}
		}
	}, in, out))
	fmt.Printf("remotefarm worker: %d results handed back\n", done)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}

// farm is the dispatcher's view of one worker.
type farm struct {
	addr    string
	jobs    *csp.Writer[Job]
	results *csp.Reader[Result]
	taken   map[int]bool // jobs written to it (so in its hands) and not yet answered
	sent    int
	got     int
	lost    error
	cmd     *exec.Cmd // nil for a worker started by hand
}

func runDispatcher(f *cli.Flags, jobs, n int, addrs string, kill bool, opts []cspnet.Option) int {
	node, err := cspnet.Listen("", append(opts, heartbeat)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer node.Close()
	var fs []*farm
	defer func() {
		for _, w := range fs {
			if w.cmd != nil {
				w.cmd.Process.Kill()
				w.cmd.Wait()
			}
		}
	}()
	if addrs == "" {
		for range n {
			w, err := startWorker()
			if err != nil {
				fmt.Fprintln(os.Stderr, "error: starting a worker:", err)
				return 1
			}
			fs = append(fs, w)
		}
	} else {
		for _, a := range strings.Split(addrs, ",") {
			fs = append(fs, &farm{addr: strings.TrimSpace(a)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, w := range fs {
		var err error
		if w.jobs, err = cspnet.OpenWriter[Job](ctx, node, w.addr+"/jobs"); err == nil {
			w.results, err = cspnet.OpenReader[Result](ctx, node, w.addr+"/results")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "error: opening the worker's channels:", err)
			return 1
		}
		w.taken = map[int]bool{}
	}
	answers := map[int]int{}
	duplicates := 0
	build := func(gopts ...graphs.Option) (*graphs.Network, cli.Report) {
		var ends []csp.End
		for _, w := range fs {
			ends = append(ends, w.jobs, w.results)
		}
		p := csp.Proc("dispatcher", func(context.Context) error {
			return dispatch(fs, jobs, kill, answers, &duplicates)
		}, ends...)
		return graphs.New("remotefarm", gopts...).Add(p), func(out io.Writer, err error) error {
			if err != nil && !errors.Is(err, csp.ErrPoisoned) {
				return err
			}
			return report(out, fs, jobs, answers, duplicates)
		}
	}
	return f.Main(build)
}

// startWorker starts this program again as a worker on loopback and reads its address.
func startWorker() (*farm, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-worker", "-listen", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "remotefarm worker: listening on ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("the worker said %q (%v)", line, err)
	}
	go io.Copy(io.Discard, out)
	return &farm{addr: addr, cmd: cmd}, nil
}

// dispatch hands out the jobs and takes the results, selecting over every worker's channels, and
// re-sends the jobs a lost worker had taken and not answered.
func dispatch(fs []*farm, jobs int, kill bool, answers map[int]int, duplicates *int) error {
	var todo []int // jobs not in any live worker's hands, in order
	for i := range jobs {
		todo = append(todo, i)
	}
	var guards []csp.Guard
	sends := make([]*csp.SendGuard[Job], len(fs))
	recvs := make([]*csp.RecvGuard[Result], len(fs))
	for i, w := range fs {
		sends[i], recvs[i] = csp.Send(w.jobs, Job{}), csp.Recv(w.results)
		guards = append(guards, sends[i], recvs[i])
	}
	alt := csp.NewAlt(guards...)
	killed := false
	for len(answers) < jobs {
		live := 0
		for i, w := range fs {
			up := w.lost == nil
			if up {
				live++
			}
			sends[i].When(up && len(todo) > 0 && len(w.taken) < 2)
			if len(todo) > 0 {
				sends[i].Set(Job{ID: todo[0], From: todo[0] * span})
			}
			recvs[i].When(up && len(w.taken) > 0)
		}
		if live == 0 {
			return errors.New("every worker is lost")
		}
		if kill && !killed && len(answers) >= jobs/3 && len(fs[0].taken) > 0 && fs[0].cmd != nil {
			fs[0].cmd.Process.Kill() // SIGKILL: no goodbye on the wire
			killed = true
		}
		i, err := alt.FairSelect()
		w := fs[i/2]
		switch {
		case errors.Is(err, cspnet.ErrLinkLost):
			w.lost = err
			var again []int
			for id := range w.taken {
				again = append(again, id) // in its hands, never answered: send again
			}
			slices.Sort(again)
			todo = append(again, todo...)
			w.taken = nil
			fmt.Fprintf(os.Stderr, "remotefarm: worker %s lost: %v\nremotefarm: sending again the %d jobs it had taken and not answered: %v\n", w.addr, err, len(again), again)
		case err != nil:
			return err
		case i%2 == 0: // a job went out
			w.taken[todo[0]] = true
			todo = todo[1:]
			w.sent++
		default:
			r := recvs[i/2].Value()
			w.got++
			if _, dup := answers[r.ID]; dup {
				*duplicates++
			}
			answers[r.ID] = r.Primes
			delete(w.taken, r.ID)
		}
	}
	for _, w := range fs {
		if w.lost == nil {
			w.jobs.Poison() // the workers stop
		}
	}
	return nil
}

func report(out io.Writer, fs []*farm, jobs int, answers map[int]int, duplicates int) error {
	total := 0
	for _, p := range answers {
		total += p
	}
	want := primes(0, jobs*span)
	for _, w := range fs {
		state := "up"
		if w.lost != nil {
			state = "lost"
		}
		fmt.Fprintf(out, "worker %-21s %-4s jobs: %4d sent   results: %4d received\n", w.addr, state, w.sent, w.got)
	}
	fmt.Fprintf(out, "primes below %d: %d (expected %d); %d duplicate results\n", jobs*span, total, want, duplicates)
	if total != want || duplicates != 0 {
		return fmt.Errorf("wrong count: %d, want %d (%d duplicates)", total, want, duplicates)
	}
	fmt.Fprintln(out, "the count is right")
	return nil
}

// primes counts the primes in [from, to).
func primes(from, to int) int {
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
