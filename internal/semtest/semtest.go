// Package semtest is csp's semantic test suite, run through a channel factory, so that the same
// tests prove local channels (csp's own tests) and remote ends (net's tests, with every end remote
// and with the ends of one channel spread over several nodes) have the same semantics: rendezvous,
// buffers and FIFO, alternation, priority, fairness, Skip and Timeout guards, poison and
// retirement, ownership, and exactly-once delivery under races.
package semtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
)

// Chan is one channel of the suite: its home (the real channel, for Stats and the home's view)
// and a way to join ends of it, each of which may be local or remote as the mode has it.
type Chan struct {
	Home   *csp.Chan[int]
	Reader func() *csp.Reader[int]
	Writer func() *csp.Writer[int]
}

// Mode is one way of making the suite's channels.
type Mode struct {
	Name string
	// Setup prepares one test: it returns the function that makes that test's channels.
	Setup func(t testing.TB) func(opts ...csp.ChanOption) Chan
	// Scale divides the suite's run counts (1 or 0: none), for modes where a run costs round trips.
	Scale int
	// WriteAhead says that a Write may return before the home's buffer has its value (net's
	// credited writers): the home's Stats, read straight after writes, are awaited rather than
	// checked at once. Everything seen through the channel's ends is checked as in every mode.
	WriteAhead bool
}

// Local is the mode of plain local channels.
var Local = Mode{Name: "local", Setup: func(testing.TB) func(...csp.ChanOption) Chan {
	return func(opts ...csp.ChanOption) Chan {
		c := csp.NewChan[int](opts...)
		return Chan{Home: c, Reader: c.Reader, Writer: c.Writer}
	}
}}

// Run runs the whole suite in mode m; each test's name starts with the mode's.
func Run(t *testing.T, m Mode) {
	scale := max(m.Scale, 1)
	for _, tc := range tests {
		t.Run(m.Name+"/"+tc.name, func(t *testing.T) {
			s := &suite{T: t, mode: m.Name, mk: m.Setup(t), scale: scale, ahead: m.WriteAhead}
			tc.f(s)
		})
	}
}

type suite struct {
	*testing.T
	mode  string
	mk    func(opts ...csp.ChanOption) Chan
	scale int
	ahead bool // Mode.WriteAhead
}

// n is a run count, scaled for the mode and by GOCSP_STRESS (default 1), as the packages' own
// stress tests are.
func (s *suite) n(k int) int { return max(k*stress()/s.scale, 1) }

func stress() int {
	if n, err := strconv.Atoi(os.Getenv("GOCSP_STRESS")); err == nil && n > 0 {
		return n
	}
	return 1
}

func (s *suite) fail(format string, args ...any) {
	s.Helper()
	s.Fatalf("[mode %s] "+format, append([]any{s.mode}, args...)...)
}

func (s *suite) check(err error, what string) {
	s.Helper()
	if err != nil {
		s.fail("%s: %v", what, err)
	}
}

func (s *suite) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	s.Cleanup(cancel)
	return ctx
}

func (s *suite) chanOf(name string, buf int) Chan { return s.mk(csp.Named(name), csp.Buffered(buf)) }

var tests = []struct {
	name string
	f    func(s *suite)
}{
	{"rendezvous", testRendezvous},
	{"buffer-fifo-and-bound", testBufferFIFO},
	{"skip-and-timeout", testSkipTimeout},
	{"priority", testPriority},
	{"fairness", testFairness},
	{"poison-by-writer-drains", testWriterPoison},
	{"poison-by-reader-discards", testReaderPoison},
	{"poison-wakes-own-end", testPoisonWakes},
	{"retire", testRetire},
	{"select-sees-poison", testSelectPoison},
	{"select-sees-retirement", testSelectRetired},
	{"select-with-no-guard", testNoGuard},
	{"ownership", testOwnership},
	{"exactly-once-any-to-any", testAnyToAny},
	{"exactly-once-alting", testAlting},
	{"exactly-once-network", testNetwork},
}

