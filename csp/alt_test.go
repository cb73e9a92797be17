package csp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

var selectModes = []struct {
	name string
	sel  func(*Alt, context.Context) (int, error)
}{
	{"Select", (*Alt).SelectContext},
	{"PriSelect", (*Alt).PriSelectContext},
	{"FairSelect", (*Alt).FairSelectContext},
}

// Exactly one guard fires: of several output guards, each with a reader waiting (or arriving), one
// value is delivered and the losing offers are withdrawn. Mixed with an input guard whose writer
// waits, either the output or the input happens, never both.
func TestAltExactlyOneFires(t *testing.T) {
	const k = 4
	for _, m := range selectModes {
		t.Run(m.name, func(t *testing.T) {
			for round := range scaled(150) {
				outs := make([]*Chan[int], k)
				guards := make([]Guard, 0, k+1)
				readers := make([]<-chan struct{}, k)
				rvals := make([]int, k)
				rerrs := make([]error, k)
				for i := range outs {
					outs[i] = NewChan[int]()
					guards = append(guards, Send(outs[i].Writer(), 100+i))
				}
				in := NewChan[int]()
				guards = append(guards, Recv(in.Reader()))
				inw := in.Writer()
				start := func() {
					for i := range outs {
						r := outs[i].Reader()
						readers[i] = goDone(func() { rvals[i], rerrs[i] = r.Read() })
					}
				}
				var werr error
				var wdone <-chan struct{}
				alt := NewAlt(guards...)
				var fired int
				var err error
				if round%2 == 0 { // peers first: the selection finds several ready guards
					start()
					wdone = goDone(func() { werr = inw.Write(7) })
					time.Sleep(time.Millisecond)
					fired, err = m.sel(alt, context.Background())
				} else { // selection first: it parks, and the peers race to complete it
					sdone := goDone(func() { fired, err = m.sel(alt, context.Background()) })
					start()
					wdone = goDone(func() { werr = inw.Write(7) })
					finishes(t, sdone, "selection")
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range outs {
					c.Poison()
				}
				in.Poison()
				delivered := 0
				for i := range outs {
					finishes(t, readers[i], "reader")
					if rerrs[i] == nil {
						delivered++
						if fired != i || rvals[i] != 100+i {
							t.Fatalf("round %d: guard %d fired, but reader %d got %d", round, fired, i, rvals[i])
						}
					} else {
						wantErr(t, rerrs[i], ErrPoisoned, "losing reader")
					}
				}
				finishes(t, wdone, "writer")
				if werr == nil {
					delivered++
					if fired != k || guards[k].(*RecvGuard[int]).Value() != 7 {
						t.Fatalf("round %d: guard %d fired, but the input guard's writer completed", round, fired)
					}
				}
				if delivered != 1 {
					t.Fatalf("round %d: %d guards completed (fired %d)", round, delivered, fired)
				}
			}
		})
	}
}

// An offer that lost is withdrawn: a reader arriving later on that channel gets a later writer's
// value, not the stale one.
func TestAltLosingOfferWithdrawn(t *testing.T) {
	x, y := NewChan[string](), NewChan[string]()
	xw, yr := x.Writer(), y.Reader()
	alt := NewAlt(Send(xw, "stale"), Recv(yr))
	var fired int
	var err error
	done := goDone(func() { fired, err = alt.Select() })
	stillBlocked(t, done, "selection")
	if err := y.Writer().Write("y"); err != nil {
		t.Fatal(err)
	}
	finishes(t, done, "selection")
	if err != nil || fired != 1 {
		t.Fatalf("fired %d, %v", fired, err)
	}
	xr, xw2 := x.Reader(), x.Writer()
	go xw2.Write("fresh")
	if v, err := xr.Read(); v != "fresh" || err != nil {
		t.Fatalf("read %q, %v: the losing offer was not withdrawn", v, err)
	}
}

// A selection that times out (or is cancelled) while a peer arrives loses nothing: every value a
// writer's Write completed reaches the alting reader, and an alting writer's offer that timed out
// was not delivered.
func TestAltTimeoutRaceLosesNothing(t *testing.T) {
	n := scaled(1500)
	t.Run("input", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		go func() {
			for i := range n {
				w.Write(i)
			}
			w.Retire()
		}()
		g, tg := Recv(r), Timeout(0)
		alt := NewAlt(g, tg)
		rng := newRand(4)
		var got []int
		for {
			tg.Set(time.Duration(rng.IntN(20)) * time.Microsecond)
			i, err := alt.PriSelect()
			if err != nil {
				wantErr(t, err, ErrRetired, "selection")
				break
			}
			if i == 0 {
				got = append(got, g.Value())
			}
		}
		if len(got) != n || !slices.IsSorted(got) || got[n-1] != n-1 {
			t.Fatalf("received %d of %d", len(got), n)
		}
	})
	t.Run("output", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		done := goDone(func() {
			g, tg := Send(w, 0), Timeout(0)
			alt := NewAlt(g, tg)
			rng := newRand(5)
			for i := 0; i < n; {
				tg.Set(time.Duration(rng.IntN(20)) * time.Microsecond)
				g.Set(i)
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(40))*time.Microsecond)
				k, err := alt.SelectContext(ctx)
				cancel()
				if err == nil && k == 0 {
					i++
				}
			}
			w.Retire()
		})
		rng := newRand(6)
		var got []int
		for {
			if rng.IntN(3) == 0 {
				time.Sleep(time.Duration(rng.IntN(30)) * time.Microsecond)
			}
			v, err := r.Read()
			if err != nil {
				break
			}
			got = append(got, v)
		}
		finishes(t, done, "alting writer")
		for i, v := range got {
			if v != i {
				t.Fatalf("value %d at position %d: an offer that timed out was delivered", v, i)
			}
		}
		if len(got) != n {
			t.Fatalf("received %d of %d", len(got), n)
		}
	})
}

