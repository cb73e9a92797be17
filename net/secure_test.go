package net

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	gonet "net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gocsp/gocsp/csp"
)

// testPKI is a certificate authority made for one test, and certificates it signs for loopback.
type testPKI struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	pool  *x509.CertPool
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gocsp test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testPKI{ca: ca, caKey: key, pool: pool}
}

// node returns a certificate for a node on loopback, signed by the CA, as PEM.
func (p *testPKI) node(t testing.TB, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []gonet.IP{gonet.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// files writes a node's certificate, key and the CA to a temporary directory, for
// TLSConfigFromFiles, and returns the configuration it makes.
func (p *testPKI) config(t testing.TB, serial int64) *tls.Config {
	t.Helper()
	cert, key := p.node(t, serial)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(f, b, 0o600))
		return f
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw})
	cfg, err := TLSConfigFromFiles(write("node.pem", cert), write("node.key", key), write("ca.pem", caPEM))
	require.NoError(t, err)
	return cfg
}

// exchange checks that a writer on one node and a reader of the channel at its home still work.
func exchange(t *testing.T, w *csp.Writer[int], r *csp.Reader[int], v int) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.Write(v) }()
	got, err := r.Read()
	require.NoError(t, err)
	require.Equal(t, v, got)
	require.NoError(t, <-done)
}

// Two nodes with mutual TLS and a shared secret carry a channel like any two nodes; with the
// default reconnection window the link runs on a session, and a cut connection comes back through
// TLS and the secret proof again, the channel going on as if nothing had happened.
func TestTLSAndSecret(t *testing.T) {
	pki := newPKI(t)
	secret := []byte("a secret of at least thirty-two bytes...")
	var f faults
	a := nodes(t, 1, WithTLS(pki.config(t, 2)), WithSecret(secret))[0]
	b := nodes(t, 1, WithTLS(pki.config(t, 3)), WithSecret(secret), WithDialer(f.dial))[0]
	ch := csp.NewChan[int](csp.Named("jobs"))
	require.NoError(t, Export(a, "jobs", ch))
	w, err := OpenWriter[int](ctxT(t), b, a.Addr()+"/jobs")
	require.NoError(t, err)
	r := ch.Reader()
	for i := range 10 {
		exchange(t, w, r, i)
	}
	first := linkConn(t, b, a.Addr())
	tc, ok := first.(*tls.Conn)
	require.True(t, ok, "the link is not TLS")
	require.True(t, tc.ConnectionState().HandshakeComplete)
	f.cut()
	for i := 10; i < 20; i++ {
		exchange(t, w, r, i)
	}
	tc, ok = linkConn(t, b, a.Addr()).(*tls.Conn)
	require.True(t, ok, "the resumed link is not TLS")
	require.NotSame(t, first, tc, "the link did not resume on a new connection")
}

// linkConn returns the connection n's link to peer runs on now (its session's, if it has one),
// once it has one.
func linkConn(t *testing.T, n *Node, peer string) gonet.Conn {
	t.Helper()
	n.mu.Lock()
	c := n.links[peer].c
	n.mu.Unlock()
	s, ok := c.(*session)
	if !ok {
		return c
	}
	var cur gonet.Conn
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		cur = s.c
		return cur != nil
	}, 10*time.Second, time.Millisecond, "the session has no connection")
	return cur
}

