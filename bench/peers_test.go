package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	gonet "net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gocsp/gocsp/csp"
	cspnet "github.com/gocsp/gocsp/net"
)

// A peer is one way of doing the benchmarks' work between two endpoints in this process, over
// loopback. Every value is a []byte of the benchmark's size.
type peer struct {
	name string
	// roundTrip sets up k independent round-trip paths over one connection (one link), each
	// sending a value to the other side and returning the echo; nil if the peer has no such form.
	roundTrip func(tb testing.TB, k int) []func(msg []byte) ([]byte, error)
	// stream sets up writers one-way paths from one side to the other over one connection; wait
	// returns once the receiving side has had n values.
	stream func(tb testing.TB, writers, n int) (send []func(msg []byte) error, wait func() error)
}

// peers in the order each benchmark runs them: GoCSP first, then each peer, so that run.sh pairs
// every peer with the GoCSP figure of the same run.
var peers = []peer{
	{"gocsp", gocspRoundTrip, gocspStream},
	{"gocsp-acked", nil, gocspStreamAcked},
	{"tcp", tcpRoundTrip, tcpStream},
	{"grpc", grpcRoundTrip, grpcStream},
	{"nats", natsRoundTrip, natsStream},
	{"netrpc", netrpcRoundTrip, nil},
}

// waitLimit bounds every wait for the far side, so that a lost value fails the benchmark rather
// than hanging it.
const waitLimit = time.Minute

var errTimeout = errors.New("bench: the receiving side did not get every value in time")

// --- GoCSP: two nodes; each channel's home is its reader's node, so a write is one frame there
// and one acknowledgement back.

func gocspNodes(tb testing.TB, opts ...cspnet.Option) (a, b *cspnet.Node) {
	na, err := cspnet.Listen("", opts...)
	if err != nil {
		tb.Fatal(err)
	}
	nb, err := cspnet.Listen("", opts...)
	if err != nil {
		na.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { na.Close(); nb.Close() })
	return na, nb
}

func gocspRoundTrip(tb testing.TB, k int) []func([]byte) ([]byte, error) {
	na, nb := gocspNodes(tb)
	ctx := context.Background()
	rts := make([]func([]byte) ([]byte, error), k)
	for i := range rts {
		ping, pong := csp.NewChan[[]byte](), csp.NewChan[[]byte]()
		pingName, pongName := fmt.Sprintf("ping%d", i), fmt.Sprintf("pong%d", i)
		if err := cspnet.Export(nb, pingName, ping, cspnet.WithCodec(cspnet.Raw{})); err != nil {
			tb.Fatal(err)
		}
		if err := cspnet.Export(na, pongName, pong, cspnet.WithCodec(cspnet.Raw{})); err != nil {
			tb.Fatal(err)
		}
		pw, err := cspnet.OpenWriter[[]byte](ctx, na, nb.Addr()+"/"+pingName, cspnet.WithCodec(cspnet.Raw{}))
		if err != nil {
			tb.Fatal(err)
		}
		qw, err := cspnet.OpenWriter[[]byte](ctx, nb, na.Addr()+"/"+pongName, cspnet.WithCodec(cspnet.Raw{}))
		if err != nil {
			tb.Fatal(err)
		}
		pr, qr := ping.Reader(), pong.Reader()
		done := make(chan struct{})
		go func() { // the echo process at the far node
			defer close(done)
			for {
				v, err := pr.Read()
				if err != nil || qw.Write(v) != nil {
					return
				}
			}
		}()
		tb.Cleanup(func() { ping.Poison(); <-done })
		rts[i] = func(msg []byte) ([]byte, error) {
			if err := pw.Write(msg); err != nil {
				return nil, err
			}
			return qr.Read()
		}
	}
	return rts
}

// gocspStream streams with credits (WithCredits, which needs a reconnection window): a write
// returns once the home has a buffer slot reserved for its value. gocspStreamAcked is the same
// without them: a write returns once the home's buffer has the value, one round trip a value.
func gocspStream(tb testing.TB, writers, n int) ([]func([]byte) error, func() error) {
	return gocspStreamWith(tb, writers, n, true)
}

func gocspStreamAcked(tb testing.TB, writers, n int) ([]func([]byte) error, func() error) {
	return gocspStreamWith(tb, writers, n, false)
}