func testRendezvous(s *suite) {
	c := s.chanOf("c", 0)
	r, w := c.Reader(), c.Writer()
	for i := range s.n(50) {
		done := make(chan error, 1)
		go func() { done <- w.Write(i) }()
		v, err := r.Read()
		s.check(err, "read")
		s.check(<-done, "write")
		if v != i {
			s.fail("read %d, want %d", v, i)
		}
	}
	if st := c.Home.Stats(); st.Messages != uint64(s.n(50)) || st.Len != 0 {
		s.fail("stats %+v, want %d messages and nothing buffered", st, s.n(50))
	}
}

func testBufferFIFO(s *suite) {
	c := s.chanOf("c", 5)
	r, w := c.Reader(), c.Writer()
	for i := range 5 {
		s.check(w.Write(i), "write into the buffer")
	}
	if s.ahead { // the values may still be on their way to the home
		s.until(func() bool { return c.Home.Stats().Len >= 5 })
	}
	if st := c.Home.Stats(); st.Len != 5 {
		s.fail("Len %d after five writes into a buffer of five", st.Len)
	}
	for i := range 5 {
		v, err := r.Read()
		s.check(err, "read")
		if v != i {
			s.fail("read %d, want %d (FIFO)", v, i)
		}
	}
	// A selection that keeps another guard ready never disturbs the order or the bound.
	other := s.chanOf("other", 1)
	ow := other.Writer()
	k := s.n(200)
	go func() {
		for i := 0; ow.Write(-1) == nil; i++ {
		}
	}()
	defer other.Home.Poison()
	done := make(chan error, 1)
	go func() {
		for i := range k {
			if err := w.Write(100 + i); err != nil {
				done <- err
				return
			}
			if n := c.Home.Stats().Len; n > 5 {
				done <- fmt.Errorf("the buffer of five holds %d", n)
				return
			}
		}
		done <- nil
	}()
	in := csp.Recv(r)
	alt := csp.NewAlt(in, csp.Recv(other.Reader()))
	for want := 100; want < 100+k; {
		g, err := alt.FairSelectContext(s.ctx())
		s.check(err, "select")
		if g == 0 {
			if in.Value() != want {
				s.fail("received %d, want %d (FIFO)", in.Value(), want)
			}
			want++
		}
	}
	s.check(<-done, "writer")
}

func testSkipTimeout(s *suite) {
	c := s.chanOf("c", 1)
	r, w := c.Reader(), c.Writer()
	in := csp.Recv(r)
	g, err := csp.PriSelect(in, csp.Skip())
	s.check(err, "select on an empty channel")
	if g != 1 {
		s.fail("an empty channel's guard fired over Skip")
	}
	g, err = csp.PriSelect(in, csp.Timeout(time.Millisecond))
	s.check(err, "select on an empty channel")
	if g != 1 {
		s.fail("an empty channel's guard fired over Timeout")
	}
	for i := range s.n(20) {
		s.check(w.Write(i), "write")
		g, err := csp.PriSelect(in, csp.Skip())
		s.check(err, "select")
		if g != 0 || in.Value() != i {
			s.fail("selection %d: guard %d (value %d) with %d buffered before a Skip", i, g, in.Value(), i)
		}
		s.check(w.Write(i), "write")
		g, err = csp.PriSelect(in, csp.Timeout(50*time.Microsecond))
		s.check(err, "select")
		if g != 0 || in.Value() != i {
			s.fail("selection %d: guard %d with a value buffered before a Timeout", i, g)
		}
	}
	// An output guard with buffer room beats a Skip.
	out := csp.Send(w, 7)
	g, err = csp.PriSelect(out, csp.Skip())
	s.check(err, "select")
	if g != 0 {
		s.fail("an output guard with buffer room lost to Skip")
	}
	g, err = csp.PriSelect(out, csp.Skip())
	s.check(err, "select")
	if g != 1 {
		s.fail("an output guard on a full buffer beat Skip")
	}
}

func testPriority(s *suite) {
	a, b := s.chanOf("a", 20), s.chanOf("b", 20)
	wa, wb := a.Writer(), b.Writer()
	for i := range 20 {
		s.check(wa.Write(i), "write a")
		s.check(wb.Write(i), "write b")
	}
	alt := csp.NewAlt(csp.Recv(a.Reader()), csp.Recv(b.Reader()))
	for i := range 20 {
		g, err := alt.PriSelect()
		s.check(err, "select")
		if g != 0 {
			s.fail("selection %d fired guard %d with guard 0 ready", i, g)
		}
	}
}

