package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

func TestClaimRejections(t *testing.T) {
	cases := []struct {
		name  string
		claim string
		value any
		want  string
	}{
		{"url missing", ClaimGatewayURL, nil, "GATEWAY_URL claim is missing"},
		{"url not a string", ClaimGatewayURL, 5, "GATEWAY_URL claim must be a string"},
		{"url http", ClaimGatewayURL, "http://127.0.0.1:6443", "GATEWAY_URL claim is invalid"},
		{"url user info", ClaimGatewayURL, "https://admin:hunter2@127.0.0.1:6443", "GATEWAY_URL claim is invalid"},
		{"url path", ClaimGatewayURL, "https://127.0.0.1:6443/sma/api", "GATEWAY_URL claim is invalid"},
		{"url query", ClaimGatewayURL, "https://127.0.0.1:6443?x=1", "GATEWAY_URL claim is invalid"},
		{"url fragment", ClaimGatewayURL, "https://127.0.0.1:6443#x", "GATEWAY_URL claim is invalid"},
		{"url empty port", ClaimGatewayURL, "https://127.0.0.1:", "GATEWAY_URL claim is invalid"},
		{"too many urls", ClaimGatewayURL, strings.Repeat("https://127.0.0.1:6443,", 5) + "https://127.0.0.1:6443", "at most 5"},
		{"loopback port not allowed", ClaimGatewayURL, "https://127.0.0.1:22", "not in RELAY_GATEWAY_HOSTS"},
		{"loopback default port not allowed", ClaimGatewayURL, "https://127.0.0.1", "not in RELAY_GATEWAY_HOSTS"},
		{"other loopback address", ClaimGatewayURL, "https://127.0.0.2:6443", "not in RELAY_GATEWAY_HOSTS"},
		{"ipv6 loopback", ClaimGatewayURL, "https://[::1]:6443", "not in RELAY_GATEWAY_HOSTS"},
		{"second url not allowed", ClaimGatewayURL, "https://127.0.0.1:6443, https://127.0.0.1:8080", "not in RELAY_GATEWAY_HOSTS"},
		{"api foo", ClaimGatewayAPI, "foo", "GATEWAY_API claim is invalid"},
		{"user missing", ClaimGatewayUser, nil, "GATEWAY_USER claim is missing"},
		{"user with colon", ClaimGatewayUser, "a:b", "GATEWAY_USER claim is invalid"},
		{"password missing", ClaimGatewayPassword, "", "GATEWAY_PASSWORD claim is missing"},
		{"password not a string", ClaimGatewayPassword, 12345, "GATEWAY_PASSWORD claim must be a string"},
		{"ca not pem", ClaimGatewayCAPEM, "not a certificate", "GATEWAY_CA_PEM claim has no PEM certificate"},
		{"ui url http", ClaimGatewayUIURL, "http://127.0.0.1", "GATEWAY_UI_URL claim is invalid"},
		{"esa config not allowed", ClaimESAConfigURL, "https://127.0.0.1:9443", "ESA_CONFIG_URL claim names a host"},
		{"dictionary with slash", ClaimBlockDictionary, "a/b", "BLOCK_DICTIONARY claim is invalid"},
		{"forward other domain", ClaimForwardAddress, "soc@elsewhere.test", "not in RELAY_FORWARD_DOMAINS"},
		{"forward display name", ClaimForwardAddress, "SOC <soc@example.com>", "FORWARD_ADDRESS claim is invalid"},
		{"entities 5000", ClaimEntitiesLimit, "5000", "CTR_ENTITIES_LIMIT claim is invalid"},
		{"entities zero", ClaimEntitiesLimit, 0, "CTR_ENTITIES_LIMIT claim is invalid"},
		{"entities text", ClaimEntitiesLimit, "many", "CTR_ENTITIES_LIMIT claim is invalid"},
		{"entities bool", ClaimEntitiesLimit, true, "CTR_ENTITIES_LIMIT claim must be an integer"},
		{"lookback 91", ClaimLookbackDays, 91, "LOOKBACK_DAYS claim is invalid"},
		{"sub not a string", "sub", 7, "sub claim must be a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startEnv(t, testOptions())
			claims := validClaims()
			if tc.value == nil {
				delete(claims, tc.claim)
			} else {
				claims[tc.claim] = tc.value
			}

			r := env.post(t, "/health", hs256(t, claims), "")

			requireError(t, r, relay.CodeAuthorization)
			require.Contains(t, r.Errors[0].Message, tc.want)
			if s, ok := tc.value.(string); ok && len(s) > 3 {
				require.NotContains(t, r.Raw, s, "the message must not repeat the claim value")
			}
			require.Empty(t, env.Dialer.Dials())
			require.Empty(t, env.Services.Calls())
		})
	}
}

