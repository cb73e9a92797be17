package net

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	gonet "net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocsp/gocsp/csp"
	"go.uber.org/zap"
)

// Option configures a Node.
type Option func(*options)

type options struct {
	log       *zap.Logger
	maxFrame  int
	beat      time.Duration // how often an idle link sends a heartbeat
	deadAfter time.Duration // a link silent for this long is lost
	handshake time.Duration
	allowWide bool
	dialer    func(ctx context.Context, addr string) (gonet.Conn, error)
	listener  gonet.Listener
	pause     func() time.Duration // a home's pause before offering a busy selection again
	tls       *tls.Config
	secret    []byte
	insecure  bool // a non-loopback address without TLS or secret is allowed
	maxPeers  int
	// handshakes in progress, in all and from one IP address (WithMaxHandshakes)
	maxHandshakes, maxHandshakesFrom int
	maxEnds                          int           // ends one peer may have open on this node's channels
	maxEndsTotal                     int           // ends all peers together may have open here
	names                            string        // the name server's address (WithNameServer), or ""
	window                           time.Duration // WithReconnectWindow; 0: a failed connection is a lost link
}

// WithLogger logs link events (peers connecting, failing handshakes, lost links) to log.
func WithLogger(log *zap.Logger) Option { return func(o *options) { o.log = log } }

// WithMaxFrame bounds the size of a frame (header included) this node sends or accepts; a peer that
// sends a bigger one loses its link. The default is DefaultMaxFrame.
func WithMaxFrame(n int) Option { return func(o *options) { o.maxFrame = n } }

// WithHeartbeat sets how often an idle link sends a heartbeat and after how long without any frame
// a link counts as lost (or, with a reconnection window, suspended, and lost if not back within
// the window). The defaults are 250ms and 1.5s, so a dead or silent peer is detected within 2s.
// deadAfter must exceed every.
func WithHeartbeat(every, deadAfter time.Duration) Option {
	return func(o *options) { o.beat, o.deadAfter = every, deadAfter }
}

// WithMaxEnds caps the ends one peer may have open on this node's channels at once (1024 by
// default): each costs a goroutine here. An open beyond it is refused, and logged.
func WithMaxEnds(n int) Option { return func(o *options) { o.maxEnds = n } }

// WithMaxEndsTotal caps the ends all peers together may have open on this node's channels at once
// (8192 by default; each costs a goroutine and a few kilobytes), so that many peers, each within
// WithMaxEnds, cannot exhaust the node; an open beyond it is refused, and logged. An open being
// served (a goroutine for a moment) holds its place from the moment it arrives, so pending opens
// are within the cap too.
func WithMaxEndsTotal(n int) Option { return func(o *options) { o.maxEndsTotal = n } }

// WithAnyInterface lets Listen bind an address that is not loopback, which it refuses otherwise.
// Such a node must also have WithTLS or WithSecret (or, knowingly, WithInsecureAnyInterface).
func WithAnyInterface() Option { return func(o *options) { o.allowWide = true } }

// WithListener makes the node serve peers that connect through ln instead of a TCP listener of its
// own (a TLS listener, or a test's simulated network); Listen's address is then ignored and the
// node's address is ln.Addr(). Close closes ln.
func WithListener(ln gonet.Listener) Option { return func(o *options) { o.listener = ln } }

// WithDialer replaces how the node connects to peers (tests put a faulty transport here).
func WithDialer(dial func(ctx context.Context, addr string) (gonet.Conn, error)) Option {
	return func(o *options) { o.dialer = dial }
}

// Node is one participant of a distributed network: it listens for peers, serves the channels it
// exports, and opens ends of channels other nodes export. A Node is safe for concurrent use.
type Node struct {
	opts options
	ln   gonet.Listener
	addr string

	mu      sync.Mutex
	exports map[string]exporter
	links   map[string]*link // by the peer's listening address
	all     map[*link]struct{}
	closed  bool
	dialMu  sync.Mutex
	wg      sync.WaitGroup
	closing context.Context // done once Close begins
	close   context.CancelFunc
	inbound atomic.Int64 // accepted connections that became links (WithMaxPeers)
	shaking handshakes   // accepted connections still in their handshake (WithMaxHandshakes)
	ends    atomic.Int64 // peers' ends open here or being opened (WithMaxEndsTotal)
	namer   nameClient   // the session with the name server (WithNameServer)
	// sessions accepted, by id, that a peer may resume (WithReconnectWindow)
	sessions map[[16]byte]*session
}

