package net

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gocsp/gocsp/csp"
)

// The name server is built from the package's own remote channels, so it has the links' security
// and failure detection for free. A client node exports two channels of its own, "gocsp.names.req"
// and "gocsp.names.reply", and says hello on the server's "gocsp.names" (with a writer it retires at
// once, so that its loss never poisons the server's channel). The server then opens a reader of the
// client's requests and a writer of its replies, and serves them in a session process; when the
// client's link is lost (within the heartbeat bound and the reconnection window of its failing),
// the session's read fails with ErrLinkLost, and the session's registrations are dropped.
const (
	namesHello = "gocsp.names"
	namesReq   = "gocsp.names.req"
	namesReply = "gocsp.names.reply"
)

// Limits of a name server: what one client may hold, and how many clients it serves.
const (
	maxSessions     = 1024
	maxNamesPerPeer = 1024
)

// NameHello, NameRequest and NameReply are the name server's messages (exported, so that the codec carries their fields).
type (
	// NameHello opens a session: Addr is the client node's address.
	NameHello struct{ Addr string }
	// NameRequest registers, unregisters or looks up Name ("register", "unregister", "lookup").
	NameRequest struct{ Op, Name string }
	// NameReply answers a NameRequest: the address of the node that exports the name (lookup), or
	// why the request failed.
	NameReply struct{ Addr, Err string }
)

// ErrNameTaken is returned when a name is registered by another live node.
var ErrNameTaken = errors.New("net: name registered by another node")

// ServeNames makes n a name server: other nodes (WithNameServer(n.Addr())) register the channels
// they export with it and look names up. A node's registrations are dropped when its link to the
// server is lost, so a dead node's names go within the heartbeat bound and the reconnection window
// (WithReconnectWindow; a blip within it keeps them). It serves until n closes.
func ServeNames(n *Node) error {
	r, err := exportHello(n)
	if err != nil {
		return err
	}
	s := &nameServer{n: n, names: map[string]string{}, owned: map[string]int{}, sessions: map[string]bool{}}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			h, err := r.ReadContext(n.closing)
			if n.closing.Err() != nil {
				return
			}
			if err != nil {
				// Poisoned by a client (through its writer end): a fresh channel serves the
				// others.
				n.unexport(namesHello)
				if r, err = exportHello(n); err != nil {
					return
				}
				continue
			}
			s.start(h.Addr)
		}
	}()
	return nil
}

// exportHello exports the name server's hello channel. The server holds a writer end of it that it
// never uses, so that the channel does not retire when the clients' writers, each used once, do.
func exportHello(n *Node) (*csp.Reader[NameHello], error) {
	hello := csp.NewChan[NameHello](csp.Named(namesHello))
	// Leave, whatever the default: a client lost in the middle of its hello must not poison the
	// channel every other client says hello on.
	if err := Export(n, namesHello, hello, OnLinkLost(LeaveOnLinkLost)); err != nil {
		return nil, err
	}
	hello.Writer()
	return hello.Reader(), nil
}

type nameServer struct {
	n        *Node
	mu       sync.Mutex
	names    map[string]string // name → the address of the node that registered it
	owned    map[string]int    // node address → how many names it holds
	sessions map[string]bool   // node addresses with a live session (one each)
}

// start opens a session with the node at addr, unless it has too many or cannot be reached.
func (s *nameServer) start(addr string) {
	s.mu.Lock()
	if len(s.sessions) >= maxSessions || s.sessions[addr] || addr == "" || len(addr) > maxField {
		s.mu.Unlock()
		return
	}
	s.sessions[addr] = true
	s.mu.Unlock()
	s.n.wg.Add(1)
	go func() {
		defer s.n.wg.Done()
		defer s.end(addr)
		ctx, cancel := context.WithCancel(s.n.closing)
		defer cancel()
		req, err := OpenReader[NameRequest](ctx, s.n, addr+"/"+namesReq)
		if err != nil {
			return
		}
		defer req.Retire()
		rep, err := OpenWriter[NameReply](ctx, s.n, addr+"/"+namesReply)
		if err != nil {
			return
		}
		defer rep.Retire()
		for {
			q, err := req.ReadContext(ctx)
			if err != nil {
				return // the node left, or its link is lost
			}
			if rep.WriteContext(ctx, s.serve(addr, q)) != nil {
				return
			}
		}
	}()
}

