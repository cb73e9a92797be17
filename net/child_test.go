package net

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gocsp/gocsp/csp"
)

// The multi-process tests run this test binary again as a child node (TestMain sends it to
// runChild when childEnv is set). The child prints "addr <its address>" and then "ack <i>" after
// each write of i that returned nil, so the parent knows which writes were acknowledged before it
// kills the child with SIGKILL.
const childEnv = "GOCSP_NET_CHILD"

func runChild() int {
	mode, parent := os.Getenv(childEnv), os.Getenv("GOCSP_NET_PARENT")
	if mode == "names" { // register "c" with the parent's name server, then stay
		n, err := Listen("", WithNameServer(parent))
		if err == nil {
			err = Export(n, "c", csp.NewChan[int]())
		}
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("addr", n.Addr())
		select {}
	}
	var opts []Option
	if win := os.Getenv("GOCSP_NET_WINDOW"); win != "" {
		opts = append(opts, childBeat, childWindow)
		if d, err := time.ParseDuration(win); err == nil { // a window of its own (else childWindow)
			opts = append(opts, WithReconnectWindow(d))
		}
	}
	n, err := Listen("", opts...)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	var w *csp.Writer[int]
	switch mode {
	case "retire-close": // write 100 values to the parent's channel, retire, close the node, exit
		w, err = OpenWriter[int](context.Background(), n, parent+"/c")
		for i := 0; i < 100 && err == nil; i++ {
			err = w.Write(i)
		}
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		w.Retire()
		n.Close()
		fmt.Println("closed")
		return 0
	case "writer": // write to the parent's channel
		w, err = OpenWriter[int](context.Background(), n, parent+"/c")
	case "home": // export a channel the parent reads from
		ch := csp.NewChan[int]()
		if err = Export(n, "c", ch); err == nil {
			w = ch.Writer()
		}
	}
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("addr", n.Addr()) // once the channel is exported
	for i := 0; ; i++ {
		if err := w.Write(i); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("ack", i) // os.Stdout is unbuffered: a line printed is a write acknowledged
	}
}

// child starts the test binary as a child node in mode and returns it with its stdout lines.
func child(t *testing.T, mode, parent string, env ...string) (*exec.Cmd, <-chan string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode, "GOCSP_NET_PARENT="+parent), env...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 1<<16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, lines
}

// TestMultiProcessKill streams ints between this process and a child process, in both directions,
// kills (SIGKILL) or hangs (SIGSTOP) the child mid-stream, and checks: every write the child saw
// acknowledged was received here exactly once and in order, at most one more arrived, and the read
// blocked here returns (ErrLinkLost, or ErrRetired where the channel's home is here and its lost
// writer left). This node has the default reconnection window (the child never comes back, so the
// read returns once the window passes: a redial is refused, or hangs in a stopped process's
// handshake) or none (the read returns at once; the child keeps the default window, so this is
// also a node with a window linked to one without). The eight runs wait for their child's loss
// together, so that the test takes one window, not eight.
func TestMultiProcessKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	type run struct {
		name  string
		cmd   *exec.Cmd
		lines <-chan string
		got   []int
		ended chan error // the read's error, once the link is lost
		took  time.Duration
	}
	var runs []*run
	for _, window := range []struct {
		name string
		opt  Option
	}{{"default-window", nil}, {"no-window", WithReconnectWindow(0)}} {
		for _, c := range []struct {
			mode string
			sig  syscall.Signal
		}{{"writer", syscall.SIGKILL}, {"home", syscall.SIGKILL}, {"writer", syscall.SIGSTOP}, {"home", syscall.SIGSTOP}} {
			// SIGSTOP leaves the connection open and the peer silent: only the heartbeat finds it.
			opts := []Option{WithHeartbeat(100*time.Millisecond, 500*time.Millisecond)}
			if window.opt != nil {
				opts = append(opts, window.opt)
			}
			n, err := Listen("", opts...)
			require.NoError(t, err)
			t.Cleanup(func() { n.Close() })
			var r *csp.Reader[int]
			if c.mode == "writer" {
				ch := csp.NewChan[int]()
				require.NoError(t, Export(n, "c", ch))
				r = ch.Reader()
			}
			cmd, lines := child(t, c.mode, n.Addr())
			first := <-lines
			require.True(t, strings.HasPrefix(first, "addr "), first)
			if c.mode == "home" {
				r, err = OpenReader[int](ctxT(t), n, strings.TrimPrefix(first, "addr ")+"/c")
				require.NoError(t, err)
			}
			ru := &run{name: window.name + "/" + c.mode + "/" + c.sig.String(), cmd: cmd, lines: lines, ended: make(chan error, 1)}
			runs = append(runs, ru)
			want := 2000 * stress()
			for len(ru.got) < want {
				v, err := r.Read()
				require.NoError(t, err)
				ru.got = append(ru.got, v)
			}
			require.NoError(t, cmd.Process.Signal(c.sig))
			go func() {
				start := time.Now()
				for {
					v, err := r.Read()
					if err != nil {
						ru.took = time.Since(start)
						ru.ended <- err
						return
					}
					ru.got = append(ru.got, v)
				}
			}()
		}
	}
	for _, ru := range runs {
		t.Run(ru.name, func(t *testing.T) {
			readErr := <-ru.ended
			ru.cmd.Process.Kill()
			ru.cmd.Wait()
			acked := -1
			for l := range ru.lines {
				if s, ok := strings.CutPrefix(l, "ack "); ok {
					acked, _ = strconv.Atoi(s)
				}
			}
			require.True(t, typedLoss(readErr), "%v", readErr)
			for i, v := range ru.got {
				require.Equal(t, i, v, "received out of order or twice")
			}
			require.Greater(t, len(ru.got), acked, "an acknowledged write (%d) was not received", acked)
			require.LessOrEqual(t, len(ru.got), acked+2, "received more than the acknowledged writes and the one in flight")
			t.Logf("received %d, child saw %d acknowledged, read ended %v after the signal with %v", len(ru.got), acked+1,
				ru.took.Round(time.Millisecond), readErr)
		})
	}
}

