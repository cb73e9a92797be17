package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gocsp/gocsp/csp"
	cspnet "github.com/gocsp/gocsp/net"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The command serves names to nodes in other processes, and stops cleanly on SIGINT.
func TestServesAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin := filepath.Join(t.TempDir(), "gocsp-names")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	require.True(t, sc.Scan())
	addr, ok := strings.CutPrefix(sc.Text(), "gocsp-names: serving on ")
	require.True(t, ok, "first line %q", sc.Text())

	a, err := cspnet.Listen("", cspnet.WithNameServer(addr))
	require.NoError(t, err)
	defer a.Close()
	b, err := cspnet.Listen("", cspnet.WithNameServer(addr))
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, cspnet.Export(a, "jobs", csp.NewChan[int](csp.Named("jobs"))))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := b.Lookup(ctx, "jobs")
	require.NoError(t, err)
	require.Equal(t, a.Addr(), got)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.True(t, sc.Scan())
	require.Equal(t, "gocsp-names: stopped", sc.Text())
	require.NoError(t, cmd.Wait())
}
