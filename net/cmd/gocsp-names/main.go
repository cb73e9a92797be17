// Command gocsp-names runs a GoCSP name server: nodes started with cspnet.WithNameServer(ADDR)
// register the channels they export with it and open ends by channel name alone. A node's names
// are dropped when its link to the server is lost (it closed; or it died or went silent past the
// heartbeat bound, and was not back within the 5 s reconnection window).
//
//	go run ./net/cmd/gocsp-names                       # loopback, port 7100
//	go run ./net/cmd/gocsp-names -listen 0.0.0.0:7100 -secret-file secret
//
// A name server reachable from other hosts needs the nodes' shared secret (or use TLS from Go: see
// package net). It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	cspnet "github.com/gocsp/gocsp/net"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:7100", "the address to serve on")
	secretFile := flag.String("secret-file", "", "a file holding the secret the nodes share")
	flag.Parse()
	var opts []cspnet.Option
	if *secretFile != "" {
		secret, err := cspnet.SecretFile(*secretFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(2)
		}
		opts = append(opts, cspnet.WithSecret(secret))
	}
	// Any address the user gives: Listen still refuses one beyond loopback without the secret.
	opts = append(opts, cspnet.WithAnyInterface())
	n, err := cspnet.Listen(*listen, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	if err := cspnet.ServeNames(n); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		n.Close()
		os.Exit(1)
	}
	// The signals are caught before the address is announced: whoever reads the announcement
	// may stop the server at once, and an uncaught SIGINT would kill it without a clean close.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("gocsp-names: serving on %s\n", n.Addr())
	<-ctx.Done()
	n.Close()
	fmt.Println("gocsp-names: stopped")
}