// Listen starts a node listening on addr (host:port). An empty addr, or a port alone (":0"), means
// the loopback interface; a non-loopback address needs WithAnyInterface.
func Listen(addr string, opts ...Option) (*Node, error) {
	o := options{log: zap.NewNop(), maxFrame: DefaultMaxFrame, beat: 250 * time.Millisecond,
		deadAfter: 1500 * time.Millisecond, handshake: 5 * time.Second, pause: busyPause, maxPeers: 256, maxEnds: 1024,
		maxHandshakes: 128, maxHandshakesFrom: 64, maxEndsTotal: 8192, window: defaultWindow}
	for _, f := range opts {
		f(&o)
	}
	if o.maxEnds < 1 {
		return nil, fmt.Errorf("net: WithMaxEnds(%d): need at least 1", o.maxEnds)
	}
	if o.maxEndsTotal < 1 {
		return nil, fmt.Errorf("net: WithMaxEndsTotal(%d): need at least 1", o.maxEndsTotal)
	}
	if o.maxFrame < headerLen+64 {
		return nil, fmt.Errorf("net: WithMaxFrame(%d) is too small", o.maxFrame)
	}
	if o.window < 0 {
		return nil, fmt.Errorf("net: WithReconnectWindow(%v): need at least 0", o.window)
	}
	if o.beat <= 0 || o.deadAfter <= o.beat {
		return nil, fmt.Errorf("net: WithHeartbeat(%v, %v): need 0 < every < deadAfter", o.beat, o.deadAfter)
	}
	if o.dialer == nil {
		var d gonet.Dialer
		o.dialer = func(ctx context.Context, a string) (gonet.Conn, error) { return d.DialContext(ctx, "tcp", a) }
	}
	if o.listener != nil {
		if a, ok := o.listener.Addr().(*gonet.TCPAddr); ok && !a.IP.IsLoopback() {
			if err := o.exposed(o.listener.Addr().String()); err != nil {
				return nil, err
			}
		}
		return start(o, o.listener), nil
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := gonet.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("net: Listen(%q): %w", addr, err)
	}
	if host == "" {
		addr = "127.0.0.1" + addr
	} else if ip := gonet.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		if !o.allowWide {
			return nil, fmt.Errorf("net: Listen(%q): not a loopback address (use WithAnyInterface)", addr)
		}
		if err := o.exposed(addr); err != nil {
			return nil, err
		}
	}
	ln, err := gonet.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("net: Listen(%q): %w", addr, err)
	}
	return start(o, ln), nil
}

// exposed checks that a node reachable beyond this host is protected.
func (o *options) exposed(addr string) error {
	if o.tls == nil && o.secret == nil && !o.insecure {
		return fmt.Errorf("net: Listen(%q): a node reachable from other hosts needs WithTLS or WithSecret (or WithInsecureAnyInterface, if the network is protected otherwise)", addr)
	}
	return nil
}

func start(o options, ln gonet.Listener) *Node {
	n := &Node{opts: o, ln: ln, addr: ln.Addr().String(), exports: map[string]exporter{},
		links: map[string]*link{}, all: map[*link]struct{}{}, sessions: map[[16]byte]*session{}}
	n.closing, n.close = context.WithCancel(context.Background())
	n.wg.Add(1)
	go n.accept()
	return n
}

// Addr returns the address the node listens on, for peers to open its channels at Addr()+"/"+name.
func (n *Node) Addr() string { return n.addr }

// Close stops the node: it stops listening and closes every link, delivering first what the node
// owes each peer: the retirements, poisons and answers its ends already sent, and the results of
// the operations its channels' remote ends had under way (an operation that the closing cuts
// short returns ErrLinkLost at its remote end). It waits for each peer to acknowledge the end of
// the link at most the heartbeat bound (WithHeartbeat's deadAfter, 1.5s by default: a peer silent
// that long would count as lost anyway), then drops the links that remain, so that every operation
// still waiting on one returns ErrLinkLost. It waits for all the node's goroutines.
func (n *Node) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.deadAfter)
	defer cancel()
	return n.CloseContext(ctx)
}

