package csp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// goDone runs f in a goroutine and returns a channel closed when f returns.
func goDone(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	return done
}

// stillBlocked fails the test if done closes within a short while.
func stillBlocked(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
		t.Fatalf("%s returned, but should still be blocked", what)
	case <-time.After(20 * time.Millisecond):
	}
}

// finishes fails the test if done does not close in good time.
func finishes(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// Producers end by poisoning, by retiring, or some of each, while consumers (plain and alting) race
// them. Every process must end, and every value whose Write returned nil must have been received
// exactly once: poison never loses a value that was handed over, nor (from a writer) one that was
// buffered.
func TestTerminationRaces(t *testing.T) {
	const producers, consumers = 5, 4
	for _, buffer := range []int{0, 4} {
		for _, ending := range []string{"poison", "retire", "mixed"} {
			for _, dm := range delayModes {
				name := fmt.Sprintf("buf%d/%s/w=%v,r=%v", buffer, ending, dm.w, dm.r)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					n := scaled(100)
					if dm.w != noDelay || dm.r != noDelay {
						n /= 4
					}
					c := NewChan[int](Named("c"), Buffered(buffer))
					written := make([][]int, producers)
					got := make([][]int, consumers)
					var procs []*Process
					for p := range producers {
						w := c.Writer()
						poison := ending == "poison" || (ending == "mixed" && p%2 == 0)
						procs = append(procs, Proc(fmt.Sprintf("producer-%d", p), func(context.Context) error {
							rng := newRand(uint64(p))
							// Producers stop at different times, so some end while others write.
							for seq := range n * (p + 1) / producers {
								dm.w.pause(rng)
								if err := w.Write(val(p, seq)); err != nil {
									if !errors.Is(err, ErrPoisoned) {
										return fmt.Errorf("producer %d: %v", p, err)
									}
									return err
								}
								written[p] = append(written[p], val(p, seq))
							}
							if poison {
								w.Poison()
							}
							return nil
						}, w))
					}
					for k := range consumers {
						r := c.Reader()
						alt := NewAlt(Recv(r).Do(func(v int) { got[k] = append(got[k], v) }))
						procs = append(procs, Proc(fmt.Sprintf("consumer-%d", k), func(ctx context.Context) error {
							rng := newRand(uint64(100 + k))
							for {
								dm.r.pause(rng)
								var err error
								if k%2 == 0 {
									var v int
									if v, err = r.Read(); err == nil {
										got[k] = append(got[k], v)
									}
								} else {
									_, err = alt.SelectContext(ctx)
								}
								if err != nil {
									return err // poison or retirement: a normal ending
								}
							}
						}, r))
					}
					done := goDone(func() {
						if err := Parallel(procs...); err != nil {
							t.Error(err)
						}
					})
					finishes(t, done, "Parallel")
					var want, all []int
					for _, ws := range written {
						want = append(want, ws...)
					}
					for _, vs := range got {
						all = append(all, vs...)
					}
					slices.Sort(want)
					slices.Sort(all)
					if !slices.Equal(want, all) {
						t.Fatalf("%d values written, %d received; they differ", len(want), len(all))
					}
				})
			}
		}
	}
}

// A value taken by a reader before the writer poisons is the reader's: the read succeeds, and the
// writer's Write returned nil. Both orders, with a plain and an alting reader.
func TestPoisonAfterHandOverLosesNothing(t *testing.T) {
	for i := range scaled(300) {
		c := NewChan[int]()
		w, r := c.Writer(), c.Reader()
		var got int
		var rerr error
		done := goDone(func() {
			if i%2 == 0 {
				got, rerr = r.Read()
			} else {
				g := Recv(r)
				_, rerr = Select(g)
				got = g.Value()
			}
		})
		werr := w.Write(42)
		w.Poison()
		finishes(t, done, "Read")
		if werr != nil || rerr != nil || got != 42 {
			t.Fatalf("round %d: write %v, read %d, %v", i, werr, got, rerr)
		}
		// The reader takes the value and poisons at once: the writer's Write still succeeded.
		c = NewChan[int]()
		w, r = c.Writer(), c.Reader()
		done = goDone(func() { werr = w.Write(7) })
		v, err := r.Read()
		r.Poison()
		finishes(t, done, "Write")
		if err != nil || v != 7 || werr != nil {
			t.Fatalf("round %d: read %d, %v; write %v", i, v, err, werr)
		}
	}
}

func TestWriterPoisonDrainsBuffer(t *testing.T) {
	c := NewChan[int](Named("buf"), Buffered(5))
	w, w2, r := c.Writer(), c.Writer(), c.Reader()
	for i := range 3 {
		if err := w.Write(i); err != nil {
			t.Fatal(err)
		}
	}
	w.Poison()
	wantErr(t, w2.Write(9), ErrPoisoned, "write after poison")
	for i := range 3 {
		if v, err := r.Read(); err != nil || v != i {
			t.Fatalf("read %d: %d, %v", i, v, err)
		}
	}
	_, err := r.Read()
	wantErr(t, err, ErrPoisoned, "read of the drained buffer")
	_, err = r.Read()
	wantErr(t, err, ErrPoisoned, "second read")
}

