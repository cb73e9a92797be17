package csp

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gocsp/gocsp/internal/transport"
)

// lockingExtern is a transport as package net builds one: one mutex guards its posted guards, and
// it fires them (Hold, Deliver, Commit, Claim) holding that mutex, which Post, Withdraw and Poll,
// called with the channel locked, take too. The first Post starts the home's answer at once: a
// goroutine that takes the mutex, holds the guard and delivers a value to it, as a home does in
// two round trips; Post waits until that goroutine has the mutex, so that the selection's next
// Post (the same end in a second guard) meets it there.
type lockingExtern struct {
	mu      sync.Mutex
	posts   []transport.Op[int]
	started chan struct{}
	done    chan struct{}
}

func (x *lockingExtern) Read(context.Context) (int, error)     { panic("not used") }
func (x *lockingExtern) Write(context.Context, int) error      { panic("not used") }
func (x *lockingExtern) TryRead() (int, bool, error)           { return 0, false, nil }
func (x *lockingExtern) TryWrite(int) (bool, error)            { return false, nil }
func (x *lockingExtern) Probe() func() bool                    { return func() bool { return false } }
func (x *lockingExtern) PostWrite(op transport.Op[int], v int) { panic("not used") }
func (x *lockingExtern) Poison(bool)                           {}
func (x *lockingExtern) Retire()                               {}
func (x *lockingExtern) Poll() error                           { x.mu.Lock(); defer x.mu.Unlock(); return nil }
func (x *lockingExtern) Withdraw(op transport.Op[int])         { x.mu.Lock(); defer x.mu.Unlock() }
func (x *lockingExtern) deliver(op transport.Op[int], v int) {
	defer close(x.done)
	x.deliverLocked(op, v)
}
func (x *lockingExtern) deliverLocked(op transport.Op[int], v int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	close(x.started)
	if ok, _ := op.Hold(); ok {
		op.Deliver(v)
	}
}

func (x *lockingExtern) Post(op transport.Op[int]) {
	x.mu.Lock()
	x.posts = append(x.posts, op)
	first := len(x.posts) == 1
	x.mu.Unlock()
	if first {
		go x.deliver(op, 42)
		<-x.started
	}
}

// TestExternOpsDoNotTakeTheChannelLock: a transport fires a parked selection's remote guard while
// the selection, holding the channel's lock, posts its next guard on the same end. The transport
// holds its own lock while it fires (it must, so that a Withdraw cannot come between), and Post
// takes it: had firing taken the channel's lock (to count the message), the two would wait for
// each other for ever.
func TestExternOpsDoNotTakeTheChannelLock(t *testing.T) {
	x := &lockingExtern{started: make(chan struct{}), done: make(chan struct{})}
	c := NewChan[int](Named("remote"))
	c.Transport(transport.Door()).SetExtern(x)
	r := c.Reader()
	g := Recv(r)
	alt := NewAlt(g, Recv(r))
	type result struct {
		i   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		i, err := alt.PriSelect()
		res <- result{i, err}
	}()
	select {
	case got := <-res:
		if got.err != nil || got.i != 0 || g.Value() != 42 {
			t.Fatalf("selection: guard %d, value %d, err %v; want guard 0, value 42", got.i, g.Value(), got.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the selection and the transport wait for each other")
	}
	<-x.done
	if got := c.Stats().Messages; got != 1 {
		t.Fatalf("channel counts %d messages, want 1", got)
	}
}
