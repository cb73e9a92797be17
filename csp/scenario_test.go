package csp

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// The scenarios follow PyCSP's test suite: networks of writers and readers, plain and alting, that
// must deliver every value exactly once and end by themselves when the writers finish (the
// writers' ends retire, which retires the channels, which ends the readers).

// writer writes val(id, 0..n-1) on w, then returns nil, which retires w.
func writer(id, n int, d delay, w *Writer[int]) *Process {
	return Proc(fmt.Sprintf("writer-%d", id), func(context.Context) error {
		rng := newRand(uint64(id))
		for seq := range n {
			d.pause(rng)
			if err := w.Write(val(id, seq)); err != nil {
				return fmt.Errorf("writer %d: unexpected %v", id, err)
			}
		}
		return nil
	}, w)
}

// reader reads from r until the channel retires, collecting into *got, and then returns nil, so
// that its end retires too (returning ErrRetired would poison the channel, and a reader's poison
// discards a buffer that another reader may still be draining). Anything else is a failure.
func reader(id int, d delay, r *Reader[int], got *[]int) *Process {
	return Proc(fmt.Sprintf("reader-%d", id), func(context.Context) error {
		rng := newRand(uint64(1000 + id))
		for {
			d.pause(rng)
			v, err := r.Read()
			if err != nil {
				if !errors.Is(err, ErrRetired) {
					return fmt.Errorf("reader %d: unexpected %v", id, err)
				}
				return nil
			}
			*got = append(*got, v)
		}
	}, r)
}

// selectBy picks the kind of selection a process uses from its index, so that every kind is used.
func selectBy(a *Alt, ctx context.Context, k int) (int, error) {
	switch k % 3 {
	case 0:
		return a.SelectContext(ctx)
	case 1:
		return a.PriSelectContext(ctx)
	}
	return a.FairSelectContext(ctx)
}

// altReader alts over Recv guards on rs until every channel has retired: a guard whose channel
// retired is disabled, and when none is left the selection fails with ErrNoGuard and it returns nil.
func altReader(id int, d delay, rs []*Reader[int], got *[]int) *Process {
	guards := make([]Guard, len(rs))
	ends := make([]End, len(rs))
	for i, r := range rs {
		guards[i] = Recv(r).Do(func(v int) { *got = append(*got, v) })
		ends[i] = r
	}
	alt := NewAlt(guards...)
	return Proc(fmt.Sprintf("alt-reader-%d", id), func(ctx context.Context) error {
		rng := newRand(uint64(2000 + id))
		for {
			d.pause(rng)
			i, err := selectBy(alt, ctx, id)
			switch {
			case err == nil:
			case errors.Is(err, ErrNoGuard):
				return nil
			case errors.Is(err, ErrRetired):
				if i < 0 || i >= len(guards) {
					return fmt.Errorf("alt reader %d: retired guard with index %d", id, i)
				}
				guards[i].(*RecvGuard[int]).When(false)
			default:
				return fmt.Errorf("alt reader %d: unexpected %v", id, err)
			}
		}
	}, ends...)
}

// altWriter offers val(id, seq) on every one of ws at once, n times; each selection delivers the
// value on exactly one channel.
func altWriter(id, n int, d delay, ws []*Writer[int]) *Process {
	guards := make([]*SendGuard[int], len(ws))
	gs := make([]Guard, len(ws))
	ends := make([]End, len(ws))
	for i, w := range ws {
		guards[i] = Send(w, 0)
		gs[i], ends[i] = guards[i], w
	}
	alt := NewAlt(gs...)
	return Proc(fmt.Sprintf("alt-writer-%d", id), func(ctx context.Context) error {
		rng := newRand(uint64(3000 + id))
		for seq := range n {
			d.pause(rng)
			for _, g := range guards {
				g.Set(val(id, seq))
			}
			i, err := selectBy(alt, ctx, id+1)
			if err != nil {
				return fmt.Errorf("alt writer %d: unexpected %v", id, err)
			}
			if i < 0 || i >= len(guards) {
				return fmt.Errorf("alt writer %d: fired guard %d", id, i)
			}
		}
		return nil
	}, ends...)
}

// network is a scenario's shape: channels, plain and alting writers and readers.
type network struct {
	chans      int // channels
	buffer     int // each channel's buffer
	writers    int // plain writers, spread over the channels
	altWriters int // alting writers, each on every channel
	readers    int // plain readers, spread over the channels
	altReaders int // alting readers, each on every channel
	perWriter  int
	ordered    bool // each reader sees each writer's values in order
}