// fullChans makes n buffered channels of size 1, each holding its index.
func fullChans(t *testing.T, n int) ([]*Writer[int], []Guard) {
	ws := make([]*Writer[int], n)
	gs := make([]Guard, n)
	for i := range n {
		c := NewChan[int](Buffered(1))
		ws[i], gs[i] = c.Writer(), Recv(c.Reader())
		if err := ws[i].Write(i); err != nil {
			t.Fatal(err)
		}
	}
	return ws, gs
}

func TestPriSelectTakesFirstReady(t *testing.T) {
	ws, gs := fullChans(t, 4)
	alt := NewAlt(append(gs, Skip())...)
	for range 500 {
		i, err := alt.PriSelect()
		if err != nil || i != 0 {
			t.Fatalf("fired %d, %v; want guard 0", i, err)
		}
		ws[0].Write(0)
	}
	gs[0].(*RecvGuard[int]).When(false)
	if i, _ := alt.PriSelect(); i != 1 {
		t.Fatalf("with guard 0 disabled, fired %d", i)
	}
	gs[0].(*RecvGuard[int]).When(true)
}

// FairSelect over guards that are all ready each time gives them exactly round-robin turns.
func TestFairSelectRoundRobin(t *testing.T) {
	const n = 5
	ws, gs := fullChans(t, n)
	alt := NewAlt(gs...)
	counts := make([]int, n)
	rounds := 200
	for s := range rounds * n {
		i, err := alt.FairSelect()
		if err != nil {
			t.Fatal(err)
		}
		if i != s%n {
			t.Fatalf("selection %d fired guard %d, want %d (round robin)", s, i, s%n)
		}
		if v := gs[i].(*RecvGuard[int]).Value(); v != i {
			t.Fatalf("guard %d received %d", i, v)
		}
		counts[i]++
		ws[i].Write(i)
	}
	for i, c := range counts {
		if c != rounds {
			t.Fatalf("guard %d fired %d times of %d", i, c, rounds*n)
		}
	}
	skips := make([]Guard, n)
	for i := range skips {
		skips[i] = Skip()
	}
	sa := NewAlt(skips...)
	for s := range 3 * n {
		if i, _ := sa.FairSelect(); i != s%n {
			t.Fatalf("skip %d fired at selection %d", i, s)
		}
	}
}

// Select chooses among ready guards arbitrarily: over many selections, each gets a share.
func TestSelectSpreads(t *testing.T) {
	const n = 4
	ws, gs := fullChans(t, n)
	alt := NewAlt(gs...)
	counts := make([]int, n)
	const total = 4000
	for range total {
		i, err := alt.Select()
		if err != nil {
			t.Fatal(err)
		}
		counts[i]++
		ws[i].Write(i)
	}
	for i, c := range counts {
		if c < total/n/2 { // expected 1000 each; far below means a bias, not chance
			t.Fatalf("guard %d fired %d of %d times: %v", i, c, total, counts)
		}
	}
}

func TestTimeoutGuard(t *testing.T) {
	c := NewChan[int]()
	r, w := c.Reader(), c.Writer()
	fired := false
	tg := Timeout(30 * time.Millisecond).Do(func() { fired = true })
	alt := NewAlt(Recv(r), Timeout(time.Hour), tg)
	start := time.Now()
	i, err := alt.Select()
	if el := time.Since(start); err != nil || i != 2 || !fired || el < 30*time.Millisecond {
		t.Fatalf("fired %d after %v, %v (action ran: %v)", i, el, err, fired)
	}
	// A peer wins before the timer; the timer must not then cut the next selection short.
	// On a loaded machine the timer may still win a round (legal); then the write is drained and
	// the round tried again, so the check below always follows a selection the input won.
	for won := false; !won; {
		go func() { time.Sleep(5 * time.Millisecond); w.Write(1) }()
		i, err := alt.Select()
		switch {
		case err != nil || (i != 0 && i != 2):
			t.Fatalf("fired %d, %v; want the input (or, under load, the timeout)", i, err)
		case i == 2:
			if _, err := r.Read(); err != nil {
				t.Fatal(err)
			}
		default:
			won = true
		}
	}
	start = time.Now()
	if i, _ := alt.Select(); i != 2 || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("fired %d after %v: stale timer?", i, time.Since(start))
	}
	// A zero timeout with nothing ready fires at once; with a ready guard the guard wins under PriSelect.
	tg.Set(0)
	if i, _ := alt.PriSelect(); i != 2 {
		t.Fatalf("zero timeout: fired %d", i)
	}
	go w.Write(2)
	time.Sleep(5 * time.Millisecond)
	if i, _ := alt.PriSelect(); i != 0 {
		t.Fatalf("zero timeout with a writer waiting: fired %d", i)
	}
}