func testFairness(s *suite) {
	const n = 4
	k := s.n(200) / n * n
	var guards []csp.Guard
	for i := range n {
		c := s.chanOf(fmt.Sprint("c", i), k)
		w := c.Writer()
		for j := range k {
			s.check(w.Write(j), "write")
		}
		guards = append(guards, csp.Recv(c.Reader()))
	}
	alt := csp.NewAlt(guards...)
	var last, count [n]int
	for sel := 1; sel <= k; sel++ {
		g, err := alt.FairSelect()
		s.check(err, "select")
		count[g]++
		last[g] = sel
		for i := range n {
			if sel-last[i] > n {
				s.fail("guard %d passed over for %d selections while ready", i, sel-last[i])
			}
		}
	}
	for i := range n {
		if count[i] != k/n {
			s.fail("counts %v, want %d each", count, k/n)
		}
	}
}

func testWriterPoison(s *suite) {
	c := s.chanOf("c", 3)
	r, w := c.Reader(), c.Writer()
	for i := range 3 {
		s.check(w.Write(i), "write")
	}
	w.Poison()
	for i := range 3 {
		v, err := r.Read()
		s.check(err, "read what the writer's poison left buffered")
		if v != i {
			s.fail("read %d, want %d", v, i)
		}
	}
	if _, err := r.Read(); !errors.Is(err, csp.ErrPoisoned) {
		s.fail("read after the buffer drained: %v, want ErrPoisoned", err)
	}
	if err := c.Writer().Write(9); !errors.Is(err, csp.ErrPoisoned) {
		s.fail("write after poison: %v, want ErrPoisoned", err)
	}
}

func testReaderPoison(s *suite) {
	c := s.chanOf("c", 3)
	r, w := c.Reader(), c.Writer()
	for i := range 3 {
		s.check(w.Write(i), "write")
	}
	r.Poison()
	if _, err := c.Reader().Read(); !errors.Is(err, csp.ErrPoisoned) {
		s.fail("read after a reader's poison: %v, want ErrPoisoned (the buffer discarded)", err)
	}
	if err := w.Write(9); !errors.Is(err, csp.ErrPoisoned) {
		s.fail("write after poison: %v, want ErrPoisoned", err)
	}
}

func testPoisonWakes(s *suite) {
	for _, side := range []string{"reader", "writer", "selection"} {
		c := s.chanOf("c-"+side, 0)
		var end csp.End
		done := make(chan error, 1)
		switch side {
		case "selection":
			r := c.Reader()
			end = r
			never := csp.NewChan[int]()
			go func() {
				_, err := csp.Select(csp.Recv(r), csp.Recv(never.Reader()))
				done <- err
			}()
		case "reader":
			r := c.Reader()
			end = r
			go func() { _, err := r.Read(); done <- err }()
		default:
			w := c.Writer()
			end = w
			go func() { done <- w.Write(1) }()
		}
		time.Sleep(5 * time.Millisecond) // let the operation block (it is woken whether or not it has)
		end.Poison()
		select {
		case err := <-done:
			if !errors.Is(err, csp.ErrPoisoned) {
				s.fail("%s woken with %v, want ErrPoisoned", side, err)
			}
		case <-s.ctx().Done():
			s.fail("poisoning its own end did not wake a blocked %s", side)
		}
	}
}

func testRetire(s *suite) {
	c := s.chanOf("c", 2)
	r, w := c.Reader(), c.Writer()
	s.check(w.Write(1), "write")
	w.Retire()
	if v, err := r.Read(); err != nil || v != 1 {
		s.fail("read after the last writer retired: %d, %v; want the buffered 1", v, err)
	}
	if _, err := r.Read(); !errors.Is(err, csp.ErrRetired) {
		s.fail("read once drained: %v, want ErrRetired", err)
	}
	d := s.chanOf("d", 0)
	dr, dw := d.Reader(), d.Writer()
	done := make(chan error, 1)
	go func() { done <- dw.Write(1) }()
	time.Sleep(5 * time.Millisecond)
	dr.Retire()
	if err := <-done; !errors.Is(err, csp.ErrRetired) {
		s.fail("write when the last reader retired: %v, want ErrRetired", err)
	}
}

