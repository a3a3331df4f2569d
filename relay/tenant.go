package relay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/securex-esa/relay/gateway"
)

// Tenant identifies a credential set in shared state without revealing it:
// an HMAC, under the operator's state key, of every gateway URL, flavour,
// user, password and CA of the module. Two modules that differ in any of
// them, the password included, never share a cache entry or an
// idempotency record.
func Tenant(stateKey []byte, m *Module) string {
	mac := hmac.New(sha256.New, stateKey)
	write := func(s string) {
		// A length prefix keeps "ab"+"c" apart from "a"+"bc".
		mac.Write([]byte{byte(len(s) >> 24), byte(len(s) >> 16), byte(len(s) >> 8), byte(len(s))})
		mac.Write([]byte(s))
	}
	for _, g := range m.Gateways {
		writeConfig(write, g)
	}
	if m.ESAConfig != nil {
		write("esa-config")
		writeConfig(write, *m.ESAConfig)
	}
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

func writeConfig(write func(string), g gateway.Config) {
	write(strings.ToLower(g.BaseURL))
	write(string(g.API))
	write(g.User)
	write(g.Password.Reveal())
	write(g.CAPEM)
}

// Key builds a state key for a tenant. The tenant sits inside a Redis
// Cluster hash tag so that all keys of one request map to one slot and can
// be read with one MGET.
func Key(tenant string, parts ...string) string {
	return "relay:{" + tenant + "}:" + strings.Join(parts, ":")
}