func gocspStreamWith(tb testing.TB, writers, n int, credits bool) ([]func([]byte) error, func() error) {
	var nopts []cspnet.Option
	opts := []cspnet.EndOption{cspnet.WithCodec(cspnet.Raw{})}
	if credits {
		nopts = append(nopts, cspnet.WithReconnectWindow(5*time.Second))
		opts = append(opts, cspnet.WithCredits())
	}
	na, nb := gocspNodes(tb, nopts...)
	ch := csp.NewChan[[]byte](csp.Buffered(64))
	if err := cspnet.Export(nb, "s", ch, cspnet.WithCodec(cspnet.Raw{})); err != nil {
		tb.Fatal(err)
	}
	send := make([]func([]byte) error, writers)
	for i := range send {
		w, err := cspnet.OpenWriter[[]byte](context.Background(), na, nb.Addr()+"/s", opts...)
		if err != nil {
			tb.Fatal(err)
		}
		send[i] = w.Write
	}
	r := ch.Reader()
	done := make(chan error, 1)
	go func() {
		for range n {
			if _, err := r.Read(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	tb.Cleanup(func() { ch.Poison() })
	return send, func() error { return waitFor(done) }
}

func waitFor(done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-time.After(waitLimit):
		return errTimeout
	}
}

// --- raw TCP: one connection; a round trip is a write and a full read of the echo, a stream goes
// through bufio (writers share it under a lock, as they would share one connection).

func tcpPair(tb testing.TB) (gonet.Conn, gonet.Conn) {
	ln, err := gonet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan gonet.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	a, err := gonet.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	c := <-acc
	if c == nil {
		a.Close()
		tb.Fatal("bench: accept failed")
	}
	tb.Cleanup(func() { a.Close(); c.Close() })
	return a, c
}

// tcpRoundTrip frames each value with a 4-byte length; it has one path only (several on one
// connection would need a multiplexer, which is what the others are).
func tcpRoundTrip(tb testing.TB, k int) []func([]byte) ([]byte, error) {
	if k != 1 {
		return nil
	}
	a, c := tcpPair(tb)
	go func() {
		br := bufio.NewReaderSize(c, 64<<10) // one read syscall for a length and its message
		var buf []byte
		for {
			var err error
			if buf, err = readMsg(br, buf); err != nil {
				return
			}
			if writeMsg(c, buf) != nil {
				return
			}
		}
	}()
	br := bufio.NewReaderSize(a, 64<<10)
	var buf []byte
	return []func([]byte) ([]byte, error){func(msg []byte) ([]byte, error) {
		if err := writeMsg(a, msg); err != nil {
			return nil, err
		}
		var err error
		buf, err = readMsg(br, buf)
		return buf, err
	}}
}

func writeMsg(w io.Writer, msg []byte) error {
	if len(msg) <= 4096 { // one syscall for a small message
		var b [4 + 4096]byte
		binary.BigEndian.PutUint32(b[:], uint32(len(msg)))
		_, err := w.Write(b[:4+copy(b[4:], msg)])
		return err
	}
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], uint32(len(msg)))
	bufs := gonet.Buffers{h[:], msg}
	_, err := bufs.WriteTo(w)
	return err
}

func readMsg(r io.Reader, buf []byte) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return buf, err
	}
	n := int(binary.BigEndian.Uint32(h[:]))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func tcpStream(tb testing.TB, writers, n int) ([]func([]byte) error, func() error) {
	a, c := tcpPair(tb)
	done := make(chan error, 1)
	go func() {
		br := bufio.NewReaderSize(c, 64<<10)
		var buf []byte
		for range n {
			var err error
			if buf, err = readMsg(br, buf); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	var mu sync.Mutex
	bw := bufio.NewWriterSize(a, 64<<10)
	send := make([]func([]byte) error, writers)
	for i := range send {
		send[i] = func(msg []byte) error {
			var h [4]byte
			binary.BigEndian.PutUint32(h[:], uint32(len(msg)))
			mu.Lock()
			defer mu.Unlock()
			bw.Write(h[:])
			_, err := bw.Write(msg)
			return err
		}
	}
	return send, func() error {
		mu.Lock()
		err := bw.Flush()
		mu.Unlock()
		if err != nil {
			return err
		}
		return waitFor(done)
	}
}

// --- gRPC: a hand-written service (no protoc) whose messages are raw bytes; a round trip is a
// message each way on a bidirectional stream, a stream is a client stream, and every stream of a
// benchmark shares one ClientConn (one HTTP/2 connection).

type rawCodec struct{}

func (rawCodec) Name() string { return "bench-raw" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("bench: raw codec carries *[]byte, not %T", v)
	}
	return *p, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("bench: raw codec carries *[]byte, not %T", v)
	}
	*p = append((*p)[:0], data...)
	return nil
}

var grpcService = grpc.ServiceDesc{
	ServiceName: "bench.Bench",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{
		{StreamName: "Echo", Handler: grpcEcho, ServerStreams: true, ClientStreams: true},
		{StreamName: "Sink", Handler: grpcSink, ClientStreams: true},
	},
}

func grpcEcho(_ any, ss grpc.ServerStream) error {
	var m []byte
	for {
		if err := ss.RecvMsg(&m); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if err := ss.SendMsg(&m); err != nil {
			return err
		}
	}
}

// grpcSink receives values until the client closes its side, then answers once.
func grpcSink(_ any, ss grpc.ServerStream) error {
	var m []byte
	for {
		if err := ss.RecvMsg(&m); err != nil {
			if err == io.EOF {
				var none []byte
				return ss.SendMsg(&none)
			}
			return err
		}
	}
}