// CloseContext is Close with the wait for the peers bounded by ctx instead of the heartbeat bound:
// once ctx ends, the links that remain are dropped at once.
func (n *Node) CloseContext(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	links := make([]*link, 0, len(n.all))
	for l := range n.all {
		links = append(links, l)
	}
	n.mu.Unlock()
	n.close()
	err := n.ln.Close()
	var wg sync.WaitGroup
	for _, l := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.close(ctx)
		}()
	}
	wg.Wait()
	n.wg.Wait()
	return err
}

func (n *Node) accept() {
	defer n.wg.Done()
	for {
		c, err := n.ln.Accept()
		if err != nil {
			return
		}
		p, evicted, err := n.shaking.admit(c, n.opts.maxHandshakes, n.opts.maxHandshakesFrom)
		if evicted != nil {
			n.opts.log.Info("closed a silent connection for a newcomer", zap.String("remote", evicted.RemoteAddr().String()),
				zap.String("reason", "handshakes at their cap (WithMaxHandshakes)"))
			evicted.Close()
		}
		if err != nil {
			n.opts.log.Warn("refused a peer", zap.String("remote", c.RemoteAddr().String()), zap.String("reason", err.Error()))
			c.Close()
			continue
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			// A peer that connects and says nothing must not hold up Close.
			stop := context.AfterFunc(n.closing, func() { c.Close() })
			defer stop()
			sc, peer, flags, err := n.establish(talkConn{c, p}, false, "")
			if tc, ok := sc.(talkConn); ok {
				sc = tc.Conn // the link reads without the mark
			}
			var sess *session
			if err == nil && n.opts.window > 0 && flags&helloResume != 0 {
				// A link on a session: a new one, or one the peer resumes here (then it is
				// the session's, and nothing more is to be done).
				sess, err = n.acceptSession(sc, peer)
				if err == nil && sess == nil {
					n.shaking.done(p)
					stop()
					return
				}
			}
			n.shaking.done(p)
			if err != nil {
				n.opts.log.Warn("refused a peer", zap.String("remote", c.RemoteAddr().String()), zap.Error(err))
				c.Close()
				return
			}
			if !stop() {
				if sess != nil {
					sess.fail(ErrClosed)
				}
				c.Close() // Close began during the handshake: it closed c, or is closing it
				return
			}
			// From here the link is Close's to end, delivering what it owes first (link.close):
			// the handshake's guard must not cut the connection under it.
			if n.inbound.Add(1) > int64(n.opts.maxPeers) {
				n.inbound.Add(-1)
				n.opts.log.Warn("refused a peer", zap.String("remote", c.RemoteAddr().String()), zap.String("peer", peer),
					zap.String("reason", fmt.Sprintf("already %d peers linked (WithMaxPeers)", n.opts.maxPeers)))
				if sess != nil {
					sess.fail(ErrClosed)
				}
				c.Close()
				return
			}
			if sess != nil {
				sess.run(sc)
				sc = sess
			}
			if n.adopt(sc, peer, false) == nil {
				n.inbound.Add(-1)
			}
		}()
	}
}

// establish makes a new connection a link's: TLS if the node has it, the hellos (returning the
// peer's listening address), and the shared-secret proof if the node has a secret, all within the
// handshake timeout. dialled says which side this node is; host names a dialled peer for TLS.
func (n *Node) establish(c gonet.Conn, dialled bool, host string) (gonet.Conn, string, uint16, error) {
	c.SetDeadline(time.Now().Add(n.opts.handshake))
	c, err := n.opts.secure(c, dialled, host)
	if err != nil {
		return nil, "", 0, err
	}
	var flags uint16
	if n.opts.secret != nil {
		flags |= helloSecret
	}
	if n.opts.window > 0 {
		flags |= helloResume
	}
	mine := appendHello(nil, n.addr, flags)
	theirs, err := handshake(c, mine)
	if err != nil {
		return nil, "", 0, err
	}
	peer, theirFlags, err := parseHello(theirs)
	if err != nil {
		return nil, "", 0, err
	}
	// Both sides know from the hellos whether the other has a secret, so each says so at once
	// instead of reading the other's next bytes as what they are not.
	switch hasSecret := theirFlags&helloSecret != 0; {
	case n.opts.secret != nil && !hasSecret:
		return nil, "", 0, fmt.Errorf("%w: the peer has no shared secret, and this node requires one", ErrNoSecret)
	case n.opts.secret == nil && hasSecret:
		return nil, "", 0, fmt.Errorf("%w: the peer requires a shared secret (WithSecret), and this node has none", ErrNoSecret)
	}
	if err := n.opts.authenticate(c, dialled, mine, theirs); err != nil {
		return nil, "", 0, err
	}
	c.SetDeadline(time.Time{})
	return c, peer, theirFlags, nil
}

