package net_test

import (
	"context"
	"fmt"

	"github.com/gocsp/gocsp/csp"
	cspnet "github.com/gocsp/gocsp/net"
)

// Two nodes (here in one OS process; they work the same in two): one exports a channel, the other
// writes to it through a remote end owned by a process. Write returns only once the reader on the
// first node has each value, and the writer's retirement reaches the reader across the link.
func Example() {
	home, _ := cspnet.Listen("") // loopback, any free port
	defer home.Close()
	other, _ := cspnet.Listen("")
	defer other.Close()

	words := csp.NewChan[string](csp.Named("words"))
	cspnet.Export(home, "words", words)
	w, err := cspnet.OpenWriter[string](context.Background(), other, home.Addr()+"/words")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := words.Reader()
	csp.Parallel(
		csp.Proc("producer", func(context.Context) error {
			for _, s := range []string{"hello", "remote", "world"} {
				if err := w.Write(s); err != nil {
					return err
				}
			}
			return nil // retires w: the reader sees ErrRetired after the last value
		}, w),
		csp.Proc("consumer", func(context.Context) error {
			for {
				s, err := r.Read()
				if err != nil {
					return err
				}
				fmt.Println(s)
			}
		}, r),
	)
	// Output:
	// hello
	// remote
	// world
}
