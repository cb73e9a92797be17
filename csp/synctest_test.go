//go:build go1.25

package csp

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// A network under testing/synctest, the standard way to test time-dependent Go code: a reader
// blocked on a channel whose writer sleeps first. The bubble's fake clock advances only when every
// goroutine in it is durably blocked, so a process parked by the framework must count as such, in
// every parking path.
func TestNetworkInSynctestBubble(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		synctest.Test(t, func(t *testing.T) {
			c := NewChan[int](Named("later"))
			r, w := c.Reader(), c.Writer()
			start := time.Now()
			err := Parallel(
				Proc("writer", func(ctx context.Context) error {
					if err := Sleep(ctx, time.Hour); err != nil {
						return err
					}
					return w.Write(1)
				}, w),
				Proc("reader", func(context.Context) error {
					v, err := r.Read()
					if err == nil && v != 1 {
						t.Errorf("read %d", v)
					}
					return err
				}, r),
			)
			if err != nil {
				t.Error(err)
			}
			if got := time.Since(start); got != time.Hour {
				t.Errorf("fake time moved %v, want an hour", got)
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the synctest bubble never advanced: a parked process is not durably blocked")
	}
}
