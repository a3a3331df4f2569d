package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AuthError is a rejected request: its message says what is wrong with the
// Authorization header, the token or one of its claims, and never repeats
// the token or a claim value.
type AuthError struct {
	Message string
}

// Error returns the message.
func (e *AuthError) Error() string { return e.Message }

func authErrorf(format string, args ...any) *AuthError {
	return &AuthError{Message: fmt.Sprintf(format, args...)}
}

// JWKSHostClaim names the RS256 token claim that selects the key server; the
// module type declares it as custom_jwks_host.
const JWKSHostClaim = "jwks_host"

// headers a token may not carry: each one asks the verifier to fetch or
// trust a key the token itself chooses.
var forbiddenHeaders = []string{"jku", "jwk", "x5u", "x5c", "crit"}

// verifier checks configuration tokens. Every check that needs no key runs
// before a key is looked up, so a token that fails one causes no outbound
// call.
type verifier struct {
	opts      TokenOptions
	jwksHosts map[string]bool
	jwks      *jwksCache
	now       func() time.Time
}

func newVerifier(opts TokenOptions, jwks *jwksCache, now func() time.Time) *verifier {
	hosts := map[string]bool{}
	for _, h := range opts.JWKSHosts {
		if n, err := normalizeHostEntry(h); err == nil {
			hosts[n] = true
		}
	}
	return &verifier{opts: opts, jwksHosts: hosts, jwks: jwks, now: now}
}

// Verify checks the Authorization header value and returns the token's
// claims. The error is always an *AuthError.
func (v *verifier) Verify(ctx context.Context, header string) (jwt.MapClaims, error) {
	raw, err := v.bearer(header)
	if err != nil {
		return nil, err
	}

	parser := jwt.NewParser(jwt.WithJSONNumber())
	claims := jwt.MapClaims{}
	token, _, err := parser.ParseUnverified(raw, claims)
	if err != nil {
		return nil, authErrorf("Authorization failed: the token is not a well-formed JWT.")
	}
	if err := checkHeader(token); err != nil {
		return nil, err
	}
	if err := v.checkTimesAndAudience(claims); err != nil {
		return nil, err
	}

	switch token.Method.Alg() {
	case jwt.SigningMethodHS256.Alg():
		return v.verifyHS256(raw)
	case jwt.SigningMethodRS256.Alg():
		return v.verifyRS256(ctx, raw, token, claims)
	default:
		return nil, authErrorf("Authorization failed: the token's algorithm %s is not accepted; use RS256 or HS256.", quote(token.Method.Alg(), 16))
	}
}

// bearer extracts the token from "Bearer <token>" and checks its size
// before anything parses it.
func (v *verifier) bearer(header string) (string, error) {
	if strings.TrimSpace(header) == "" {
		return "", authErrorf("Authorization failed: the Authorization header is missing.")
	}
	scheme, raw, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", authErrorf("Authorization failed: wrong authorization type; expected \"Bearer <token>\".")
	}
	raw = strings.TrimSpace(raw)
	if len(raw) > v.opts.MaxTokenSize {
		return "", authErrorf("Authorization failed: the token has %d bytes, more than the limit of %d.", len(raw), v.opts.MaxTokenSize)
	}
	if raw == "" {
		return "", authErrorf("Authorization failed: the bearer token is empty.")
	}
	return raw, nil
}

func checkHeader(token *jwt.Token) error {
	if token.Method == nil || token.Method.Alg() == "none" {
		return authErrorf("Authorization failed: unsigned tokens (alg \"none\") are not accepted.")
	}
	for _, h := range forbiddenHeaders {
		if _, ok := token.Header[h]; ok {
			return authErrorf("Authorization failed: the token header %q is not accepted; keys come only from the relay's configuration.", h)
		}
	}
	if kid, ok := token.Header["kid"]; ok {
		s, isString := kid.(string)
		if !isString || !validKID(s) {
			return authErrorf("Authorization failed: the token's kid header is invalid; expected up to 128 letters, digits, '-', '_' or '.'.")
		}
	}
	return nil
}

