package networks

import (
	"context"
	"fmt"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/gocsp/gocsp/graphs"
	"github.com/gocsp/gocsp/graphs/components"
)

// CommstimeConfig sizes the commstime network.
type CommstimeConfig struct {
	// Cycles is how many values the consumer takes before it stops the ring (default 10000).
	Cycles int
}

// CommsPerCycle is the number of channel communications in one cycle of commstime: prefix → delta,
// delta → consumer, delta → successor and successor → prefix.
const CommsPerCycle = 4

// CommstimeResult is what the consumer of a commstime network measured. Read it after Run.
type CommstimeResult struct {
	Cycles  int           // values the consumer took, each one more than the last, from 0
	Elapsed time.Duration // from the consumer's first value to its last
}

// NsPerComm returns the mean time of one channel communication in nanoseconds.
func (r *CommstimeResult) NsPerComm() float64 { return nsPerComm(r.Elapsed, r.Cycles) }

func nsPerComm(d time.Duration, cycles int) float64 {
	if cycles <= 1 {
		return 0
	}
	return float64(d.Nanoseconds()) / float64((cycles-1)*CommsPerCycle)
}

// Commstime builds the classic commstime ring: prefix (starting at 0) → delta → successor →
// prefix, with delta's second output going to a consumer that takes cfg.Cycles values, checks that
// they count up from 0, and then retires, which stops the ring: delta's write fails, delta poisons
// its channels and the poison goes round.
//
// Channels: a (prefix → delta), b (delta → successor), c (successor → prefix) and d
// (delta → consumer).
func Commstime(cfg CommstimeConfig, opts ...graphs.Option) (*graphs.Network, *CommstimeResult) {
	if cfg.Cycles <= 0 {
		cfg.Cycles = 10000
	}
	a := csp.NewChan[int](csp.Named("a"))
	b := csp.NewChan[int](csp.Named("b"))
	c := csp.NewChan[int](csp.Named("c"))
	d := csp.NewChan[int](csp.Named("d"))
	res := &CommstimeResult{}
	in := d.Reader()
	consumer := csp.Proc("consumer", func(ctx context.Context) error {
		var start time.Time
		for i := range cfg.Cycles {
			v, err := in.Read()
			if err != nil {
				return err
			}
			if i == 0 {
				start = time.Now()
			}
			if v != i {
				return fmt.Errorf("consumer: got %d, want %d", v, i)
			}
			res.Cycles = i + 1
		}
		res.Elapsed = time.Since(start)
		return nil
	}, in).SetKind("Consumer")
	n := graphs.New("commstime", opts...).Add(
		components.Prefix("prefix", 0, c.Reader(), a.Writer()),
		components.Delta("delta", a.Reader(), d.Writer(), b.Writer()),
		components.Successor("successor", b.Reader(), c.Writer()),
		consumer,
	)
	return n, res
}

// CommstimeGo runs the same ring over plain Go channels, one goroutine per process and a
// sequential delta, for cycles values, and returns the time from the consumer's first value to its
// last. It is the baseline that commstime compares csp against; every goroutine it starts has ended
// when it returns.
func CommstimeGo(cycles int) time.Duration {
	a, b, c, d := make(chan int), make(chan int), make(chan int), make(chan int)
	stop, done := make(chan struct{}), make(chan struct{}, 3)
	go func() { // prefix
		defer func() { close(a); done <- struct{}{} }()
		a <- 0
		for v := range c {
			a <- v
		}
	}()
	go func() { // delta
		defer func() { close(b); done <- struct{}{} }()
		for v := range a {
			select {
			case d <- v:
			case <-stop:
				return
			}
			b <- v
		}
	}()
	go func() { // successor
		defer func() { close(c); done <- struct{}{} }()
		for v := range b {
			c <- v + 1
		}
	}()
	var start time.Time
	for i := range cycles {
		<-d
		if i == 0 {
			start = time.Now()
		}
	}
	elapsed := time.Since(start)
	close(stop)
	for range 3 {
		<-done
	}
	return elapsed
}

// CommstimeGoNsPerComm is CommstimeGo as nanoseconds per communication.
func CommstimeGoNsPerComm(cycles int) float64 { return nsPerComm(CommstimeGo(cycles), cycles) }
