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

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
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
	n, err := Listen("")
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
func child(t *testing.T, mode, parent string) (*exec.Cmd, <-chan string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "GOCSP_NET_PARENT="+parent)
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
// kills (SIGKILL) or hangs (SIGSTOP) the child mid-stream, and checks: every write the child saw acknowledged was received
// here exactly once and in order, at most one more arrived, and the read blocked here returns
// (ErrLinkLost, or ErrRetired where the channel's home is here and its lost writer left).
func TestMultiProcessKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, c := range []struct {
		mode string
		sig  syscall.Signal
	}{{"writer", syscall.SIGKILL}, {"home", syscall.SIGKILL}, {"writer", syscall.SIGSTOP}, {"home", syscall.SIGSTOP}} {
		mode := c.mode
		// SIGSTOP leaves the connection open and the peer silent: only the heartbeat finds it.
		t.Run(mode+"/"+c.sig.String(), func(t *testing.T) {
			n, err := Listen("", WithHeartbeat(100*time.Millisecond, 500*time.Millisecond))
			require.NoError(t, err)
			defer n.Close()
			var r *csp.Reader[int]
			if mode == "writer" {
				ch := csp.NewChan[int]()
				require.NoError(t, Export(n, "c", ch))
				r = ch.Reader()
			}
			cmd, lines := child(t, mode, n.Addr())
			first := <-lines
			require.True(t, strings.HasPrefix(first, "addr "), first)
			if mode == "home" {
				r, err = OpenReader[int](ctxT(t), n, strings.TrimPrefix(first, "addr ")+"/c")
				require.NoError(t, err)
			}
			want := 2000 * stress()
			var got []int
			var readErr error
			for {
				v, err := r.Read()
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
			require.True(t, typedLoss(readErr), "%v", readErr)
			for i, v := range got {
				require.Equal(t, i, v, "received out of order or twice")
			}
			require.Greater(t, len(got), acked, "an acknowledged write (%d) was not received", acked)
			require.LessOrEqual(t, len(got), acked+2, "received more than the acknowledged writes and the one in flight")
			t.Logf("%s: received %d, child saw %d acknowledged, read ended with %v", mode, len(got), acked+1, readErr)
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