// serve answers one request of the node at addr.
func (s *nameServer) serve(addr string, q NameRequest) NameReply {
	if q.Name == "" || len(q.Name) > maxField || strings.ContainsRune(q.Name, '/') {
		return NameReply{Err: fmt.Sprintf("a name is 1 to %d bytes without '/'", maxField)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, taken := s.names[q.Name]
	switch q.Op {
	case "register":
		if taken && owner != addr {
			return NameReply{Err: fmt.Sprintf("%q is registered by %s", q.Name, owner)}
		}
		if !taken {
			if s.owned[addr] >= maxNamesPerPeer {
				return NameReply{Err: fmt.Sprintf("a node may register at most %d names", maxNamesPerPeer)}
			}
			s.names[q.Name] = addr
			s.owned[addr]++
		}
		return NameReply{Addr: addr}
	case "unregister":
		if taken && owner == addr {
			delete(s.names, q.Name)
			s.owned[addr]--
		}
		return NameReply{}
	case "lookup":
		if !taken {
			return NameReply{Err: fmt.Sprintf("%q is not registered", q.Name)}
		}
		return NameReply{Addr: owner}
	}
	return NameReply{Err: fmt.Sprintf("unknown request %q", q.Op)}
}

// end drops the registrations of a node whose session ended.
func (s *nameServer) end(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, addr)
	if s.owned[addr] > 0 {
		for name, a := range s.names {
			if a == addr {
				delete(s.names, name)
			}
		}
	}
	delete(s.owned, addr)
}

// WithNameServer makes the node a client of the name server at addr (a node that ServeNames): each
// Export registers its name there, and OpenReader and OpenWriter accept a bare channel name, looked
// up there. The node's names are dropped when it closes or its link to the server is lost.
func WithNameServer(addr string) Option { return func(o *options) { o.names = addr } }

// nameClient is a node's session with its name server, opened on first use.
type nameClient struct {
	mu  sync.Mutex // one request at a time
	req *csp.Writer[NameRequest]
	rep *csp.Reader[NameReply]
}

// ask sends one request to the node's name server and returns its answer.
func (n *Node) ask(ctx context.Context, q NameRequest) (string, error) {
	if n.opts.names == "" {
		return "", errors.New("net: no name server (WithNameServer)")
	}
	c := &n.namer
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.req == nil {
		req := csp.NewChan[NameRequest](csp.Named(namesReq))
		rep := csp.NewChan[NameReply](csp.Named(namesReply))
		if err := errors.Join(Export(n, namesReq, req), Export(n, namesReply, rep)); err != nil {
			return "", err
		}
		hello, err := OpenWriter[NameHello](ctx, n, n.opts.names+"/"+namesHello)
		if err != nil {
			return "", wrapf(err, "net: the name server")
		}
		err = hello.WriteContext(ctx, NameHello{Addr: n.addr})
		hello.Retire() // a lost link must not poison the server's hello channel
		if err != nil {
			return "", wrapf(err, "net: the name server")
		}
		c.req, c.rep = req.Writer(), rep.Reader()
	}
	if err := c.req.WriteContext(ctx, q); err != nil {
		return "", wrapf(err, "net: the name server")
	}
	r, err := c.rep.ReadContext(ctx)
	if err != nil {
		return "", wrapf(err, "net: the name server")
	}
	if r.Err != "" {
		if strings.Contains(r.Err, " is registered by ") {
			return "", wrapf(ErrNameTaken, "net: %s", r.Err)
		}
		return "", fmt.Errorf("net: the name server: %s", r.Err)
	}
	return r.Addr, nil
}

// Lookup asks the node's name server which node exports name, and returns its address.
func (n *Node) Lookup(ctx context.Context, name string) (string, error) {
	return n.ask(ctx, NameRequest{Op: "lookup", Name: name})
}

// Resolve is Lookup as a Resolver: the one node that exports the channel name.
func (n *Node) Resolve(ctx context.Context, name string) ([]string, error) {
	a, err := n.Lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	return []string{a}, nil
}

// wrapf wraps err under a message made as fmt.Sprintf(format, args...) makes it, as
// fmt.Errorf(format+": %w") would, but with the "net: " that err's own text begins with dropped, so
// that an error passed up through several layers of this package names the package once:
// `net: Export("jobs"): registering: the name server: dial tcp …`.
func wrapf(err error, format string, args ...any) error {
	return &wrapped{msg: fmt.Sprintf(format, args...), err: err}
}

// wrapped is wrapf's error.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg + ": " + strings.TrimPrefix(w.err.Error(), "net: ") }
func (w *wrapped) Unwrap() error { return w.err }
