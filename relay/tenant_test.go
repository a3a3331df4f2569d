package relay_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

func TestTenantsMatchTenant(t *testing.T) {
	key := []byte("state-key-0123456789abcdef0123456")
	base := gateway.Config{BaseURL: "https://SMA.example.com:6443", API: gateway.SMA, User: "admin", Password: "pw", CAPEM: "ca"}
	esa := gateway.Config{BaseURL: "https://esa.example.com", API: gateway.ESA, User: "cfg", Password: "pw2"}
	cases := []struct {
		name   string
		module *relay.Module
	}{
		{"no gateway", &relay.Module{}},
		{"one gateway", &relay.Module{Gateways: []gateway.Config{base}}},
		{"two gateways", &relay.Module{Gateways: []gateway.Config{base, {BaseURL: "https://b.example.com", API: gateway.SMA}}}},
		{"with ESA config", &relay.Module{Gateways: []gateway.Config{base}, ESAConfig: &esa}},
	}
	tenants := relay.NewTenants(key)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := relay.Tenant(key, tc.module)
			require.Equal(t, want, tenants.Of(tc.module))
			require.Equal(t, want, tenants.Of(tc.module), "a reused HMAC must give the same tenant")
		})
	}
}

func TestTenantSeparatesFields(t *testing.T) {
	key := []byte("state-key-0123456789abcdef0123456")
	tenants := relay.NewTenants(key)
	a := &relay.Module{Gateways: []gateway.Config{{BaseURL: "https://a.example.com", User: "ab", Password: "c"}}}
	b := &relay.Module{Gateways: []gateway.Config{{BaseURL: "https://a.example.com", User: "a", Password: "bc"}}}
	otherPassword := &relay.Module{Gateways: []gateway.Config{{BaseURL: "https://a.example.com", User: "ab", Password: "d"}}}

	require.NotEqual(t, tenants.Of(a), tenants.Of(b))
	require.NotEqual(t, tenants.Of(a), tenants.Of(otherPassword))
	require.NotEqual(t, tenants.Of(a), relay.NewTenants([]byte("another-state-key-0123456789abcd")).Of(a))
}

func TestTenantsConcurrentUse(t *testing.T) {
	key := []byte("state-key-0123456789abcdef0123456")
	tenants := relay.NewTenants(key)
	modules := []*relay.Module{
		{Gateways: []gateway.Config{{BaseURL: "https://a.example.com", Password: "one"}}},
		{Gateways: []gateway.Config{{BaseURL: "https://b.example.com", Password: "two"}}},
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			m := modules[i%2]
			for range 100 {
				if got := tenants.Of(m); got != relay.Tenant(key, m) {
					t.Errorf("tenant %s differs from Tenant", got)
					return
				}
			}
		})
	}
	wg.Wait()
}
