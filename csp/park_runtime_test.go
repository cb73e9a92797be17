//go:build !gocsp_portable && !race && !go1.27

package csp

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// The wait reason park_reason_*.go give for this Go release must be the runtime's "sync.Cond.Wait":
// a wrong number would label parked processes with some other runtime state (and could change how
// the runtime treats them). A goroutine parked through a parker must show it in a stack dump.
func TestParkedGoroutineShowsItsWaitReason(t *testing.T) {
	var p parker
	p.init()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "csp.(*parker).wait") {
				if !strings.HasPrefix(strings.SplitN(g, "\n", 2)[0], "goroutine ") || !strings.Contains(strings.SplitN(g, "\n", 2)[0], "[sync.Cond.Wait]") {
					t.Fatalf("a parked goroutine shows %q, want the wait reason [sync.Cond.Wait]", strings.SplitN(g, "\n", 2)[0])
				}
				p.wake()
				<-done
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the parked goroutine never showed in a stack dump")
		}
		time.Sleep(time.Millisecond)
	}
}