func testSelectPoison(s *suite) {
	a, b := s.chanOf("a", 0), s.chanOf("b", 0)
	b.Home.Poison()
	g, err := csp.PriSelect(csp.Recv(a.Reader()), csp.Recv(b.Reader()), csp.Skip())
	if g != 1 || !errors.Is(err, csp.ErrPoisoned) {
		s.fail("select over a poisoned guard: (%d, %v), want (1, ErrPoisoned)", g, err)
	}
	g, err = csp.PriSelect(csp.Send(b.Writer(), 1), csp.Skip())
	if g != 0 || !errors.Is(err, csp.ErrPoisoned) {
		s.fail("output guard on a poisoned channel: (%d, %v), want (0, ErrPoisoned)", g, err)
	}
}

func testSelectRetired(s *suite) {
	a, b := s.chanOf("a", 1), s.chanOf("b", 0)
	bw := b.Writer()
	aw := a.Writer()
	s.check(aw.Write(5), "write")
	aw.Retire()
	bw.Retire()
	// A remote end's retirement is a message to the home, which Retire (never blocking) does not
	// wait for: operations through other nodes may overtake it. Let it arrive.
	s.until(func() bool { return a.Home.Stats().WritersRetired == 1 && b.Home.Stats().WritersRetired == 1 })
	ga, gb := csp.Recv(a.Reader()), csp.Recv(b.Reader())
	g, err := csp.PriSelect(gb, ga, csp.Skip())
	if g != 0 || !errors.Is(err, csp.ErrRetired) {
		s.fail("select over a retired guard: (%d, %v), want (0, ErrRetired)", g, err)
	}
	g, err = csp.PriSelect(gb.When(false), ga, csp.Skip())
	if g != 1 || err != nil || ga.Value() != 5 {
		s.fail("select over a drained-later guard: (%d, %v, %d), want (1, nil, 5): the value buffered before retirement", g, err, ga.Value())
	}
	g, err = csp.PriSelect(gb.When(true), ga, csp.Skip())
	if g != 0 || !errors.Is(err, csp.ErrRetired) {
		s.fail("select once both retired: (%d, %v), want (0, ErrRetired)", g, err)
	}
	d := s.chanOf("d", 0)
	dr := d.Reader()
	dr.Retire()
	s.until(func() bool { return d.Home.Stats().ReadersRetired == 1 })
	g, err = csp.PriSelect(csp.Send(d.Writer(), 1), csp.Skip())
	if g != 0 || !errors.Is(err, csp.ErrRetired) {
		s.fail("output guard when every reader retired: (%d, %v), want (0, ErrRetired)", g, err)
	}
}

// until waits for cond, which a message on its way to a channel's home makes true.
func (s *suite) until(cond func() bool) {
	s.Helper()
	ctx := s.ctx()
	for !cond() {
		select {
		case <-ctx.Done():
			s.fail("gave up waiting for the home to see it")
		case <-time.After(100 * time.Microsecond):
		}
	}
}

func testNoGuard(s *suite) {
	c := s.chanOf("c", 0)
	_, err := csp.PriSelect(csp.Recv(c.Reader()).When(false), csp.Send(c.Writer(), 1).When(false))
	if !errors.Is(err, csp.ErrNoGuard) {
		s.fail("select with every guard disabled: %v, want ErrNoGuard", err)
	}
}

var errFails = errors.New("the process fails")