// run builds and runs the network under pacing d and checks what it delivered.
func (n network) run(t *testing.T, dw, dr delay) {
	t.Helper()
	chans := make([]*Chan[int], n.chans)
	for i := range chans {
		chans[i] = NewChan[int](Named(fmt.Sprintf("c%d", i)), Buffered(n.buffer))
	}
	var procs []*Process
	id := 0
	for i := range n.writers {
		procs = append(procs, writer(id, n.perWriter, dw, chans[i%n.chans].Writer()))
		id++
	}
	for range n.altWriters {
		ws := make([]*Writer[int], n.chans)
		for c := range ws {
			ws[c] = chans[c].Writer()
		}
		procs = append(procs, altWriter(id, n.perWriter, dw, ws))
		id++
	}
	got := make([][]int, n.readers+n.altReaders)
	for i := range n.readers {
		procs = append(procs, reader(i, dr, chans[i%n.chans].Reader(), &got[i]))
	}
	for i := range n.altReaders {
		rs := make([]*Reader[int], n.chans)
		for c := range rs {
			rs[c] = chans[c].Reader()
		}
		procs = append(procs, altReader(i, dr, rs, &got[n.readers+i]))
	}
	if err := Parallel(procs...); err != nil {
		t.Fatal(err)
	}
	checkDelivery(t, id, n.perWriter, got, n.ordered)
	var msgs uint64
	for _, c := range chans {
		st := c.Stats()
		if st.Len != 0 || st.Poisoned {
			t.Errorf("channel %s ended with %+v", c.Name(), st)
		}
		msgs += st.Messages
	}
	if want := uint64(id * n.perWriter); msgs != want {
		t.Errorf("channels counted %d messages, want %d", msgs, want)
	}
}

func runScenarios(t *testing.T, nets map[string]network) {
	for _, dm := range delayModes {
		t.Run(fmt.Sprintf("w=%v,r=%v", dm.w, dm.r), func(t *testing.T) {
			for name, n := range nets {
				t.Run(name, func(t *testing.T) {
					t.Parallel() // most of the time goes in sleeps
					if dm.w != noDelay || dm.r != noDelay {
						n.perWriter = max(1, n.perWriter/4) // sleeps are slow; fewer values suffice
					}
					n.run(t, dm.w, dm.r)
				})
			}
		})
	}
}

func TestOneToOne(t *testing.T) {
	runScenarios(t, map[string]network{
		"rendezvous": {chans: 1, writers: 1, readers: 1, perWriter: scaled(1000), ordered: true},
	})
}

func TestAnyToOneAlting(t *testing.T) {
	runScenarios(t, map[string]network{
		// one alting reader over three channels, two writers on each
		"alt-reader": {chans: 3, writers: 6, altReaders: 1, perWriter: scaled(200), ordered: true},
		// several writers on one channel, one plain reader
		"one-chan": {chans: 1, writers: 5, readers: 1, perWriter: scaled(200), ordered: true},
	})
}

func TestAnyToAny(t *testing.T) {
	runScenarios(t, map[string]network{
		"plain":        {chans: 1, writers: 4, readers: 4, perWriter: scaled(200), ordered: true},
		"alt-readers":  {chans: 2, writers: 4, readers: 2, altReaders: 2, perWriter: scaled(200), ordered: true},
		"alt-writers":  {chans: 2, altWriters: 3, writers: 2, readers: 4, perWriter: scaled(200), ordered: true},
		"alt-vs-plain": {chans: 3, altWriters: 2, readers: 3, perWriter: scaled(200), ordered: true},
	})
}

// Alting writers against alting readers on shared channels: both sides of every channel alt, so a
// rendezvous is made between two parked selections. Exactly one guard fires on each side and
// every value is delivered once.
func TestAltWritersAltReaders(t *testing.T) {
	runScenarios(t, map[string]network{
		"1x1-1chan":   {chans: 1, altWriters: 1, altReaders: 1, perWriter: scaled(500), ordered: true},
		"3x3-2chans":  {chans: 2, altWriters: 3, altReaders: 3, perWriter: scaled(200), ordered: true},
		"5x4-4chans":  {chans: 4, altWriters: 5, altReaders: 4, perWriter: scaled(200), ordered: true},
		"mixed-sides": {chans: 3, altWriters: 3, writers: 3, altReaders: 3, readers: 3, perWriter: scaled(150), ordered: true},
	})
}

func TestBuffered(t *testing.T) {
	nets := map[string]network{}
	for _, size := range []int{1, 5, 10, 20} {
		// A single channel is FIFO: one writer and one reader see the order, and so does every
		// (writer, reader) pair with many of each.
		nets[fmt.Sprintf("size%d-1x1", size)] = network{chans: 1, buffer: size, writers: 1, readers: 1, perWriter: scaled(1000), ordered: true}
		nets[fmt.Sprintf("size%d-4x4", size)] = network{chans: 1, buffer: size, writers: 4, readers: 4, perWriter: scaled(200), ordered: true}
		// Across several buffered channels an alting reader may take a later value first: no order.
		nets[fmt.Sprintf("size%d-alt", size)] = network{chans: 3, buffer: size, altWriters: 3, writers: 3, altReaders: 2, readers: 2, perWriter: scaled(150)}
	}
	runScenarios(t, nets)
}