// Every kind of hostile peer is refused with a logged reason and closes its own connection only:
// a good peer keeps exchanging values on the node throughout, and the node's goroutines come back
// to what they were.
func TestHostilePeers(t *testing.T) {
	pki := newPKI(t)
	secret := []byte("the right secret, thirty-two bytes or more")
	core, logs := observer.New(zap.InfoLevel)
	target := nodes(t, 1, WithTLS(pki.config(t, 2)), WithSecret(secret), WithLogger(zap.New(core)),
		WithMaxPeers(8), WithMaxHandshakes(8, 4))[0]
	ch := csp.NewChan[int](csp.Named("c"))
	require.NoError(t, Export(target, "c", ch))
	good := nodes(t, 1, WithTLS(pki.config(t, 3)), WithSecret(secret))[0]
	gw, err := OpenWriter[int](ctxT(t), good, target.Addr()+"/c")
	require.NoError(t, err)
	r := ch.Reader()
	exchange(t, gw, r, -1)
	baseline := runtime.NumGoroutine()

	dialRaw := func(t *testing.T) gonet.Conn {
		c, err := gonet.Dial("tcp", target.Addr())
		require.NoError(t, err)
		return c
	}
	cases := []struct {
		name   string
		attack func(t *testing.T)
		logged string // in the refusal's error or reason
	}{
		{"plaintext peer on a TLS node", func(t *testing.T) {
			c := dialRaw(t)
			defer c.Close()
			c.Write(appendHello(nil, "127.0.0.1:1", 0))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := c.Read(make([]byte, 1))
			require.Error(t, err, "the node answered a plaintext hello")
		}, "TLS handshake"},
		{"garbage bytes", func(t *testing.T) {
			c := dialRaw(t)
			defer c.Close()
			junk := make([]byte, 4096)
			rand.Read(junk)
			c.Write(junk)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := c.Read(make([]byte, 1))
			require.Error(t, err)
		}, "TLS handshake"},
		{"TLS without a client certificate", func(t *testing.T) {
			cfg := &tls.Config{RootCAs: pki.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13}
			c, err := tls.Dial("tcp", target.Addr(), cfg)
			if err == nil {
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, err = c.Read(make([]byte, 1))
			}
			require.Error(t, err)
		}, "certificate"},
		{"certificate from another authority", func(t *testing.T) {
			other := newPKI(t)
			n := nodes(t, 1, WithTLS(other.config(t, 9)), WithSecret(secret))[0]
			_, err := OpenWriter[int](ctxT(t), n, target.Addr()+"/c")
			require.Error(t, err)
		}, "TLS handshake"},
		{"wrong secret", func(t *testing.T) {
			n := nodes(t, 1, WithTLS(pki.config(t, 4)), WithSecret([]byte("not the right secret at all, no")))[0]
			_, err := OpenWriter[int](ctxT(t), n, target.Addr()+"/c")
			require.ErrorIs(t, err, ErrWrongSecret)
		}, "shared secrets differ"},
		{"no secret", func(t *testing.T) {
			n := nodes(t, 1, WithTLS(pki.config(t, 5)))[0]
			_, err := OpenWriter[int](ctxT(t), n, target.Addr()+"/c")
			require.ErrorIs(t, err, ErrNoSecret)
		}, "no shared secret"},
		{"oversized frame", func(t *testing.T) {
			n := nodes(t, 1, WithTLS(pki.config(t, 6)), WithSecret(secret), WithMaxFrame(4<<20))[0]
			w, err := OpenWriter[[]byte](ctxT(t), n, target.Addr()+"/bytes", WithCodec(Raw{}))
			require.NoError(t, err)
			err = w.Write(make([]byte, 2<<20))
			require.ErrorIs(t, err, ErrLinkLost)
		}, "exceeds"},
		{"unknown channel", func(t *testing.T) {
			n := nodes(t, 1, WithTLS(pki.config(t, 7)), WithSecret(secret))[0]
			_, err := OpenWriter[int](ctxT(t), n, target.Addr()+"/nope")
			require.ErrorIs(t, err, ErrNoChannel)
		}, ""},
		{"type mismatch", func(t *testing.T) {
			n := nodes(t, 1, WithTLS(pki.config(t, 8)), WithSecret(secret))[0]
			_, err := OpenWriter[string](ctxT(t), n, target.Addr()+"/c")
			require.ErrorIs(t, err, ErrTypeMismatch)
		}, ""},
		{"a flood of silent connections", func(t *testing.T) {
			var cs []gonet.Conn
			for range 40 {
				cs = append(cs, dialRaw(t))
			}
			require.Eventually(t, func() bool {
				return logs.FilterMessage("closed a silent connection for a newcomer").Len() > 0
			}, 10*time.Second, 5*time.Millisecond, "no silent connection beyond WithMaxHandshakes was closed")
			for _, c := range cs {
				c.Close()
			}
		}, "WithMaxHandshakes"},
	}
	bytesCh := csp.NewChan[[]byte](csp.Named("bytes"))
	require.NoError(t, Export(target, "bytes", bytesCh, WithCodec(Raw{})))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := logs.Len()
			tc.attack(t)
			exchange(t, gw, r, i) // the good peer is unaffected
			if tc.logged == "" {
				return
			}
			require.Eventually(t, func() bool { return logged(logs.All()[before:], tc.logged, "127.0.0.1") },
				10*time.Second, 5*time.Millisecond, "no log line with the peer's address and %q", tc.logged)
		})
	}
	exchange(t, gw, r, 100)
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= baseline+2 }, 10*time.Second,
		10*time.Millisecond, "goroutines: %d, before the attacks %d", runtime.NumGoroutine(), baseline)
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case error:
		return v.Error()
	}
	return ""
}