func testOwnership(s *suite) {
	// Processes that return nil retire their ends: the readers end by themselves.
	c := s.chanOf("c", 1)
	k := s.n(50)
	var got []int
	w, r := c.Writer(), c.Reader()
	err := csp.Parallel(
		csp.Proc("writer", func(context.Context) error {
			for i := range k {
				if err := w.Write(i); err != nil {
					return err
				}
			}
			return nil
		}, w),
		csp.Proc("reader", func(context.Context) error {
			for {
				v, err := r.Read()
				if errors.Is(err, csp.ErrRetired) {
					return nil
				}
				if err != nil {
					return err
				}
				got = append(got, v)
			}
		}, r))
	s.check(err, "parallel")
	if len(got) != k {
		s.fail("received %d values, want %d", len(got), k)
	}
	// A process that fails poisons its ends: the other side ends with ErrPoisoned.
	d := s.chanOf("d", 0)
	dw, dr := d.Writer(), d.Reader()
	var readErr error
	err = csp.Parallel(
		csp.Proc("writer", func(context.Context) error { return errFails }, dw),
		csp.Proc("reader", func(context.Context) error { _, readErr = dr.Read(); return readErr }, dr))
	if !errors.Is(err, errFails) || !errors.Is(readErr, csp.ErrPoisoned) {
		s.fail("a failing process: %v, its peer %v; want its error, and ErrPoisoned", err, readErr)
	}
}

// record counts deliveries.
type record struct {
	mu   sync.Mutex
	seen map[int]int
}

func (r *record) add(v int) {
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[int]int{}
	}
	r.seen[v]++
	r.mu.Unlock()
}

func (s *suite) exactlyOnce(r *record, want int) {
	s.Helper()
	if len(r.seen) != want {
		s.fail("%d distinct values delivered, want %d", len(r.seen), want)
	}
	var twice []int
	for v, n := range r.seen {
		if n != 1 {
			twice = append(twice, v)
		}
	}
	sort.Ints(twice)
	if len(twice) > 0 {
		s.fail("values delivered more than once: %v", twice)
	}
}

func testAnyToAny(s *suite) {
	for _, buf := range []int{0, 1, 5} {
		c := s.chanOf(fmt.Sprint("c", buf), buf)
		k := s.n(200)
		var rec record
		var procs []*csp.Process
		for i := range 3 {
			w := c.Writer()
			procs = append(procs, csp.Proc(fmt.Sprint("writer-", i), func(context.Context) error {
				for j := range k {
					if err := w.Write(i*k + j); err != nil {
						return err
					}
				}
				return nil
			}, w))
		}
		for i := range 3 {
			r := c.Reader()
			procs = append(procs, csp.Proc(fmt.Sprint("reader-", i), func(context.Context) error {
				last := [3]int{-1, -1, -1}
				for {
					v, err := r.Read()
					if errors.Is(err, csp.ErrRetired) {
						return nil
					}
					if err != nil {
						return err
					}
					if v <= last[v/k] {
						return fmt.Errorf("reader %d received %d after %d of the same writer", i, v, last[v/k])
					}
					last[v/k] = v
					rec.add(v)
				}
			}, r))
		}
		s.check(csp.Parallel(procs...), fmt.Sprint("buffer ", buf))
		s.exactlyOnce(&rec, 3*k)
	}
}

