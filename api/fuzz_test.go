package api

import (
	"context"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/relay"
)

func FuzzDecodeObservables(f *testing.F) {
	seeds := []string{
		`[{"type":"ip","value":"192.0.2.1"}]`,
		`[{"type":"IP","value":"192.0.2.1"},{"type":"ip","value":"192.0.2.1"}]`,
		`[{"type":"hostname","value":"x"},{"type":"email","value":"a@example.com","extra":1}]`,
		`{"type":"ip","value":"1"}`,
		`[[[[[[[[[[]]]]]]]]]]`,
		`[{"type":null,"value":"x"}]`,
		"[{\"type\":\"ip\",\"value\":\"\xff\"}]",
		`[] []`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		obs, warnings, err := DecodeObservables(body, 3)
		if err != nil {
			var re *relay.Error
			require.True(t, errors.As(err, &re))
			require.Equal(t, relay.CodeInvalidArgument, re.Code)
			require.Nil(t, obs)
			return
		}
		require.LessOrEqual(t, len(obs), 3)
		require.LessOrEqual(t, len(warnings), 1)
		seen := map[string]bool{}
		for _, o := range obs {
			require.Equal(t, strings.ToLower(string(o.Type)), string(o.Type))
			require.NotEmpty(t, strings.TrimSpace(o.Value))
			require.True(t, utf8.ValidString(o.Value))
			key := string(o.Type) + "\x00" + o.Value
			require.False(t, seen[key], "duplicate kept")
			seen[key] = true
		}
	})
}

// FuzzParseToken feeds arbitrary Authorization values to the verifier with
// RS256 and HS256 enabled. Keys for the allow-listed host are cached, so no
// input may cause a fetch: the dialer fails the test on any dial.
func FuzzParseToken(f *testing.F) {
	o := rsOptions()
	o.setDefaults()
	jwks := newJWKSCache(o.JWKS, o.Now, slog.New(slog.DiscardHandler))
	jwks.client.Transport = failingTransport{}
	now := o.Now()
	jwks.hosts["127.0.0.1:7443"] = &hostKeys{keys: map[string]*rsa.PublicKey{"k1": &testKey.PublicKey}, fetchedAt: now, attemptedAt: now}
	v := newVerifier(o.Token, jwks, o.Now)
	reader := newClaimReader(o.Token)

	claims := jwt.MapClaims{
		ClaimGatewayURL: "https://127.0.0.1:6443", ClaimGatewayUser: "u", ClaimGatewayPassword: "p",
		"aud": testAudience, JWKSHostClaim: "127.0.0.1:7443", "exp": now.Add(time.Hour).Unix(),
	}
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
	rs := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	rs.Header["kid"] = "k1"
	rsToken, _ := rs.SignedString(testKey)
	for _, s := range []string{"Bearer " + hs, "Bearer " + rsToken, "bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.e30.", "Basic x", ""} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, header string) {
		got, err := v.Verify(context.Background(), header)
		if err != nil {
			var ae *AuthError
			require.True(t, errors.As(err, &ae))
			require.NotEmpty(t, ae.Message)
			return
		}
		m, err := reader.Module(got)
		if err == nil {
			require.NotEmpty(t, m.Gateways)
		}
	})
}

// failingTransport panics on any request, so a key fetch fails the fuzz run.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("the verifier tried to fetch a key set")
}