func TestReaderPoisonDiscardsBuffer(t *testing.T) {
	c := NewChan[int](Buffered(5))
	w, r, r2 := c.Writer(), c.Reader(), c.Reader()
	for i := range 3 {
		if err := w.Write(i); err != nil {
			t.Fatal(err)
		}
	}
	r.Poison()
	if st := c.Stats(); st.Len != 0 || !st.Poisoned {
		t.Fatalf("after a reader's poison: %+v", st)
	}
	_, err := r2.Read()
	wantErr(t, err, ErrPoisoned, "read after a reader's poison")
	wantErr(t, w.Write(1), ErrPoisoned, "write after a reader's poison")
}

// Chan.Poison acts as a writer's poison: blocked readers and writers wake with ErrPoisoned, and what
// is buffered can still be read.
func TestChanPoison(t *testing.T) {
	rv := NewChan[int]()
	r, w := rv.Reader(), rv.Writer()
	var rerr error
	done := goDone(func() { _, rerr = r.Read() })
	stillBlocked(t, done, "Read")
	rv.Poison()
	finishes(t, done, "Read")
	wantErr(t, rerr, ErrPoisoned, "blocked read")
	wantErr(t, w.Write(1), ErrPoisoned, "write")

	b := NewChan[int](Buffered(1))
	br, bw := b.Reader(), b.Writer()
	if err := bw.Write(1); err != nil {
		t.Fatal(err)
	}
	var werr error
	done = goDone(func() { werr = bw.Write(2) }) // the buffer is full: blocks
	stillBlocked(t, done, "Write on a full buffer")
	b.Poison()
	finishes(t, done, "Write")
	wantErr(t, werr, ErrPoisoned, "blocked write")
	if v, err := br.Read(); err != nil || v != 1 {
		t.Fatalf("buffered value after Chan.Poison: %d, %v", v, err)
	}
	_, err := br.Read()
	wantErr(t, err, ErrPoisoned, "read after drain")
}

func TestRetiredEndRefuses(t *testing.T) {
	c := NewChan[int](Buffered(2))
	r, r2, w, w2 := c.Reader(), c.Reader(), c.Writer(), c.Writer()
	if err := w.Write(1); err != nil {
		t.Fatal(err)
	}
	r.Retire()
	_, err := r.Read()
	wantErr(t, err, ErrRetired, "read on a retired end, with a value buffered")
	_, err = Select(Recv(r))
	wantErr(t, err, ErrRetired, "Recv guard on a retired end")
	w.Retire()
	wantErr(t, w.Write(2), ErrRetired, "write on a retired end")
	_, err = Select(Send(w, 2))
	wantErr(t, err, ErrRetired, "Send guard on a retired end")
	// The other ends are unaffected.
	if err := w2.Write(3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{1, 3} {
		if v, err := r2.Read(); err != nil || v != want {
			t.Fatalf("read %d, %v; want %d", v, err, want)
		}
	}
}

// When every reader end has retired, writers get ErrRetired, those already blocked included, on a
// rendezvous channel and on a full buffer. A reader joined afterwards does not revive the channel.
func TestAllReadersRetired(t *testing.T) {
	for _, size := range []int{0, 2} {
		c := NewChan[int](Buffered(size))
		r1, r2, w := c.Reader(), c.Reader(), c.Writer()
		for i := range size {
			if err := w.Write(i); err != nil {
				t.Fatal(err)
			}
		}
		var werr error
		done := goDone(func() { werr = w.Write(99) })
		stillBlocked(t, done, "Write")
		r1.Retire()
		stillBlocked(t, done, "Write with one reader left")
		r2.Retire()
		r2.Retire() // idempotent: counts once
		finishes(t, done, "Write")
		wantErr(t, werr, ErrRetired, "blocked write")
		wantErr(t, w.Write(1), ErrRetired, "later write")
		_, err := Select(Send(w, 1))
		wantErr(t, err, ErrRetired, "Send guard")
		_ = c.Reader()
		wantErr(t, w.Write(1), ErrRetired, "write after a late reader joined")
		if st := c.Stats(); st.Readers != 3 || st.ReadersRetired != 2 {
			t.Fatalf("stats %+v", st)
		}
	}
}

// When every writer end has retired, readers get ErrRetired, but only once the buffer is empty; a
// reader blocked on an empty channel is woken with it.
func TestAllWritersRetired(t *testing.T) {
	c := NewChan[int](Buffered(3))
	r, w1, w2 := c.Reader(), c.Writer(), c.Writer()
	w1.Write(1)
	w2.Write(2)
	w1.Retire()
	w2.Retire()
	for _, want := range []int{1, 2} {
		if v, err := r.Read(); err != nil || v != want {
			t.Fatalf("read %d, %v; want %d", v, err, want)
		}
	}
	_, err := r.Read()
	wantErr(t, err, ErrRetired, "read of the empty buffer")

	rv := NewChan[int]()
	r1, r2, w := rv.Reader(), rv.Reader(), rv.Writer()
	var e1, e2 error
	d1 := goDone(func() { _, e1 = r1.Read() })
	d2 := goDone(func() { _, e2 = Select(Recv(r2)) })
	stillBlocked(t, d1, "Read")
	w.Retire()
	finishes(t, d1, "Read")
	finishes(t, d2, "Select")
	wantErr(t, e1, ErrRetired, "blocked read")
	wantErr(t, e2, ErrRetired, "blocked selection")
}

// Poison and Retire never block and may be called any number of times, from many goroutines, while
// operations are blocked on the channel.
func TestPoisonIdempotentNeverBlocks(t *testing.T) {
	c := NewChan[int](Buffered(1))
	r, w := c.Reader(), c.Writer()
	w.Write(0)
	var wg sync.WaitGroup
	var errs [4]error
	blockedW := goDone(func() { errs[0] = w.Write(1) })
	stillBlocked(t, blockedW, "Write")
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c.Poison()
				w.Poison()
				r.Poison()
			}
		}()
	}
	finishes(t, goDone(wg.Wait), "Poison")
	finishes(t, blockedW, "Write")
	wantErr(t, errs[0], ErrPoisoned, "blocked write")
	if st := c.Stats(); !st.Poisoned || st.Len != 0 {
		t.Fatalf("stats %+v", st)
	}

	// Retire is idempotent too: an end counts once however often it retires.
	d := NewChan[int](Buffered(1))
	dr1, dr2, dw := d.Reader(), d.Reader(), d.Writer()
	for range 5 {
		dr1.Retire()
	}
	if err := dw.Write(5); err != nil {
		t.Fatalf("write with one reader left: %v", err)
	}
	if v, err := dr2.Read(); err != nil || v != 5 {
		t.Fatalf("read %d, %v", v, err)
	}
}

