package cli

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// -debug with only a port listens on loopback; an explicit host is taken as asked.
func TestDebugAddrIsLoopbackUnlessAHostIsGiven(t *testing.T) {
	for in, want := range map[string]string{
		":8080":          "127.0.0.1:8080",
		"8080":           "127.0.0.1:8080",
		":0":             "127.0.0.1:0",
		"localhost:8080": "localhost:8080",
		"0.0.0.0:8080":   "0.0.0.0:8080",
		"[::]:8080":      "[::]:8080",
		"10.0.0.2:9000":  "10.0.0.2:9000",
	} {
		assert.Equal(t, want, DebugAddr(in), in)
	}
	ln, err := net.Listen("tcp", DebugAddr(":0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	assert.True(t, ln.Addr().(*net.TCPAddr).IP.IsLoopback())
	assert.Contains(t, URL(ln.Addr()), "http://127.0.0.1:")
}