func testAlting(s *suite) {
	// Alting writers offer each value on two channels at once, alting readers take from both:
	// every selection fires one guard, so every value arrives exactly once.
	c1, c2 := s.chanOf("c1", 0), s.chanOf("c2", 2)
	k := s.n(150)
	var rec record
	var procs []*csp.Process
	for i := range 3 {
		w1, w2 := c1.Writer(), c2.Writer()
		procs = append(procs, csp.Proc(fmt.Sprint("writer-", i), func(ctx context.Context) error {
			g1, g2 := csp.Send(w1, 0), csp.Send(w2, 0)
			alt := csp.NewAlt(g1, g2)
			for j := range k {
				g1.Set(i*k + j)
				g2.Set(i*k + j)
				var err error
				switch j % 3 {
				case 0:
					_, err = alt.SelectContext(ctx)
				case 1:
					_, err = alt.PriSelectContext(ctx)
				default:
					_, err = alt.FairSelectContext(ctx)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}, w1, w2))
		r1, r2 := c1.Reader(), c2.Reader()
		procs = append(procs, csp.Proc(fmt.Sprint("reader-", i), func(ctx context.Context) error {
			g1, g2 := csp.Recv(r1), csp.Recv(r2)
			alt := csp.NewAlt(g1, g2)
			open := [2]bool{true, true}
			for open[0] || open[1] {
				g1.When(open[0])
				g2.When(open[1])
				g, err := alt.FairSelectContext(ctx)
				if errors.Is(err, csp.ErrRetired) {
					open[g] = false
					continue
				}
				if err != nil {
					return err
				}
				if g == 0 {
					rec.add(g1.Value())
				} else {
					rec.add(g2.Value())
				}
			}
			return nil
		}, r1, r2))
	}
	s.check(csp.ParallelContext(s.ctx(), procs...), "parallel")
	s.exactlyOnce(&rec, 3*k)
	if got := c1.Home.Stats().Messages + c2.Home.Stats().Messages; got != uint64(3*k) {
		s.fail("the homes counted %d messages, want %d", got, 3*k)
	}
}

// testNetwork follows csp's scenario networks (after PyCSP's): three channels (buffers 0, 1 and 3),
// plain writers on each, alting writers offering every value on all three, plain readers on each
// and alting readers over all three, with every kind of selection and short pauses; the writers'
// retirement ends everything, and every value arrives exactly once.
func testNetwork(s *suite) {
	k := s.n(60)
	cs := []Chan{s.chanOf("n0", 0), s.chanOf("n1", 1), s.chanOf("n2", 3)}
	var rec record
	var procs []*csp.Process
	pause := func(i int) {
		if i%7 == 0 {
			time.Sleep(time.Duration(i%3) * 50 * time.Microsecond)
		}
	}
	id := 0
	for _, c := range cs { // a plain writer and a plain reader on each channel
		w, r := c.Writer(), c.Reader()
		base := id * k
		id++
		procs = append(procs, csp.Proc(fmt.Sprint("writer-", base/k), func(context.Context) error {
			for j := range k {
				pause(j)
				if err := w.Write(base + j); err != nil {
					return err
				}
			}
			return nil
		}, w), csp.Proc(fmt.Sprint("reader-", base/k), func(context.Context) error {
			for j := 0; ; j++ {
				pause(j)
				v, err := r.Read()
				if errors.Is(err, csp.ErrRetired) {
					return nil
				}
				if err != nil {
					return err
				}
				rec.add(v)
			}
		}, r))
	}
	for a := range 2 { // alting writers and readers over all three
		base := id * k
		id++
		var outs []*csp.SendGuard[int]
		var gs, ins []csp.Guard
		var wends, rends []csp.End
		for _, c := range cs {
			w, r := c.Writer(), c.Reader()
			outs = append(outs, csp.Send(w, 0))
			gs = append(gs, outs[len(outs)-1])
			wends = append(wends, w)
			ins = append(ins, csp.Recv(r).Do(rec.add))
			rends = append(rends, r)
		}
		walt, ralt := csp.NewAlt(gs...), csp.NewAlt(ins...)
		procs = append(procs, csp.Proc(fmt.Sprint("alt-writer-", a), func(ctx context.Context) error {
			for j := range k {
				pause(j)
				for _, g := range outs {
					g.Set(base + j)
				}
				if _, err := selectBy(walt, ctx, j); err != nil {
					return err
				}
			}
			return nil
		}, wends...), csp.Proc(fmt.Sprint("alt-reader-", a), func(ctx context.Context) error {
			for j := 0; ; j++ {
				pause(j)
				g, err := selectBy(ralt, ctx, j+a)
				switch {
				case err == nil:
				case errors.Is(err, csp.ErrNoGuard):
					return nil
				case errors.Is(err, csp.ErrRetired):
					ins[g].(*csp.RecvGuard[int]).When(false)
				default:
					return err
				}
			}
		}, rends...))
	}
	s.check(csp.ParallelContext(s.ctx(), procs...), "parallel")
	s.exactlyOnce(&rec, id*k)
}

// selectBy picks the kind of selection by j, so that every kind is used.
func selectBy(a *csp.Alt, ctx context.Context, j int) (int, error) {
	switch j % 3 {
	case 0:
		return a.SelectContext(ctx)
	case 1:
		return a.PriSelectContext(ctx)
	}
	return a.FairSelectContext(ctx)
}
