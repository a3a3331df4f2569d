package api

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// gatewayURLs reads GATEWAY_URL: one to five comma-separated API base URLs.
func (r *claimReader) gatewayURLs(c claimSet) ([]*url.URL, error) {
	s, err := c.required(ClaimGatewayURL)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxGateways {
		return nil, claimError(ClaimGatewayURL, fmt.Sprintf("lists %d URLs; at most %d are accepted", len(parts), maxGateways))
	}
	urls := make([]*url.URL, 0, len(parts))
	for _, p := range parts {
		u, err := r.gatewayURL(ClaimGatewayURL, strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		urls = append(urls, u)
	}
	return urls, nil
}

// gatewayURL checks one API base URL: https://host[:port] with no user
// information, path, query or fragment, and a host the operator allows.
func (r *claimReader) gatewayURL(claim, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Opaque != "" || u.Host == "" {
		return nil, claimError(claim, "is invalid; expected https://host[:port]")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return nil, claimError(claim, "is invalid; expected https://host[:port] with no user, path, query or fragment")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if !validHost(host) || (port != "" && !validPort(port)) || (port == "" && strings.HasSuffix(u.Host, ":")) {
		return nil, claimError(claim, "is invalid; expected https://host[:port]")
	}

	if len(r.gatewayHosts) > 0 && !r.allowed(host, port) {
		return nil, claimError(claim, "names a host that is not in RELAY_GATEWAY_HOSTS")
	}
	if len(r.gatewayHosts) == 0 && internalHost(host) {
		return nil, claimError(claim, "names a loopback or link-local host; list it in RELAY_GATEWAY_HOSTS to allow it")
	}

	hostport := host
	if port != "" {
		hostport = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	return &url.URL{Scheme: "https", Host: hostport}, nil
}

// allowed matches a host against the allow-list: an entry "host" allows
// every port, "host:port" only that port, with 443 when the URL has none.
func (r *claimReader) allowed(host, port string) bool {
	if port == "" {
		port = "443"
	}
	for _, e := range r.gatewayHosts {
		if e == host || e == net.JoinHostPort(host, port) {
			return true
		}
	}
	return false
}

// internalHost reports hosts that name this machine or a link-local
// address, where cloud metadata services answer. Names that resolve there
// are refused by the gateway dialer; this check only catches literals early.
func internalHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsLinkLocalMulticast()
}
