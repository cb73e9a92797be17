package csp

import (
	"errors"
	"testing"
	"time"

	"github.com/gocsp/gocsp/internal/transport"
)

// WriteNow completes only what would not block, and leaves no trace of a write that would.
func TestWriteNow(t *testing.T) {
	c := NewChan[int]()
	w := c.Writer()
	if done, err := w.Transport(transport.Door()).WriteNow(1); done || err != nil {
		t.Fatalf("no reader: WriteNow = %v, %v; want false, nil", done, err)
	}
	got := make(chan int, 1)
	go func() {
		v, err := c.Reader().Read()
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	deadline := time.Now().Add(10 * time.Second) // until the reader waits: a bound, not a timing assertion
	for {
		done, err := w.Transport(transport.Door()).WriteNow(2)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("WriteNow never met the waiting reader")
		}
		time.Sleep(time.Millisecond)
	}
	if v := <-got; v != 2 {
		t.Fatalf("the reader got %d, want 2 (the refused write of 1 must not have been kept)", v)
	}

	b := NewChan[int](Buffered(1))
	bw, br := b.Writer(), b.Reader()
	if done, err := bw.Transport(transport.Door()).WriteNow(3); !done || err != nil {
		t.Fatalf("buffer room: WriteNow = %v, %v; want true, nil", done, err)
	}
	if done, _ := bw.Transport(transport.Door()).WriteNow(4); done {
		t.Fatal("full buffer: WriteNow wrote")
	}
	if v, _ := br.Read(); v != 3 {
		t.Fatalf("read %d, want 3", v)
	}
	b.Poison()
	if done, err := bw.Transport(transport.Door()).WriteNow(5); !done || !errors.Is(err, ErrPoisoned) {
		t.Fatalf("poisoned: WriteNow = %v, %v; want true, ErrPoisoned", done, err)
	}
}
