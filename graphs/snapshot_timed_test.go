package graphs

import (
	"context"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs/format"
)

// A snapshot shows a timed wait as what it is: a selection with a Timeout reads "alting" with what
// it waits on and its deadline, and csp.Sleep reads "sleeping" with its deadline.
func TestSnapshotShowsTimedWaitsAndTheirDeadlines(t *testing.T) {
	c := csp.NewChan[int](csp.Named("c"))
	r, w := c.Reader(), c.Writer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := New("timed").Add(
		csp.Proc("alter", func(ctx context.Context) error {
			_, err := csp.SelectContext(ctx, csp.Recv(r), csp.Timeout(time.Hour))
			return err
		}, r, w),
		csp.Proc("sleeper", func(ctx context.Context) error { return csp.Sleep(ctx, time.Hour) }),
	)
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	want := map[string]string{"alter": "alting", "sleeper": "sleeping"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]format.ProcessState{}
		for _, p := range n.Snapshot().Processes {
			got[p.Name] = p
		}
		ok := true
		for name, st := range want {
			p := got[name]
			if p.State != st || p.Deadline == "" {
				ok = false
			}
		}
		if ok {
			for name := range want {
				d, err := time.Parse(time.RFC3339Nano, got[name].Deadline)
				if err != nil || time.Until(d) < 50*time.Minute {
					t.Fatalf("%s: deadline %q (%v), want about an hour from now", name, got[name].Deadline, err)
				}
			}
			if len(got["alter"].Waits) != 1 || got["alter"].Waits[0].Op != "read" {
				t.Fatalf("alter waits on %+v", got["alter"].Waits)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw both timed waits: %+v", got)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
