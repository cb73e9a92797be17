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
// first worker has jobs in hand), the dispatcher's guards on it fail with ErrLinkLost once the
// reconnection window (5 s by default: a worker back within it would have lost nothing) has
// passed; it re-sends exactly the jobs that worker had taken and not answered, never one already
// answered, and the count is still right. At the end the dispatcher poisons the workers' channels, which shuts them down.
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
	"strings"
	"sync/atomic"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/examples/internal/cli"
	"github.com/gocsp/gocsp/examples/networks"
	"github.com/gocsp/gocsp/graphs"
	cspnet "github.com/gocsp/gocsp/net"
)

// heartbeat finds a dead or silent worker within a second (its link then waits out the
// reconnection window before it is lost).
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
		secret, err := cspnet.SecretFile(*secretFile)
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
	os.Exit(runDispatcher(f, *jobs, *n, *workers, *kill, *secretFile, opts))
}

// runWorker serves jobs until the dispatcher poisons them (or its link is lost).
func runWorker(listen string, opts []cspnet.Option) int {
	// Any address the user gives: Listen still refuses one beyond loopback without the secret.
	opts = append(opts, cspnet.WithAnyInterface())
	node, err := cspnet.Listen(listen, append(opts, heartbeat)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer node.Close()
	jobs := csp.NewChan[networks.FarmJob](csp.Named("jobs"))
	results := csp.NewChan[networks.FarmResult](csp.Named("results"))
	if err := errors.Join(cspnet.Export(node, "jobs", jobs), cspnet.Export(node, "results", results)); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	fmt.Printf("remotefarm worker: listening on %s\n", node.Addr())
	done := 0
	err = csp.Parallel(networks.FarmWorker("worker", jobs.Reader(), results.Writer(), 0, &done, nil))
	fmt.Printf("remotefarm worker: %d results handed back\n", done)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}

func runDispatcher(f *cli.Flags, jobs, n int, addrs string, kill bool, secretFile string, opts []cspnet.Option) int {
	node, err := cspnet.Listen("", append(opts, heartbeat)...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer node.Close()
	var links []*networks.FarmLink
	var cmds []*exec.Cmd
	var dispatched atomic.Bool // the dispatcher ran to its end, poisoning the workers
	defer func() {
		// The workers stop on the dispatcher's poison; one that has not within a few seconds, or
		// that it never poisoned (-topology, a failure), is killed.
		wait := 3 * time.Second
		if !dispatched.Load() {
			wait = 0
		}
		for _, c := range cmds {
			stopped := make(chan struct{})
			go func() { c.Wait(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(wait):
				c.Process.Kill()
				<-stopped
			}
		}
	}()
	if addrs == "" {
		for range n {
			addr, cmd, err := startWorker(secretFile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "error: starting a worker:", err)
				return 1
			}
			cmds = append(cmds, cmd)
			links = append(links, &networks.FarmLink{Addr: addr, Kill: func() { cmd.Process.Kill() }})
		}
	} else {
		for _, a := range strings.Split(addrs, ",") {
			links = append(links, &networks.FarmLink{Addr: strings.TrimSpace(a)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, l := range links {
		var err error
		if l.Jobs, err = cspnet.OpenWriter[networks.FarmJob](ctx, node, l.Addr+"/jobs"); err == nil {
			l.Results, err = cspnet.OpenReader[networks.FarmResult](ctx, node, l.Addr+"/results")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "error: opening the worker's channels:", err)
			return 1
		}
	}
	lost := func(l *networks.FarmLink, again []int) {
		fmt.Fprintf(os.Stderr, "remotefarm: worker %s lost: %v\nremotefarm: sending again the %d jobs it had taken and not answered: %v\n", l.Addr, l.Lost, len(again), again)
	}
	out := &networks.FarmOutcome{}
	build := func(gopts ...graphs.Option) (*graphs.Network, cli.Report) {
		return graphs.New("remotefarm", gopts...).Add(networks.FarmDispatcher(links, jobs, kill, out, lost, func() { dispatched.Store(true) })),
			func(w io.Writer, err error) error {
				if err != nil {
					return err
				}
				return report(w, links, jobs, out)
			}
	}
	return f.Main(build)
}

// startWorker starts this program again as a worker on loopback (with the shared secret, if any)
// and reads its address.
func startWorker(secretFile string) (string, *exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	args := []string{"-worker", "-listen", "127.0.0.1:0"}
	if secretFile != "" {
		args = append(args, "-secret-file", secretFile)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "remotefarm worker: listening on ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("the worker said %q (%v)", line, err)
	}
	go io.Copy(io.Discard, out)
	return addr, cmd, nil
}

func report(out io.Writer, links []*networks.FarmLink, jobs int, o *networks.FarmOutcome) error {
	want := networks.CountPrimes(0, jobs*networks.FarmSpan)
	for _, l := range links {
		state := "up"
		if l.Lost != nil {
			state = "lost"
		}
		fmt.Fprintf(out, "worker %-21s %-4s jobs: %4d sent   results: %4d received\n", l.Addr, state, l.Sent, l.Got)
	}
	fmt.Fprintf(out, "primes below %d: %d (expected %d); %d duplicate results\n", jobs*networks.FarmSpan, o.Total(), want, o.Duplicates)
	if o.Total() != want || o.Duplicates != 0 {
		return fmt.Errorf("wrong count: %d, want %d (%d duplicates)", o.Total(), want, o.Duplicates)
	}
	fmt.Fprintln(out, "the count is right")
	return nil
}