// A node reachable from other hosts must be protected, unless told in so many words.
func TestExposedNodeNeedsProtection(t *testing.T) {
	_, err := Listen("0.0.0.0:0", WithAnyInterface())
	require.Error(t, err)
	require.Contains(t, err.Error(), "WithTLS or WithSecret")
	for _, opt := range []Option{WithSecret([]byte("0123456789abcdef0123456789abcdef")), WithInsecureAnyInterface()} {
		n, err := Listen("0.0.0.0:0", WithAnyInterface(), opt)
		require.NoError(t, err)
		n.Close()
	}
	_, err = Listen("0.0.0.0:0", WithSecret([]byte("x")))
	require.Error(t, err, "a secret alone must not widen the address")
}

// A TLS node dialling a plaintext node is refused by it, with a reason on both sides.
func TestTLSPeerOnPlaintextNode(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	plain := nodes(t, 1, WithLogger(zap.New(core)))[0]
	ch := csp.NewChan[int]()
	require.NoError(t, Export(plain, "c", ch))
	tn := nodes(t, 1, WithTLS(newPKI(t).config(t, 2)))[0]
	_, err := OpenWriter[int](ctxT(t), tn, plain.Addr()+"/c")
	require.Error(t, err)
	require.Eventually(t, func() bool {
		for _, e := range logs.FilterMessage("refused a peer").All() {
			if err, ok := e.ContextMap()["error"].(string); ok && strings.Contains(err, "not a GoCSP peer") {
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)
}

// The shared-secret proof binds both nonces, both hellos and the speaker: a MAC computed for one
// exchange does not pass in another, nor when reflected.
func TestSecretProofIsFresh(t *testing.T) {
	o := &options{secret: []byte("k")}
	run := func() (a, b []byte, errA, errB error) {
		ca, cb := gonet.Pipe()
		defer ca.Close()
		defer cb.Close()
		ha, hb := appendHello(nil, "a:1", 0), appendHello(nil, "b:2", 0)
		done := make(chan error, 1)
		go func() { done <- o.authenticate(cb, false, hb, ha) }()
		errA = o.authenticate(ca, true, ha, hb)
		return ha, hb, errA, <-done
	}
	_, _, errA, errB := run()
	require.NoError(t, errA)
	require.NoError(t, errB)
	// A peer that answers with its own side's MAC (a reflection) fails. Both hellos are the same
	// here, so that only the speaker's role tells the two proofs apart.
	ca, cb := gonet.Pipe()
	defer ca.Close()
	go func() {
		var n [nonceLen]byte
		cb.Read(n[:])
		cb.Write(n[:]) // echo the challenge
		var m [macLen]byte
		cb.Read(m[:])
		cb.Write(m[:]) // and the MAC
		cb.Close()
	}()
	err := o.authenticate(ca, true, appendHello(nil, "a:1", 0), appendHello(nil, "a:1", 0))
	require.True(t, errors.Is(err, errAuth), "a reflected proof passed: %v", err)
}

// A secret file gives the same secret with or without a trailing newline, and a short one is refused.
func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
		return p
	}
	a, err := SecretFile(write("a", "0123456789abcdef0123\n"))
	require.NoError(t, err)
	b, err := SecretFile(write("b", "0123456789abcdef0123"))
	require.NoError(t, err)
	require.Equal(t, a, b)
	_, err = SecretFile(write("c", "short\n"))
	require.ErrorContains(t, err, "at least 16")
	_, err = SecretFile(filepath.Join(dir, "missing"))
	require.Error(t, err)
}