// TestMultiProcessCloseDelivers: a child process writes 100 values to a channel exported here,
// retires its end, closes its node and exits at once. Its retirement must arrive before the link
// goes: the reader here gets the 100 values and then ErrRetired, not the ErrPoisoned that the
// export's PoisonOnLinkLost gives a lost writer.
func TestMultiProcessCloseDelivers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	n, err := Listen("")
	require.NoError(t, err)
	defer n.Close()
	ch := csp.NewChan[int]()
	require.NoError(t, Export(n, "c", ch, OnLinkLost(PoisonOnLinkLost)))
	r := ch.Reader()
	cmd, lines := child(t, "retire-close", n.Addr())
	for i := range 100 {
		v, err := r.Read()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	_, err = r.Read()
	require.ErrorIs(t, err, csp.ErrRetired)
	var out []string
	for l := range lines { // until the child's stdout closes, before Wait closes the pipe
		out = append(out, l)
	}
	require.NoError(t, cmd.Wait())
	require.Contains(t, out, "closed")
}

// The heartbeat and reconnection window of TestMultiProcessPauseHeals's nodes: a short heartbeat
// bound, so that a short pause is longer than it, and the default window, said explicitly.
var (
	childBeat   = WithHeartbeat(100*time.Millisecond, 500*time.Millisecond)
	childWindow = WithReconnectWindow(defaultWindow)
)

// TestMultiProcessPauseHeals streams ints from a child process, pauses it (SIGSTOP) for longer
// than the heartbeat bound but within the default reconnection window (both nodes have it), so
// that this node finds the link silent and suspends it, and continues it (SIGCONT): the link
// resumes, and the stream goes on with every value once and in order and no error, whichever node
// dialled the link (the child, writing to a channel here, or this node, reading from the child's).
func TestMultiProcessPauseHeals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, mode := range []string{"writer", "home"} {
		t.Run(mode, func(t *testing.T) {
			n, err := Listen("", childBeat, childWindow)
			require.NoError(t, err)
			defer n.Close()
			var r *csp.Reader[int]
			if mode == "writer" {
				ch := csp.NewChan[int]()
				require.NoError(t, Export(n, "c", ch))
				r = ch.Reader()
			}
			cmd, lines := child(t, mode, n.Addr(), "GOCSP_NET_WINDOW=1")
			first := <-lines
			require.True(t, strings.HasPrefix(first, "addr "), first)
			if mode == "home" {
				r, err = OpenReader[int](ctxT(t), n, strings.TrimPrefix(first, "addr ")+"/c")
				require.NoError(t, err)
			}
			want := 1000 * stress()
			for i := range 2 * want {
				if i == want {
					require.NoError(t, cmd.Process.Signal(syscall.SIGSTOP))
					time.Sleep(time.Second) // twice the heartbeat bound: the link is found silent
					require.NoError(t, cmd.Process.Signal(syscall.SIGCONT))
				}
				v, err := r.Read()
				require.NoError(t, err, "read %d", i)
				require.Equal(t, i, v, "received out of order, twice, or one lost")
			}
		})
	}
}