// handshake sends the hello mine on c and returns the peer's, checked.
func handshake(c gonet.Conn, mine []byte) ([]byte, error) {
	errc := make(chan error, 1)
	go func() { _, err := c.Write(mine); errc <- err }()
	fail := func(err error) ([]byte, error) {
		<-errc
		return nil, err
	}
	buf := make([]byte, helloFixed, maxHelloLen)
	// The magic and version first, so that a peer of another version, whose hello may be shorter,
	// is told so rather than waited for.
	if _, err := readFull(c, buf[:helloHead]); err != nil {
		return fail(readErr(err))
	}
	if err := parseHelloHead(buf); err != nil {
		return fail(err)
	}
	if _, err := readFull(c, buf[helloHead:]); err != nil {
		return fail(readErr(err))
	}
	m, err := parseHelloFixed(buf)
	if err != nil {
		return fail(err)
	}
	buf = buf[:helloFixed+m]
	if _, err := readFull(c, buf[helloFixed:]); err != nil {
		return fail(readErr(err))
	}
	if err := <-errc; err != nil {
		return nil, readErr(err)
	}
	return buf, nil
}

// readErr says why a handshake read failed: a TLS alert from the peer (it refused this node's
// certificate, say) is a TLS failure.
func readErr(err error) error {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return fmt.Errorf("%w: %w", ErrTLS, err)
	}
	return fmt.Errorf("%w: %v", errHello, err)
}

func readFull(c gonet.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// adopt starts a link on a connection that passed the handshake.
func (n *Node) adopt(c gonet.Conn, peer string, dialled bool) *link {
	l := newLink(n, c, peer)
	l.inbound = !dialled
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		c.Close()
		return nil
	}
	n.all[l] = struct{}{}
	// The address an accepting node learns is what the peer says it listens on, and this node's
	// ends to that address then share the peer's connection. With WithSecret or mutual TLS the
	// peer proved it is one of the network's nodes; without either, every peer that can connect is
	// trusted alike (it could open any exported channel), which is why Listen insists on one of
	// them beyond loopback. Dialling instead of trusting the claim doubled a round trip.
	if old := n.links[peer]; old == nil || old.isLost() || dialled {
		n.links[peer] = l
	}
	n.mu.Unlock()
	n.opts.log.Info("link up", zap.String("self", n.addr), zap.String("peer", peer), zap.Bool("dialled", dialled))
	n.wg.Add(2)
	go l.readLoop()
	go l.writeLoop()
	return l
}

// forget drops a lost link.
func (n *Node) forget(l *link) {
	n.mu.Lock()
	if _, ok := n.all[l]; ok && l.inbound {
		n.inbound.Add(-1)
	}
	delete(n.all, l)
	if n.links[l.peer] == l {
		delete(n.links, l.peer)
	}
	n.mu.Unlock()
}

// linkTo returns the live link to the node listening at addr, dialling it if there is none.
func (n *Node) linkTo(ctx context.Context, addr string) (*link, error) {
	n.dialMu.Lock()
	defer n.dialMu.Unlock()
	n.mu.Lock()
	closed := n.closed
	l := n.links[addr]
	n.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if l != nil && !l.isLost() {
		return l, nil
	}
	c, err := n.opts.dialer(ctx, addr)
	if err != nil {
		if _, ok := err.(*gonet.OpError); ok {
			return nil, wrapf(err, "net") // it says "dial tcp <addr>" already
		}
		return nil, wrapf(err, "net: dial %s", addr)
	}
	host, _, _ := gonet.SplitHostPort(addr)
	sc, _, flags, err := n.establish(c, true, host)
	if err == nil && n.opts.window > 0 && flags&helloResume != 0 {
		id := newSessionID()
		if _, err = sessionHello(sc, id, false, 0, n.opts.handshake); err == nil {
			s := newSession(n, id, addr, true, host, sc)
			s.run(sc)
			sc = s
		}
	}
	if err != nil {
		c.Close()
		n.opts.log.Warn("refused by a peer", zap.String("remote", addr), zap.Error(err))
		return nil, wrapf(err, "net: %s", addr)
	}
	if l = n.adopt(sc, addr, true); l == nil {
		return nil, ErrClosed
	}
	return l, nil
}

