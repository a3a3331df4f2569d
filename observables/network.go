package observables

import "net/netip"

const (
	expectedIP   = "an IPv4 address such as 192.0.2.10"
	expectedIPv6 = "an IPv6 address such as 2001:db8::1"
)

// normalizeIP accepts an IPv4 address, also when written as an
// IPv4-mapped IPv6 address, and returns it in dotted-decimal form.
func normalizeIP(value string) (string, error) {
	addr, err := netip.ParseAddr(value)
	if err != nil {
		return "", reject(IP, value, "is not an IP address", expectedIP)
	}

	addr = addr.Unmap()
	if !addr.Is4() {
		return "", reject(IP, value, "is an IPv6 address; use the ipv6 type", expectedIP)
	}
	return addr.String(), nil
}

// normalizeIPv6 returns the canonical form of RFC 5952: lower case, zeros
// compressed. An IPv4-mapped address stays in its IPv6 form.
func normalizeIPv6(value string) (string, error) {
	addr, err := netip.ParseAddr(value)
	if err != nil {
		return "", reject(IPv6, value, "is not an IP address", expectedIPv6)
	}

	switch {
	case addr.Is4():
		return "", reject(IPv6, value, "is an IPv4 address; use the ip type", expectedIPv6)
	case addr.Zone() != "":
		return "", reject(IPv6, value, "has a zone, which only means something on one host", expectedIPv6)
	}
	return addr.String(), nil
}
