package csp

import (
	"context"
	"testing"
)

// TestReadHeld covers the home's side of a remote read: a held writer completes only on Commit,
// goes back to the front of the queue on Release, and fails as the others did if the channel was
// poisoned while it was held; a buffered value released goes back to the front of the buffer.
func TestReadHeld(t *testing.T) {
	ctx := context.Background()
	t.Run("commit", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		done := make(chan error, 1)
		go func() { done <- w.Write(1) }()
		v, h, err := ReadHeld(ctx, r)
		if err != nil || v != 1 {
			t.Fatalf("ReadHeld: %v, %v", v, err)
		}
		select {
		case err := <-done:
			t.Fatalf("the write completed (%v) before the commit", err)
		default:
		}
		h.Commit()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("release then read", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		done := make(chan error, 1)
		go func() { done <- w.Write(2) }()
		_, h, _ := ReadHeld(ctx, r)
		h.Release()
		if v, err := r.Read(); err != nil || v != 2 {
			t.Fatalf("Read after Release: %v, %v", v, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("poisoned while held", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		done := make(chan error, 1)
		go func() { done <- w.Write(3) }()
		_, h, _ := ReadHeld(ctx, r)
		c.Poison()
		h.Release()
		if err := <-done; err == nil {
			t.Fatal("the released write succeeded on a poisoned channel")
		}
	})
	t.Run("buffered release keeps order", func(t *testing.T) {
		c := NewChan[int](Buffered(2))
		r, w := c.Reader(), c.Writer()
		w.Write(1)
		w.Write(2)
		_, h, _ := ReadHeld(ctx, r)
		w.Write(3) // takes the freed slot: the release must grow the ring
		h.Release()
		for want := 1; want <= 3; want++ {
			if v, err := r.Read(); err != nil || v != want {
				t.Fatalf("read %v, %v; want %d", v, err, want)
			}
		}
	})
}