// Errors wrap the sentinels (errors.Is) and name the channel and the operation.
func TestErrorsNameChannel(t *testing.T) {
	c := NewChan[int](Named("pipe-7"))
	r, w := c.Reader(), c.Writer()
	c.Poison()
	_, rerr := r.Read()
	werr := w.Write(1)
	_, serr := Select(Recv(r))
	for _, tc := range []struct {
		err error
		op  string
	}{{rerr, "read"}, {werr, "write"}, {serr, "select"}} {
		wantErr(t, tc.err, ErrPoisoned, tc.op)
		if errors.Is(tc.err, ErrRetired) {
			t.Fatalf("%s: %v is ErrRetired too", tc.op, tc.err)
		}
		var oe *OpError
		if !errors.As(tc.err, &oe) || oe.Op != tc.op || oe.Chan != "pipe-7" {
			t.Fatalf("%s: %#v", tc.op, tc.err)
		}
		if msg := tc.err.Error(); !strings.Contains(msg, "pipe-7") || !strings.Contains(msg, tc.op) {
			t.Fatalf("message %q does not name the channel and operation", msg)
		}
	}
	d := NewChan[string]()
	dr := d.Reader()
	dr.Retire()
	_, err := dr.Read()
	if !errors.Is(err, ErrRetired) || !strings.Contains(err.Error(), "chan@") {
		t.Fatalf("unnamed channel: %v", err)
	}
}

// Retiring an end from another goroutine while its own Read, Write or a selection over it waits
// wakes that operation with ErrRetired: a retired end can no longer send or receive.
func TestRetireWakesOwnBlockedOperation(t *testing.T) {
	c := NewChan[int](Named("c"))
	r, w := c.Reader(), c.Writer()
	var err error
	done := goDone(func() { _, err = r.Read() })
	waitQueued(t, c, "read")
	r.Retire()
	finishes(t, done, "Read on an end retired under it")
	wantErr(t, err, ErrRetired, "Read on an end retired under it")

	c2 := NewChan[int](Named("c2"))
	w2 := c2.Writer()
	c2.Reader()
	done = goDone(func() { err = w2.Write(1) })
	waitQueued(t, c2, "write")
	w2.Retire()
	finishes(t, done, "Write on an end retired under it")
	wantErr(t, err, ErrRetired, "Write on an end retired under it")

	c3, c4 := NewChan[int](Named("c3")), NewChan[int](Named("c4"))
	r3, r4 := c3.Reader(), c4.Reader()
	c3.Writer()
	c4.Writer()
	var i int
	done = goDone(func() { i, err = Select(Recv(r4), Recv(r3)) })
	waitQueued(t, c3, "read")
	r3.Retire()
	finishes(t, done, "a selection over an end retired under it")
	if i != 1 {
		t.Fatalf("the selection fired guard %d, want 1", i)
	}
	wantErr(t, err, ErrRetired, "a selection over an end retired under it")
	if c4.Stats().ReadersRetired != 0 {
		t.Fatal("the other guard's end retired too")
	}
	_ = w
}

// waitQueued waits until an operation of the given kind is queued on c.
func waitQueued[T any](t *testing.T, c *Chan[T], op string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		q := c.recvq.head != nil
		if op == "write" {
			q = c.sendq.head != nil
		}
		c.mu.Unlock()
		if q {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no %s queued on %s", op, c.Name())
}
