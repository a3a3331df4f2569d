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
	// parser reads, verifies and validates a token in one pass. It is
	// built once, because a jwt.Parser is safe for concurrent use once
	// its options are set.
	parser *jwt.Parser
	// validator runs the time and audience checks before the key lookup.
	validator *jwt.Validator
}

func newVerifier(opts TokenOptions, jwks *jwksCache, now func() time.Time) *verifier {
	hosts := map[string]bool{}
	for _, h := range opts.JWKSHosts {
		if n, err := normalizeHostEntry(h); err == nil {
			hosts[n] = true
		}
	}
	checks := []jwt.ParserOption{jwt.WithLeeway(opts.Leeway), jwt.WithTimeFunc(now), jwt.WithIssuedAt()}
	if opts.Audience != "" {
		checks = append(checks, jwt.WithAudience(opts.Audience))
	}
	return &verifier{
		opts: opts, jwksHosts: hosts, jwks: jwks, now: now,
		parser:    jwt.NewParser(append([]jwt.ParserOption{jwt.WithJSONNumber()}, checks...)...),
		validator: jwt.NewValidator(checks...),
	}
}

// Verify checks the Authorization header value and returns the token's
// claims. The error is always an *AuthError.
//
// The token is decoded once. The header, time and audience checks run in
// the key function, which jwt.Parser calls after decoding and before it
// verifies the signature. The key function then picks the key by the
// token's algorithm, and the parser validates the claims again after the
// signature check.
func (v *verifier) Verify(ctx context.Context, header string) (jwt.MapClaims, error) {
	raw, err := v.bearer(header)
	if err != nil {
		return nil, err
	}

	claims := jwt.MapClaims{}
	decoded := false
	_, err = v.parser.ParseWithClaims(raw, claims, func(token *jwt.Token) (any, error) {
		decoded = true
		return v.key(ctx, token, claims)
	})
	var ae *AuthError
	switch {
	case err == nil:
		return claims, nil
	case errors.As(err, &ae):
		return nil, ae
	case !decoded:
		return nil, authErrorf("Authorization failed: the token is not a well-formed JWT.")
	default:
		return nil, signatureError(err)
	}
}

// key runs the checks that need no key and returns the verification key of
// the token's algorithm: the secret for HS256, the key server's RSA key for
// RS256. Keying by algorithm closes RS/HS confusion, because an HS256 token
// never gets an RSA key and golang-jwt's HMAC check accepts only a []byte
// secret.
func (v *verifier) key(ctx context.Context, token *jwt.Token, claims jwt.MapClaims) (any, error) {
	if err := checkHeader(token); err != nil {
		return nil, err
	}
	if err := v.checkTimesAndAudience(claims); err != nil {
		return nil, err
	}

	switch token.Method {
	case jwt.SigningMethodHS256:
		if len(v.opts.Secret) == 0 {
			return nil, authErrorf("Authorization failed: HS256 tokens are not accepted because RELAY_JWT_SECRET is not set.")
		}
		return v.opts.Secret, nil
	case jwt.SigningMethodRS256:
		return v.rs256Key(ctx, token, claims)
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
	err := v.validator.Validate(claims)
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

// rs256Key returns the RSA key of the token's kid from the key server its
// jwks_host claim names, once the host is on the allow-list.
func (v *verifier) rs256Key(ctx context.Context, token *jwt.Token, unverified jwt.MapClaims) (any, error) {
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
	return key, nil
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

func signatureError(err error) error {
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		return authErrorf("Authorization failed: the token's signature is invalid.")
	}
	return authErrorf("Authorization failed: the token could not be verified.")
}
