package graphs

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"
)

// BenchmarkCommsTimeIdleClients runs the observed CommsTime ring with no /events client and with
// 500 clients that open the stream and never read it. One op is one value round the ring. The
// streams share one observation per interval and a stuck client is dropped after the write
// timeout, so the ring's ns/op should stay within 10% (compare the two sub-benchmarks of one run).
func BenchmarkCommsTimeIdleClients(b *testing.B) {
	for _, clients := range []int{0, 500} {
		b.Run(map[int]string{0: "none", 500: "500-idle"}[clients], func(b *testing.B) {
			n := New("commstime").Add(commsTime(b.N, nil)...)
			srv := httptest.NewServer(n.Handler(WithMaxClients(1000)))
			defer srv.Close()
			var conns []net.Conn
			for range clients {
				c, err := net.Dial("tcp", srv.Listener.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				// A request, then never a read: the server's writes back up.
				if _, err := c.Write([]byte("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
					b.Fatal(err)
				}
				conns = append(conns, c)
			}
			b.ResetTimer()
			if err := n.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			for _, c := range conns {
				c.Close()
			}
		})
	}
}
