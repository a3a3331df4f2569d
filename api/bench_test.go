package api

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// benchServer builds a server on the fixed test clock with fakes behind it.
func benchServer(b *testing.B, o Options) *Server {
	b.Helper()
	f := &fakeServices{}
	o.Enricher, o.Responder, o.HealthChecker = f, f, f
	srv, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// benchKeyServer serves pub as key k1 over HTTPS on loopback.
func benchKeyServer(b *testing.B, pub *rsa.PublicKey) *httptest.Server {
	b.Helper()
	doc := map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	b.Cleanup(ts.Close)
	return ts
}

func benchSign(b *testing.B, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	b.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchVerify measures Verify alone. The first call, outside the timer,
// proves the token is accepted and warms the key cache.
func benchVerify(b *testing.B, srv *Server, header string) {
	b.Helper()
	ctx := context.Background()
	if _, err := srv.verifier.Verify(ctx, header); err != nil {
		b.Fatalf("the benchmark token is rejected: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := srv.verifier.Verify(ctx, header); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHS256(b *testing.B) {
	srv := benchServer(b, testOptions())
	token := benchSign(b, jwt.SigningMethodHS256, []byte(testSecret), "", validClaims())

	benchVerify(b, srv, "Bearer "+token)
}

func BenchmarkVerifyRS256CachedKey(b *testing.B) {
	ks := benchKeyServer(b, &testKey.PublicKey)
	host := strings.TrimPrefix(ks.URL, "https://")
	roots := x509.NewCertPool()
	roots.AddCert(ks.Certificate())
	o := rsOptions()
	o.Token.JWKSHosts = []string{host}
	o.JWKS.RootCAs = roots
	dialer := &dialRecorder{allowed: map[string]bool{host: true}}
	o.JWKS.DialContext = dialer.DialContext
	srv := benchServer(b, o)
	claims := rsClaims()
	claims[JWKSHostClaim] = host
	token := benchSign(b, jwt.SigningMethodRS256, testKey, "k1", claims)

	benchVerify(b, srv, "Bearer "+token)

	b.StopTimer()
	if n := len(dialer.Dials()); n != 1 {
		b.Fatalf("the key set was fetched over %d connections; expected 1, then only cached keys", n)
	}
}

// benchObservableList is n distinct observables cycling through the
// supported types, as the platform sends them.
func benchObservableList(n int) []byte {
	kinds := []func(i int) (string, string){
		func(i int) (string, string) { return "email", fmt.Sprintf("user%d@example.com", i) },
		func(i int) (string, string) { return "ip", fmt.Sprintf("192.0.2.%d", i%250+1) },
		func(i int) (string, string) { return "domain", fmt.Sprintf("host%d.example.com", i) },
		func(i int) (string, string) { return "url", fmt.Sprintf("https://host%d.example.com/path?q=%d", i, i) },
		func(i int) (string, string) { return "sha256", fmt.Sprintf("%064x", i) },
		func(i int) (string, string) { return "email_subject", fmt.Sprintf("Invoice %d overdue", i) },
		func(i int) (string, string) { return "email_messageid", fmt.Sprintf("<%d.abc@mail.example.com>", i) },
		func(i int) (string, string) { return "file_name", fmt.Sprintf("invoice-%d.xlsm", i) },
	}
	list := make([]map[string]string, n)
	for i := range list {
		typ, value := kinds[i%len(kinds)](i)
		list[i] = map[string]string{"type": typ, "value": value}
	}
	body, _ := json.Marshal(list)
	return body
}

func BenchmarkDecodeObservables100(b *testing.B) {
	body := benchObservableList(100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		obs, warnings, err := DecodeObservables(body, DefaultMaxObservables)
		if err != nil || len(warnings) != 0 || len(obs) != 100 {
			b.Fatalf("decoded %d observables, %d warnings, err %v", len(obs), len(warnings), err)
		}
	}
}
