package relay

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"
	"sync"

	"github.com/securex-esa/relay/gateway"
)

// Tenant identifies a credential set in shared state without revealing it:
// an HMAC, under the operator's state key, of every gateway URL, flavour,
// user, password and CA of the module. Two modules that differ in any of
// them, the password included, never share a cache entry or an
// idempotency record.
func Tenant(stateKey []byte, m *Module) string {
	h := tenantHash{mac: hmac.New(sha256.New, stateKey)}
	return h.sum(m)
}

// Tenants computes Tenant for one state key, reusing HMAC states between
// calls instead of keying a new one for every request. It is safe for
// concurrent use.
type Tenants struct {
	pool sync.Pool
}

// NewTenants returns a Tenants for the state key.
func NewTenants(stateKey []byte) *Tenants {
	key := bytes.Clone(stateKey)
	return &Tenants{pool: sync.Pool{New: func() any {
		return &tenantHash{mac: hmac.New(sha256.New, key)}
	}}}
}

// Of returns Tenant(stateKey, m).
func (t *Tenants) Of(m *Module) string {
	h := t.pool.Get().(*tenantHash)
	defer t.pool.Put(h)
	return h.sum(m)
}

// tenantHash is a keyed HMAC and a buffer for its input. The input is
// written to the HMAC once, from the buffer, since each Write of a string
// would copy it first.
type tenantHash struct {
	mac hash.Hash
	buf []byte
}

func (h *tenantHash) sum(m *Module) string {
	h.buf = h.buf[:0]
	for _, g := range m.Gateways {
		h.writeConfig(g)
	}
	if m.ESAConfig != nil {
		h.write("esa-config")
		h.writeConfig(*m.ESAConfig)
	}
	h.mac.Reset()
	h.mac.Write(h.buf)
	// The buffer holds passwords; none is left in it between calls.
	clear(h.buf)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.mac.Sum(sum[:0])[:16])
}

func (h *tenantHash) writeConfig(g gateway.Config) {
	h.write(strings.ToLower(g.BaseURL))
	h.write(string(g.API))
	h.write(g.User)
	h.write(g.Password.Reveal())
	h.write(g.CAPEM)
}

// write adds s with a length prefix, which keeps "ab"+"c" apart from
// "a"+"bc".
func (h *tenantHash) write(s string) {
	h.buf = binary.BigEndian.AppendUint32(h.buf, uint32(len(s)))
	h.buf = append(h.buf, s...)
}

// Key builds a state key for a tenant. The tenant sits inside a Redis
// Cluster hash tag so that all keys of one request map to one slot and can
// be read with one MGET.
func Key(tenant string, parts ...string) string {
	return "relay:{" + tenant + "}:" + strings.Join(parts, ":")
}
