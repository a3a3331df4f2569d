package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// errBlocked marks a dial the address guard rejected.
var errBlocked = errors.New("address not allowed")

// addressGuard resolves a gateway host itself and dials the checked IP, so
// a token cannot point the relay at its own loopback or at a cloud
// metadata address, and DNS rebinding between check and dial cannot swap
// the address.
type addressGuard struct {
	allowed  map[string]bool // "host" (any port) or "host:port", lower case
	resolver interface {
		LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	}
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	dialTimeout time.Duration
}

func newAddressGuard(hosts []string, resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *addressGuard {
	g := &addressGuard{allowed: map[string]bool{}, resolver: resolver, dial: dial}
	for _, h := range hosts {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			g.allowed[h] = true
		}
	}
	return g
}

func (g *addressGuard) hostAllowed(host, port string) bool {
	host = strings.ToLower(host)
	return g.allowed[host] || g.allowed[net.JoinHostPort(host, port)] || g.allowed[host+":"+port]
}

// restricted reports whether an address may only be dialled for a listed
// host: loopback, link-local (including 169.254.169.254), unspecified and
// multicast.
func restricted(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast()
}

// DialContext resolves addr, rejects it when any of its addresses is
// restricted and the host is not listed, and dials the first address that
// answers.
func (g *addressGuard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if g.dialTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.dialTimeout)
		defer cancel()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	if !g.hostAllowed(host, port) {
		for _, ip := range ips {
			if restricted(ip) {
				return nil, fmt.Errorf("%w: %s resolves to %s; list the host in RELAY_GATEWAY_HOSTS", errBlocked, host, ip)
			}
		}
	}
	var lastErr error
	for _, ip := range ips {
		conn, err := g.dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func (g *addressGuard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	addrs, err := g.resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			ips = append(ips, ip.Unmap())
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("lookup %s: no addresses", host)
	}
	return ips, nil
}
