package net

import (
	"context"
	"fmt"
	gonet "net"
	"slices"
	"strconv"
	"strings"
)

// A Resolver finds the nodes behind a service name: the addresses (host:port) to open ends at, as
// address+"/"+channel. GoCSP does not manage a cluster; it finds nodes the way the cluster it runs
// on publishes them.
type Resolver interface {
	Resolve(ctx context.Context, service string) ([]string, error)
}

// StaticResolver is a fixed list of nodes per service, for a handful of known hosts.
type StaticResolver map[string][]string

// Resolve returns the service's addresses, or an error if it has none.
func (s StaticResolver) Resolve(_ context.Context, service string) ([]string, error) {
	if a := s[service]; len(a) > 0 {
		return slices.Clone(a), nil
	}
	return nil, fmt.Errorf("net: no nodes for %q in the static list", service)
}

// SRVResolver finds nodes through DNS SRV records, the way a Kubernetes headless service (with a
// port named gocsp) or Consul publishes them: service "workers.farm.svc.cluster.local" is looked up
// as _gocsp._tcp.workers.farm.svc.cluster.local, and each record gives a node's host and port.
// Nodes come in the records' priority order, weights shuffled within a priority as RFC 2782 says.
type SRVResolver struct {
	// Name and Proto are the SRV record's service and protocol labels: "gocsp" and "tcp" if empty.
	Name, Proto string
	// DNS is the resolver to ask; net.DefaultResolver if nil.
	DNS *gonet.Resolver
}

// Resolve looks the service up.
func (r SRVResolver) Resolve(ctx context.Context, service string) ([]string, error) {
	name, proto, dns := r.Name, r.Proto, r.DNS
	if name == "" {
		name = "gocsp"
	}
	if proto == "" {
		proto = "tcp"
	}
	if dns == nil {
		dns = gonet.DefaultResolver
	}
	_, srvs, err := dns.LookupSRV(ctx, name, proto, service)
	if err != nil {
		return nil, fmt.Errorf("net: SRV records of _%s._%s.%s: %w", name, proto, service, err)
	}
	addrs := make([]string, 0, len(srvs))
	for _, s := range srvs {
		if s.Target == "." { // "no such service here" (RFC 2782)
			continue
		}
		addrs = append(addrs, gonet.JoinHostPort(strings.TrimSuffix(s.Target, "."), strconv.Itoa(int(s.Port))))
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("net: no nodes in the SRV records of _%s._%s.%s", name, proto, service)
	}
	return addrs, nil
}