// exporter is an exported channel, whatever its element type.
type exporter interface {
	// open starts the home side of an end opened by a peer, or says why not.
	open(l *link, id uint32, req openReq) error
}

// ExportOption configures Export.
type ExportOption func(*endOptions)

// EndOption configures OpenReader and OpenWriter.
type EndOption = ExportOption

type endOptions struct {
	codec   Codec
	lost    LinkLostPolicy
	credits bool
}

// WithCodec sets the codec of an exported channel or of an end; both must agree. CBOR by
// default, safe for peers that may be hostile; Gob is for trusted peers only (see Codecs in the
// package doc).
func WithCodec(c Codec) ExportOption { return func(o *endOptions) { o.codec = c } }

// WithCredits lets a writer end opened with OpenWriter on a buffered channel write ahead: its
// home reserves up to min(buffer, 64) free slots of the channel's buffer for it and grants them as
// credits, and a Write that has a credit returns as soon as its value is sent, not once the home
// has it. One writer then streams at the speed of the link instead of one round trip a value. What
// that gives up, and what a failure can lose, is in the package doc ("Credits"): in short, a Write
// that returned nil has a place in the buffer but may not be there yet, so a process that learns of
// it some other way (through another channel, or another node) can read the channel before the
// value arrives. Credits are used only on links with a reconnection window on both nodes
// (WithReconnectWindow); elsewhere, on rendezvous channels, and for output guards the end writes as
// without them. Exports and reader ends ignore it.
func WithCredits() EndOption { return func(o *endOptions) { o.credits = true } }

func endOpts(opts []ExportOption) endOptions {
	o := endOptions{codec: CBOR{}, lost: LeaveOnLinkLost}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// typeName names T for the type check: the package path and name for a named type, so that two
// packages' Event types do not pass for each other.
func typeName(t reflect.Type) string {
	if t.Name() != "" && t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

// Export makes ch available to other nodes as name: peers open ends of it with OpenReader and
// OpenWriter at n.Addr()+"/"+name. ch's buffer, ends and counters stay here, at its home; every
// end opened remotely joins ch as one more end. What the ends of a peer whose link is lost do is
// OnLinkLost's choice (they leave, by default). Export fails if name is taken, empty or has a '/',
// if ch is a remote end's channel (its home is elsewhere), and with ErrClosed once n is closed.
func Export[T any](n *Node, name string, ch *csp.Chan[T], opts ...ExportOption) error {
	if n == nil {
		panic("net: Export on a nil *Node")
	}
	if ch == nil {
		panic("net: Export of a nil channel")
	}
	if name == "" || strings.ContainsRune(name, '/') || len(name) > maxField {
		return fmt.Errorf("net: Export(%q): a name is 1 to %d bytes without '/'", name, maxField)
	}
	if home := ch.Stats().Home; home != "" {
		// Its buffer and its matches live at that home: served here, the first peer's operation
		// would end the process (csp's transport calls refuse a remote end).
		return fmt.Errorf("net: Export(%q): the channel's home is %s; export a channel from its home", name, home)
	}
	e := &export[T]{ch: ch, name: name, o: endOpts(opts), typ: typeName(reflect.TypeFor[T]())}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return wrapf(ErrClosed, "net: Export(%q)", name)
	}
	if _, dup := n.exports[name]; dup {
		n.mu.Unlock()
		return fmt.Errorf("net: Export(%q): the name is already exported", name)
	}
	n.exports[name] = e
	n.mu.Unlock()
	if n.opts.names == "" || strings.HasPrefix(name, namesHello) {
		return nil
	}
	ctx, cancel := context.WithTimeout(n.closing, n.opts.handshake)
	defer cancel()
	if _, err := n.ask(ctx, NameRequest{Op: "register", Name: name}); err != nil {
		n.unexport(name)
		return wrapf(err, "net: Export(%q): registering", name)
	}
	return nil
}

// unexport stops exporting name; ends already open stay served.
func (n *Node) unexport(name string) {
	n.mu.Lock()
	delete(n.exports, name)
	n.mu.Unlock()
}

func (n *Node) lookup(name string) exporter {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.exports[name]
}

// splitAddr splits "host:port/name".
func splitAddr(s string) (addr, name string, err error) {
	i := strings.LastIndexByte(s, '/')
	if i <= 0 || i == len(s)-1 {
		return "", "", fmt.Errorf("net: %q is not host:port/name", s)
	}
	return s[:i], s[i+1:], nil
}
