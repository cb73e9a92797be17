package deploy

import (
	"context"
	"encoding/binary"
	gonet "net"
	"strings"
	"sync"
	"testing"
)

// The cluster's DNS, played on loopback: a copy of the net package's test server (test helpers do
// not cross modules).

// srvRecord is one answer of the test's DNS server.
type srvRecord struct {
	prio, weight, port uint16
	target             string
}

// dnsServer is a DNS server on loopback UDP that answers SRV questions from a table and says
// NXDOMAIN to anything else: enough to test discovery the way a cluster's DNS serves it.
func dnsServer(t *testing.T, records map[string][]srvRecord) *gonet.Resolver {
	t.Helper()
	pc, err := gonet.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := answer(buf[:n], records); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	addr := pc.LocalAddr().String()
	return &gonet.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (gonet.Conn, error) {
		var d gonet.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// answer builds the response to one query (nil for a malformed one).
func answer(q []byte, records map[string][]srvRecord) []byte {
	if len(q) < 12 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	question := q[12 : i+5]
	name := strings.ToLower(strings.Join(labels, "."))
	rs, known := records[name]
	resp := append([]byte(nil), q[:2]...)                           // the query's ID
	flags := uint16(0x8400) | binary.BigEndian.Uint16(q[2:])&0x0100 // a response, authoritative, RD echoed
	if !known {
		flags |= 3 // NXDOMAIN
	}
	if qtype != 33 {
		rs = nil
	}
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1)
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(rs)))
	resp = binary.BigEndian.AppendUint32(resp, 0) // no authority or additional records
	resp = append(resp, question...)
	for _, r := range rs {
		resp = append(resp, 0xc0, 12) // the question's name
		resp = binary.BigEndian.AppendUint16(resp, 33)
		resp = binary.BigEndian.AppendUint16(resp, 1)
		resp = binary.BigEndian.AppendUint32(resp, 60)
		var rdata []byte
		rdata = binary.BigEndian.AppendUint16(rdata, r.prio)
		rdata = binary.BigEndian.AppendUint16(rdata, r.weight)
		rdata = binary.BigEndian.AppendUint16(rdata, r.port)
		for _, l := range strings.Split(strings.TrimSuffix(r.target, "."), ".") {
			if l != "" {
				rdata = append(rdata, byte(len(l)))
				rdata = append(rdata, l...)
			}
		}
		rdata = append(rdata, 0)
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
		resp = append(resp, rdata...)
	}
	return resp
}
