package csp

import (
	"context"
	"errors"
	"testing"
)

// A process that returns ctx's error as soon as ctx ends can beat the poisoning callback; that is
// still the cancellation, not a failure of the process. The window is narrow, so this is a stress
// test: it runs the race many times rather than forcing one order.
func TestParallelContextCtxErrorIsNotAFailure(t *testing.T) {
	for range scaled(500) {
		ctx, cancel := context.WithCancel(context.Background())
		c := NewChan[int](Named("never"))
		r := c.Reader()
		started := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- ParallelContext(ctx, Proc("waiter", func(ctx context.Context) error {
				close(started)
				<-ctx.Done()
				return ctx.Err()
			}, r))
		}()
		<-started
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want the cancellation reported, got %v", err)
		}
		var pe *ProcessError
		if errors.As(err, &pe) {
			t.Fatalf("the process's ctx error was reported as its failure: %v", err)
		}
	}
}
