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

// Nodes that share a secret prove it to each other before any frame reaches a channel; a node
// without it is refused. (Add WithTLS, with TLSConfigFromFiles, to encrypt the links too; a node
// listening beyond loopback must have one or the other.)
func ExampleWithSecret() {
	secret := []byte("at least 32 random bytes, from a file or a vault")
	home, _ := cspnet.Listen("", cspnet.WithSecret(secret))
	defer home.Close()
	friend, _ := cspnet.Listen("", cspnet.WithSecret(secret))
	defer friend.Close()
	stranger, _ := cspnet.Listen("", cspnet.WithSecret([]byte("a guess, which is not the secret")))
	defer stranger.Close()

	cspnet.Export(home, "jobs", csp.NewChan[int](csp.Named("jobs")))
	ctx := context.Background()
	_, err := cspnet.OpenWriter[int](ctx, friend, home.Addr()+"/jobs")
	fmt.Println("friend:", err)
	_, err = cspnet.OpenWriter[int](ctx, stranger, home.Addr()+"/jobs")
	fmt.Println("stranger refused:", err != nil)
	// Output:
	// friend: <nil>
	// stranger refused: true
}

// A shared channel outlives a client that leaves without retiring its end: under
// LeaveOnLinkLost (the default) the client's end retires when its link goes, and the channel
// serves the others. With PoisonOnLinkLost the client's departure would poison it instead.
func ExampleOnLinkLost() {
	home, _ := cspnet.Listen("")
	defer home.Close()
	jobs := csp.NewChan[int](csp.Named("jobs"), csp.Buffered(1))
	cspnet.Export(home, "jobs", jobs, cspnet.OnLinkLost(cspnet.LeaveOnLinkLost))

	client, _ := cspnet.Listen("")
	if _, err := cspnet.OpenWriter[int](context.Background(), client, home.Addr()+"/jobs"); err != nil {
		fmt.Println(err)
		return
	}
	client.Close() // leaves with its writer end still open

	w, r := jobs.Writer(), jobs.Reader()
	fmt.Println(w.Write(42))
	fmt.Println(r.Read())
	// Output:
	// <nil>
	// 42 <nil>
}