func grpcConn(tb testing.TB) *grpc.ClientConn {
	ln, err := gonet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.MaxRecvMsgSize(8<<20))
	s.RegisterService(&grpcService, struct{}{})
	go s.Serve(ln)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(8<<20)))
	if err != nil {
		s.Stop()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cc.Close(); s.Stop() })
	return cc
}

func grpcRoundTrip(tb testing.TB, k int) []func([]byte) ([]byte, error) {
	cc := grpcConn(tb)
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	rts := make([]func([]byte) ([]byte, error), k)
	for i := range rts {
		st, err := cc.NewStream(ctx, &grpcService.Streams[0], "/bench.Bench/Echo")
		if err != nil {
			tb.Fatal(err)
		}
		var m []byte
		rts[i] = func(msg []byte) ([]byte, error) {
			if err := st.SendMsg(&msg); err != nil {
				return nil, err
			}
			err := st.RecvMsg(&m)
			return m, err
		}
	}
	return rts
}

func grpcStream(tb testing.TB, writers, _ int) ([]func([]byte) error, func() error) {
	cc := grpcConn(tb)
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	send := make([]func([]byte) error, writers)
	sts := make([]grpc.ClientStream, writers)
	for i := range send {
		st, err := cc.NewStream(ctx, &grpcService.Streams[1], "/bench.Bench/Sink")
		if err != nil {
			tb.Fatal(err)
		}
		sts[i] = st
		send[i] = func(msg []byte) error { return st.SendMsg(&msg) }
	}
	return send, func() error {
		for _, st := range sts { // each answers once its server side has had every value
			if err := st.CloseSend(); err != nil {
				return err
			}
			var m []byte
			if err := st.RecvMsg(&m); err != nil {
				return err
			}
		}
		return nil
	}
}

// --- NATS: an embedded nats-server on loopback, one client connection on each side; a round
// trip is a request and its reply, a stream is publishing to a subject the other side subscribes
// to.

func natsConns(tb testing.TB) (a, b *nats.Conn) {
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT,
		NoLog: true, NoSigs: true, MaxPayload: 8 << 20, MaxPending: 1 << 30})
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		tb.Fatal("bench: nats-server did not start")
	}
	a, err = nats.Connect(s.ClientURL())
	if err == nil {
		b, err = nats.Connect(s.ClientURL())
	}
	if err != nil {
		if a != nil {
			a.Close()
		}
		s.Shutdown()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close(); b.Close(); s.Shutdown(); s.WaitForShutdown() })
	return a, b
}

func natsRoundTrip(tb testing.TB, k int) []func([]byte) ([]byte, error) {
	a, b := natsConns(tb)
	rts := make([]func([]byte) ([]byte, error), k)
	for i := range rts {
		subj := fmt.Sprintf("echo.%d", i)
		if _, err := b.Subscribe(subj, func(m *nats.Msg) { m.Respond(m.Data) }); err != nil {
			tb.Fatal(err)
		}
		rts[i] = func(msg []byte) ([]byte, error) {
			m, err := a.Request(subj, msg, waitLimit)
			if err != nil {
				return nil, err
			}
			return m.Data, nil
		}
	}
	if err := b.Flush(); err != nil {
		tb.Fatal(err)
	}
	return rts
}

func natsStream(tb testing.TB, writers, n int) ([]func([]byte) error, func() error) {
	a, b := natsConns(tb)
	done := make(chan error, 1)
	var got atomic.Int64
	sub, err := b.Subscribe("sink", func(*nats.Msg) {
		if got.Add(1) == int64(n) {
			done <- nil
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1) // no slow-consumer drops on the client side
	if err := b.Flush(); err != nil {
		tb.Fatal(err)
	}
	send := make([]func([]byte) error, writers)
	for i := range send {
		send[i] = func(msg []byte) error { return a.Publish("sink", msg) }
	}
	return send, func() error {
		if err := a.Flush(); err != nil {
			return err
		}
		return waitFor(done)
	}
}

// --- net/rpc: one client connection; concurrent calls share it (its own multiplexing).

// Echo is the net/rpc service.
type Echo struct{}

// Echo returns its argument.
func (Echo) Echo(msg []byte, reply *[]byte) error {
	*reply = msg
	return nil
}

func netrpcRoundTrip(tb testing.TB, k int) []func([]byte) ([]byte, error) {
	a, c := tcpPair(tb)
	s := rpc.NewServer()
	if err := s.Register(Echo{}); err != nil {
		tb.Fatal(err)
	}
	go s.ServeConn(c)
	cl := rpc.NewClient(a)
	tb.Cleanup(func() { cl.Close() })
	rts := make([]func([]byte) ([]byte, error), k)
	for i := range rts {
		rts[i] = func(msg []byte) ([]byte, error) {
			var reply []byte
			err := cl.Call("Echo.Echo", msg, &reply)
			return reply, err
		}
	}
	return rts
}