func TestSkipUnderPriSelect(t *testing.T) {
	c := NewChan[int](Buffered(1))
	r, w := c.Reader(), c.Writer()
	ran := 0
	alt := NewAlt(Recv(r), Skip().Do(func() { ran++ }))
	for range 10 {
		if i, err := alt.PriSelect(); i != 1 || err != nil {
			t.Fatalf("nothing ready: fired %d, %v", i, err)
		}
		w.Write(1)
		if i, err := alt.PriSelect(); i != 0 || err != nil {
			t.Fatalf("input ready: fired %d, %v", i, err)
		}
	}
	if ran != 10 {
		t.Fatalf("Skip's action ran %d times", ran)
	}
}

func TestPreconditions(t *testing.T) {
	c := NewChan[int](Buffered(1))
	r, w := c.Reader(), c.Writer()
	w.Write(5)
	g := Recv(r).When(false)
	sk := Skip()
	alt := NewAlt(g, sk)
	for _, m := range selectModes {
		if i, err := m.sel(alt, context.Background()); i != 1 || err != nil {
			t.Fatalf("%s: a disabled ready guard: fired %d, %v", m.name, i, err)
		}
	}
	// All disabled, and nothing to fall back on: an error at once, not a hang.
	sk.When(false)
	tg := Timeout(time.Millisecond).When(false)
	alt = NewAlt(g, sk, tg, Send(c.Writer(), 1).When(false))
	for _, m := range selectModes {
		i, err := m.sel(alt, context.Background())
		wantErr(t, err, ErrNoGuard, m.name)
		if i != -1 {
			t.Fatalf("ErrNoGuard with index %d", i)
		}
	}
	_, err := Select()
	wantErr(t, err, ErrNoGuard, "Select()")
	// A disabled guard on a poisoned channel does not end the selection.
	c.Poison()
	sk.When(true)
	if i, err := alt.PriSelect(); i != 1 || err != nil {
		t.Fatalf("fired %d, %v", i, err)
	}
	g.When(true)
	if i, err := alt.PriSelect(); i != 0 || err != nil || g.Value() != 5 {
		t.Fatalf("re-enabled: fired %d, %v, value %d", i, err, g.Value())
	}
}

// A poisoned or retired channel in an enabled guard ends the selection with its index and the
// error, whether found at once or while parked.
func TestAltGuardErrors(t *testing.T) {
	for _, m := range selectModes {
		for _, parked := range []bool{false, true} {
			for _, how := range []string{"poison", "writers-retire", "readers-retire"} {
				t.Run(fmt.Sprintf("%s/parked=%v/%s", m.name, parked, how), func(t *testing.T) {
					idle, bad := NewChan[int](Named("idle")), NewChan[int](Named("bad"))
					var g Guard
					var end func()
					want := ErrRetired
					switch how {
					case "poison":
						g, end, want = Recv(bad.Reader()), bad.Poison, ErrPoisoned
					case "writers-retire":
						g, end = Recv(bad.Reader()), bad.Writer().Retire
					case "readers-retire":
						g, end = Send(bad.Writer(), 1), bad.Reader().Retire
					}
					idle.Writer()
					alt := NewAlt(Recv(idle.Reader()), g)
					if !parked {
						end()
					}
					var i int
					var err error
					done := goDone(func() { i, err = m.sel(alt, context.Background()) })
					if parked {
						stillBlocked(t, done, "selection")
						end()
					}
					finishes(t, done, "selection")
					wantErr(t, err, want, "selection")
					var oe *OpError
					if i != 1 || !errors.As(err, &oe) || oe.Chan != "bad" {
						t.Fatalf("index %d, error %v", i, err)
					}
				})
			}
		}
	}
}

func TestSelectContextCancel(t *testing.T) {
	c := NewChan[int]()
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	done := goDone(func() { _, err = SelectContext(ctx, Recv(c.Reader())) })
	stillBlocked(t, done, "SelectContext")
	cancel()
	finishes(t, done, "SelectContext")
	wantErr(t, err, context.Canceled, "SelectContext")
}
