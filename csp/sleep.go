package csp

import (
	"context"
	"time"
)

// Sleep pauses the calling process for d, or until ctx ends, when it returns ctx's error. Unlike
// time.Sleep, a Monitor sees it: the process shows as sleeping (StateSleeping, with its Deadline)
// rather than running, and counts as live, so a network whose other processes wait for a sleeper
// is never reported deadlocked. Pass the context the process body received.
func Sleep(ctx context.Context, d time.Duration) error {
	if rec := observer(ctx); rec != nil && !rec.root {
		rec.timedWait(StateSleeping, nil, nil, time.Now().Add(d))
		defer rec.endTimedWait()
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
