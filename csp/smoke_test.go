package csp

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	c := NewChan[int](Named("c"))
	w, r := c.Writer(), c.Reader()
	var got []int
	err := Parallel(
		Proc("prod", func(ctx context.Context) error {
			for i := range 1000 {
				if err := w.Write(i); err != nil {
					return err
				}
			}
			return nil
		}, w),
		Proc("cons", func(ctx context.Context) error {
			for {
				v, err := r.Read()
				if err != nil {
					return err
				}
				got = append(got, v)
			}
		}, r),
	)
	if err != nil || len(got) != 1000 {
		t.Fatal(err, len(got))
	}
	// alt vs alt
	a, b := NewChan[int](), NewChan[int]()
	aw, ar, bw, br := a.Writer(), a.Reader(), b.Writer(), b.Reader()
	n := 0
	err = Parallel(
		Proc("w", func(ctx context.Context) error {
			g1, g2 := Send(aw, 1), Send(bw, 2)
			alt := NewAlt(g1, g2)
			for range 1000 {
				if _, err := alt.FairSelect(ctx); err != nil {
					return err
				}
			}
			return nil
		}, aw, bw),
		Proc("r", func(ctx context.Context) error {
			alt := NewAlt(Recv(ar).Do(func(int) { n++ }), Recv(br).Do(func(int) { n++ }), Timeout(time.Second))
			for {
				i, err := alt.Select(ctx)
				if err != nil {
					return err
				}
				if i == 2 {
					return errors.New("timeout")
				}
			}
		}, ar, br),
	)
	if err != nil || n != 1000 {
		t.Fatal(err, n)
	}
	// deadlock
	x, y := NewChan[int](Named("x")), NewChan[int](Named("y"))
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	var dl *Deadlock
	m := NewMonitor(OnDeadlock(func(d *Deadlock) { dl = d }))
	ctx := m.Context(context.Background())
	err = ParallelContext(ctx,
		Proc("p1", func(ctx context.Context) error { xr.Read(); return yw.Write(1) }, xr, yw),
		Proc("p2", func(ctx context.Context) error { yr.Read(); return xw.Write(1) }, yr, xw),
	)
	m.Wait()
	if dl == nil {
		t.Fatal("no deadlock")
	}
	t.Log(dl, err)
}

func BenchmarkSmokeRW(b *testing.B) {
	c := NewChan[int]()
	w, r := c.Writer(), c.Reader()
	go func() {
		for {
			if _, err := r.Read(); err != nil {
				return
			}
		}
	}()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w.Write(i)
	}
	w.Poison()
}

func BenchmarkSmokeNative(b *testing.B) {
	c := make(chan int)
	go func() {
		for range c {
		}
	}()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c <- i
	}
	close(c)
}