func TestLoopbackRejectedWithoutAllowList(t *testing.T) {
	for _, u := range []string{"https://127.0.0.1:6443", "https://localhost:6443", "https://[::1]:443", "https://[::ffff:127.0.0.1]:443"} {
		t.Run(u, func(t *testing.T) {
			o := testOptions()
			o.Token.GatewayHosts = nil
			env := startEnv(t, o)
			claims := validClaims()
			claims[ClaimGatewayURL] = u

			r := env.post(t, "/health", hs256(t, claims), "")

			requireError(t, r, relay.CodeAuthorization)
			require.Contains(t, r.Errors[0].Message, "loopback or link-local")
		})
	}
}

func TestClaimsBuildModule(t *testing.T) {
	env := startEnv(t, testOptions())
	ca := testCAPEM(t)
	claims := validClaims()
	claims[ClaimGatewayURL] = "https://127.0.0.1:6443/, https://LOCALHOST:8443"
	claims[ClaimGatewayAPI] = "ESA"
	claims[ClaimGatewayCAPEM] = strings.ReplaceAll(ca, "\n", `\n`)
	claims[ClaimESAConfigURL] = "https://localhost:9443"
	claims[ClaimESAConfigUser] = "config-user"
	claims[ClaimBlockDictionary] = "relay_block"
	claims[ClaimForwardAddress] = "soc@Example.com"
	claims[ClaimEntitiesLimit] = "250"
	claims[ClaimLookbackDays] = 7
	claims["user"] = "analyst"

	r := env.post(t, "/health", hs256(t, claims), "")

	require.Empty(t, r.Errors, r.Raw)
	m := env.Services.Calls()[0].Module
	require.Len(t, m.Gateways, 2)
	require.Equal(t, gateway.Config{BaseURL: "https://127.0.0.1:6443", API: gateway.ESA, User: "api-user", Password: testPassword, CAPEM: ca}, m.Gateways[0])
	require.Equal(t, "https://localhost:8443", m.Gateways[1].BaseURL)
	require.Equal(t, "https://127.0.0.1", m.UIURL)
	require.NotNil(t, m.ESAConfig)
	require.Equal(t, gateway.Config{BaseURL: "https://localhost:9443", API: gateway.ESA, User: "config-user", Password: testPassword, CAPEM: ca}, *m.ESAConfig)
	require.Equal(t, "relay_block", m.BlockDictionary)
	require.Equal(t, "soc@Example.com", m.ForwardAddress)
	require.Equal(t, 250, m.EntitiesLimit)
	require.Equal(t, 7, m.LookbackDays)
	require.Equal(t, "analyst", m.Subject)
}

func TestClaimDefaults(t *testing.T) {
	env := startEnv(t, testOptions())

	r := env.post(t, "/health", hs256(t, validClaims()), "")

	require.Empty(t, r.Errors, r.Raw)
	m := env.Services.Calls()[0].Module
	require.Equal(t, gateway.SMA, m.Gateways[0].API)
	require.Equal(t, 100, m.EntitiesLimit)
	require.Equal(t, 30, m.LookbackDays)
	require.Nil(t, m.ESAConfig)
	require.Empty(t, m.ForwardAddress)
	require.Empty(t, m.Subject)
}

func TestClaimNamesCoverTable(t *testing.T) {
	require.Len(t, ClaimNames, 13)
	for _, n := range ClaimNames {
		require.Equal(t, strings.ToUpper(n), n)
	}
}

// testCAPEM returns a throwaway self-signed CA certificate in PEM.
func testCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay test CA"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestCAPEMCacheKeepsOnlyValidClaims(t *testing.T) {
	r := newClaimReader(testOptions().Token)
	ca := testCAPEM(t)
	valid := claimSet{ClaimGatewayCAPEM: strings.ReplaceAll(ca, "\n", `\n`)}
	invalid := claimSet{ClaimGatewayCAPEM: "not a certificate"}

	for range 2 {
		got, err := valid.caPEM(&r.caPEMs)
		require.NoError(t, err)
		require.Equal(t, ca, got)
	}
	for range 2 {
		_, err := invalid.caPEM(&r.caPEMs)
		require.ErrorContains(t, err, "has no PEM certificate")
	}
	require.Len(t, r.caPEMs.pems, 1)
}

func TestCAPEMCacheIsBounded(t *testing.T) {
	var c caPEMCache
	c.pems = map[string]string{}
	for i := range maxCachedCAPEMs + 5 {
		c.put(fmt.Sprint("claim-", i), "pem")
	}
	require.LessOrEqual(t, len(c.pems), maxCachedCAPEMs)
	_, ok := c.get(fmt.Sprint("claim-", maxCachedCAPEMs+4))
	require.True(t, ok)
}