// TestMultiProcessKillWithWindow is TestMultiProcessKill with a reconnection window (a short one)
// on both nodes: a child killed (SIGKILL) or paused for good (SIGSTOP) mid-stream is still found
// lost, once the window has passed: this node logs the link suspended and then lost "not back
// within the reconnection window", the read blocked here returns ErrLinkLost (the child's channel)
// or what the export's policy makes of the lost writer (ErrRetired: it was the only one), and every
// write the child saw acknowledged was received exactly once and in order, with at most one more.
func TestMultiProcessKillWithWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const window = 700 * time.Millisecond
	for _, c := range []struct {
		mode string
		sig  syscall.Signal
	}{{"writer", syscall.SIGKILL}, {"home", syscall.SIGKILL}, {"writer", syscall.SIGSTOP}, {"home", syscall.SIGSTOP}} {
		mode := c.mode
		t.Run(mode+"/"+c.sig.String(), func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			n, err := Listen("", childBeat, WithReconnectWindow(window), WithLogger(zap.New(core)))
			require.NoError(t, err)
			defer n.Close()
			var r *csp.Reader[int]
			if mode == "writer" {
				ch := csp.NewChan[int]()
				require.NoError(t, Export(n, "c", ch))
				r = ch.Reader()
			}
			cmd, lines := child(t, mode, n.Addr(), "GOCSP_NET_WINDOW="+window.String())
			first := <-lines
			require.True(t, strings.HasPrefix(first, "addr "), first)
			if mode == "home" {
				r, err = OpenReader[int](ctxT(t), n, strings.TrimPrefix(first, "addr ")+"/c")
				require.NoError(t, err)
			}
			want := 1000 * stress()
			var got []int
			var readErr error
			ctx := ctxT(t) // a loss never found fails the test instead of hanging it
			for {
				v, err := r.ReadContext(ctx)
				if err != nil {
					readErr = err
					break
				}
				got = append(got, v)
				if len(got) == want {
					require.NoError(t, cmd.Process.Signal(c.sig))
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			acked := -1
			for l := range lines {
				if s, ok := strings.CutPrefix(l, "ack "); ok {
					acked, _ = strconv.Atoi(s)
				}
			}
			if mode == "home" {
				require.ErrorIs(t, readErr, ErrLinkLost)
				require.Contains(t, readErr.Error(), "reconnection window")
			} else {
				require.ErrorIs(t, readErr, csp.ErrRetired, "the export leaves: its only writer retired")
			}
			// The ends see the loss as the link logs it: wait for the line.
			require.Eventually(t, func() bool { return logged(logs.All(), "link lost", "not back within the reconnection window") },
				10*time.Second, 5*time.Millisecond, "no log of the link lost past the window: %v", logs.All())
			require.True(t, logged(logs.All(), "link suspended"), "the link was lost without being suspended first")
			for i, v := range got {
				require.Equal(t, i, v, "received out of order or twice")
			}
			require.Greater(t, len(got), acked, "an acknowledged write (%d) was not received", acked)
			require.LessOrEqual(t, len(got), acked+2, "received more than the acknowledged writes and the one in flight")
			t.Logf("%s: received %d, child saw %d acknowledged, read ended with %v", mode, len(got), acked+1, readErr)
		})
	}
}

// TestStallHeals stops this whole process (SIGSTOP, from a helper process, then SIGCONT) for longer
// than the heartbeat bound in the middle of a stream between two of its nodes, both ends selecting:
// what a machine loaded enough to starve the test process does. Every node finds its link silent
// when it runs again. Without a reconnection window that loses the link ("i/o timeout": the
// both-alting starvation flake, reproduced so in 5 of 5 runs); with one, the links resume and every
// value arrives once, in order, with no error.
func TestStallHeals(t *testing.T) {
	if testing.Short() {
		t.Skip("stops this process for a second")
	}
	ns := nodes(t, 2, WithHeartbeat(50*time.Millisecond, 300*time.Millisecond), WithReconnectWindow(5*time.Second))
	ch := csp.NewChan[int]()
	require.NoError(t, Export(ns[0], "c", ch))
	w, err := OpenWriter[int](ctxT(t), ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	const k = 4000
	werr := make(chan error, 1)
	go func() {
		defer w.Retire()
		out := csp.Send(w, 0)
		alt := csp.NewAlt(out, csp.Recv(csp.NewChan[int]().Reader()))
		for j := range k {
			out.Set(j)
			if _, err := alt.SelectContext(ctxT(t)); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	in := csp.Recv(ch.Reader())
	alt := csp.NewAlt(in, csp.Recv(csp.NewChan[int]().Reader()))
	var stall *exec.Cmd
	for j := range k {
		if j == k/2 {
			pid := os.Getpid()
			stall = exec.Command("sh", "-c", fmt.Sprintf("kill -STOP %d; sleep 1; kill -CONT %d", pid, pid))
			require.NoError(t, stall.Start())
		}
		_, err := alt.FairSelectContext(ctxT(t))
		require.NoError(t, err, "read %d", j)
		require.Equal(t, j, in.Value(), "received out of order, twice, or one lost")
	}
	require.NoError(t, <-werr)
	require.NoError(t, stall.Wait())
}