// validKID accepts key ids that cannot act as a path or URL fragment.
func validKID(kid string) bool {
	if kid == "" || len(kid) > 128 || strings.Contains(kid, "..") {
		return false
	}
	for _, r := range kid {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// checkTimesAndAudience runs the claim checks that need no key, so that an
// expired or misdirected token is rejected before any key is fetched.
func (v *verifier) checkTimesAndAudience(claims jwt.MapClaims) error {
	opts := []jwt.ParserOption{jwt.WithLeeway(v.opts.Leeway), jwt.WithTimeFunc(v.now), jwt.WithIssuedAt()}
	if v.opts.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.opts.Audience))
	}
	err := jwt.NewValidator(opts...).Validate(claims)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrTokenExpired):
		return authErrorf("Authorization failed: the token has expired.")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return authErrorf("Authorization failed: the token is not valid yet (nbf is in the future).")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return authErrorf("Authorization failed: the token is not valid yet (iat is in the future); check the clock of the token's issuer.")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return authErrorf("Authorization failed: the token's aud claim does not name this relay; set the module's configuration-token audience to RELAY_AUDIENCE.")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && v.opts.Audience != "":
		return authErrorf("Authorization failed: the token has no aud claim; this relay requires one.")
	default:
		return authErrorf("Authorization failed: the token's exp, nbf, iat or aud claim is invalid.")
	}
}

func (v *verifier) verifyHS256(raw string) (jwt.MapClaims, error) {
	if len(v.opts.Secret) == 0 {
		return nil, authErrorf("Authorization failed: HS256 tokens are not accepted because RELAY_JWT_SECRET is not set.")
	}
	claims := jwt.MapClaims{}
	_, err := v.parser(jwt.SigningMethodHS256).ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		return v.opts.Secret, nil
	})
	if err != nil {
		return nil, signatureError(err)
	}
	return claims, nil
}

func (v *verifier) verifyRS256(ctx context.Context, raw string, token *jwt.Token, unverified jwt.MapClaims) (jwt.MapClaims, error) {
	if !v.opts.rs256Enabled() {
		return nil, authErrorf("Authorization failed: RS256 tokens are not accepted because RELAY_AUDIENCE or RELAY_GATEWAY_HOSTS is not set.")
	}
	host, err := v.jwksHost(unverified)
	if err != nil {
		return nil, err
	}
	kid, _ := token.Header["kid"].(string)
	if kid == "" {
		return nil, authErrorf("Authorization failed: the token header has no kid.")
	}
	key, err := v.jwks.Key(ctx, host, kid)
	switch {
	case errors.Is(err, ErrUnknownKID):
		return nil, authErrorf("Authorization failed: the key id in the token header is not in the key set of %s.", host)
	case err != nil:
		return nil, authErrorf("Authorization failed: the key set of %s could not be fetched; try again later.", host)
	}

	claims := jwt.MapClaims{}
	_, err = v.parser(jwt.SigningMethodRS256).ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		return key, nil
	})
	if err != nil {
		return nil, signatureError(err)
	}
	return claims, nil
}

// jwksHost reads jwks_host and checks it against the allow-list.
func (v *verifier) jwksHost(claims jwt.MapClaims) (string, error) {
	raw, ok := claims[JWKSHostClaim]
	if !ok {
		return "", authErrorf("Authorization failed: the jwks_host claim is missing; declare custom_jwks_host in the module type.")
	}
	s, ok := raw.(string)
	if !ok {
		return "", authErrorf("Authorization failed: the jwks_host claim must be a string.")
	}
	host, err := normalizeHostEntry(s)
	if err != nil || !v.jwksHosts[host] {
		return "", authErrorf("Authorization failed: the jwks_host claim names a host that is not in RELAY_JWKS_HOSTS.")
	}
	return host, nil
}

// parser verifies one algorithm only, which closes RS/HS confusion: an
// HS256 token is never checked against an RSA key and the reverse.
func (v *verifier) parser(m jwt.SigningMethod) *jwt.Parser {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{m.Alg()}),
		jwt.WithJSONNumber(),
		jwt.WithLeeway(v.opts.Leeway),
		jwt.WithTimeFunc(v.now),
		jwt.WithIssuedAt(),
	}
	if v.opts.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.opts.Audience))
	}
	return jwt.NewParser(opts...)
}

func signatureError(err error) error {
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		return authErrorf("Authorization failed: the token's signature is invalid.")
	}
	return authErrorf("Authorization failed: the token could not be verified.")
}
