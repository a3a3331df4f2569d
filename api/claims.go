package api

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay"
)

// Configuration claims of a module token. The module type declares each as a
// form field custom_<NAME>.
const (
	ClaimGatewayURL        = "GATEWAY_URL"
	ClaimGatewayAPI        = "GATEWAY_API"
	ClaimGatewayUser       = "GATEWAY_USER"
	ClaimGatewayPassword   = "GATEWAY_PASSWORD"
	ClaimGatewayCAPEM      = "GATEWAY_CA_PEM"
	ClaimGatewayUIURL      = "GATEWAY_UI_URL"
	ClaimESAConfigURL      = "ESA_CONFIG_URL"
	ClaimESAConfigUser     = "ESA_CONFIG_USER"
	ClaimESAConfigPassword = "ESA_CONFIG_PASSWORD"
	ClaimBlockDictionary   = "BLOCK_DICTIONARY"
	ClaimForwardAddress    = "FORWARD_ADDRESS"
	ClaimEntitiesLimit     = "CTR_ENTITIES_LIMIT"
	ClaimLookbackDays      = "LOOKBACK_DAYS"
)

// ClaimNames lists every configuration claim the relay reads. The RS256
// key-server claim is JWKSHostClaim, kept apart because HS256 tokens do not
// carry it.
var ClaimNames = []string{
	ClaimGatewayURL, ClaimGatewayAPI, ClaimGatewayUser, ClaimGatewayPassword,
	ClaimGatewayCAPEM, ClaimGatewayUIURL, ClaimESAConfigURL, ClaimESAConfigUser,
	ClaimESAConfigPassword, ClaimBlockDictionary, ClaimForwardAddress,
	ClaimEntitiesLimit, ClaimLookbackDays,
}

// Limits of the claims.
const (
	maxGateways        = 5
	defaultEntities    = 100
	maxEntities        = 1000
	defaultLookback    = 30
	maxLookback        = 90
	maxCredentialBytes = 1024
	maxCAPEMBytes      = 16 << 10
	maxSubjectBytes    = 256
)

// claimReader turns verified claims into a relay.Module under the
// operator's allow-lists.
type claimReader struct {
	gatewayHosts   []string // normalised host or host:port entries
	forwardDomains map[string]bool
	caPEMs         caPEMCache
}

func newClaimReader(opts TokenOptions) *claimReader {
	r := &claimReader{forwardDomains: map[string]bool{}, caPEMs: caPEMCache{pems: map[string]string{}}}
	for _, h := range opts.GatewayHosts {
		if n, err := normalizeHostEntry(h); err == nil {
			r.gatewayHosts = append(r.gatewayHosts, n)
		}
	}
	for _, d := range opts.ForwardDomains {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if d != "" {
			r.forwardDomains[d] = true
		}
	}
	return r
}

// Module validates every claim the relay reads and builds the module. The
// error is an *AuthError naming the claim, never its value.
func (r *claimReader) Module(claims jwt.MapClaims) (*relay.Module, error) {
	c := claimSet(claims)
	api, err := c.gatewayAPI()
	if err != nil {
		return nil, err
	}
	user, password, err := c.credentials(ClaimGatewayUser, ClaimGatewayPassword, true, "", "")
	if err != nil {
		return nil, err
	}
	caPEM, err := c.caPEM(&r.caPEMs)
	if err != nil {
		return nil, err
	}
	urls, err := r.gatewayURLs(c)
	if err != nil {
		return nil, err
	}

	m := &relay.Module{}
	for _, u := range urls {
		m.Gateways = append(m.Gateways, gateway.Config{BaseURL: u.String(), API: api, User: user, Password: password, CAPEM: caPEM})
	}
	if err := r.optional(c, m, urls[0]); err != nil {
		return nil, err
	}
	return m, nil
}

// optional reads the claims that have defaults.
func (r *claimReader) optional(c claimSet, m *relay.Module, first *url.URL) error {
	var err error
	if m.UIURL, err = c.uiURL(first); err != nil {
		return err
	}
	if m.ESAConfig, err = r.esaConfig(c, m.Gateways[0]); err != nil {
		return err
	}
	if m.BlockDictionary, err = c.dictionary(); err != nil {
		return err
	}
	if m.ForwardAddress, err = r.forwardAddress(c); err != nil {
		return err
	}
	if m.EntitiesLimit, err = c.intClaim(ClaimEntitiesLimit, defaultEntities, 1, maxEntities); err != nil {
		return err
	}
	if m.LookbackDays, err = c.intClaim(ClaimLookbackDays, defaultLookback, 1, maxLookback); err != nil {
		return err
	}
	m.Subject, err = c.subject()
	return err
}

// claimSet reads typed claims and words errors by claim name.
type claimSet jwt.MapClaims

func claimError(name, problem string) *AuthError {
	return authErrorf("Authorization failed: the %s claim %s.", name, problem)
}

// str returns a string claim; present reports whether it was set at all.
func (c claimSet) str(name string) (value string, present bool, err error) {
	raw, ok := c[name]
	if !ok || raw == nil {
		return "", false, nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", true, claimError(name, "must be a string")
	}
	return strings.TrimSpace(s), true, nil
}

// optionalString returns an optional claim, treating blank as unset because
// the platform sends empty form fields as empty strings.
func (c claimSet) optionalString(name string) (string, error) {
	s, _, err := c.str(name)
	return s, err
}

func (c claimSet) required(name string) (string, error) {
	s, present, err := c.str(name)
	if err != nil {
		return "", err
	}
	if !present || s == "" {
		return "", claimError(name, "is missing")
	}
	return s, nil
}

func (c claimSet) gatewayAPI() (gateway.API, error) {
	s, err := c.optionalString(ClaimGatewayAPI)
	if err != nil {
		return "", err
	}
	switch strings.ToLower(s) {
	case "", string(gateway.SMA):
		return gateway.SMA, nil
	case string(gateway.ESA):
		return gateway.ESA, nil
	default:
		return "", claimError(ClaimGatewayAPI, "is invalid; expected \"sma\" or \"esa\"")
	}
}

// credentials reads a user and password pair; the password keeps its
// spaces because they may be part of it.
func (c claimSet) credentials(userClaim, passwordClaim string, required bool, defUser string, defPassword gateway.Secret) (string, gateway.Secret, error) {
	user, err := c.optionalString(userClaim)
	if err != nil {
		return "", "", err
	}
	raw, hasPassword := c[passwordClaim]
	password, isString := raw.(string)
	if hasPassword && raw != nil && !isString {
		return "", "", claimError(passwordClaim, "must be a string")
	}
	if user == "" && required {
		return "", "", claimError(userClaim, "is missing")
	}
	if password == "" && required {
		return "", "", claimError(passwordClaim, "is missing")
	}
	if user == "" {
		user = defUser
	}
	if password == "" {
		return user, defPassword, checkCredential(userClaim, passwordClaim, user, string(defPassword))
	}
	return user, gateway.Secret(password), checkCredential(userClaim, passwordClaim, user, password)
}

func checkCredential(userClaim, passwordClaim, user, password string) error {
	if len(user) > maxCredentialBytes || strings.ContainsFunc(user, unicode.IsControl) || strings.Contains(user, ":") {
		return claimError(userClaim, "is invalid; expected a user name without control characters or ':'")
	}
	if len(password) > maxCredentialBytes || strings.ContainsFunc(password, unicode.IsControl) {
		return claimError(passwordClaim, "is invalid; expected at most 1024 bytes without control characters")
	}
	return nil
}

// caPEM reads GATEWAY_CA_PEM; a literal "\n" stands for a newline because
// the platform's form fields are single-line. A value already seen to hold
// a certificate comes from the cache.
func (c claimSet) caPEM(cache *caPEMCache) (string, error) {
	s, err := c.optionalString(ClaimGatewayCAPEM)
	if err != nil || s == "" {
		return "", err
	}
	if pem, ok := cache.get(s); ok {
		return pem, nil
	}
	if len(s) > maxCAPEMBytes {
		return "", claimError(ClaimGatewayCAPEM, "is too long; expected at most 16 KiB of PEM")
	}
	pem := strings.ReplaceAll(s, `\n`, "\n")
	if !x509.NewCertPool().AppendCertsFromPEM([]byte(pem)) {
		return "", claimError(ClaimGatewayCAPEM, "has no PEM certificate; paste the CA certificate including its BEGIN and END lines")
	}
	cache.put(s, pem)
	return pem, nil
}

// maxCachedCAPEMs bounds the CA claims a caPEMCache keeps. At the 16 KiB
// claim limit, the claims and their converted copies take at most 2 MiB.
const maxCachedCAPEMs = 64

// caPEMCache keeps GATEWAY_CA_PEM values that passed the check, so each
// module's CA is parsed once instead of on every request. It holds only CA
// certificates, which are public, taken from tokens whose signature was
// verified, and it is emptied when full.
type caPEMCache struct {
	mu   sync.RWMutex
	pems map[string]string // claim value → PEM with real newlines
}

func (c *caPEMCache) get(claim string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pem, ok := c.pems[claim]
	return pem, ok
}

func (c *caPEMCache) put(claim, pem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pems) >= maxCachedCAPEMs {
		clear(c.pems)
	}
	c.pems[claim] = pem
}

func (c claimSet) uiURL(first *url.URL) (string, error) {
	s, err := c.optionalString(ClaimGatewayUIURL)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "https://" + first.Hostname(), nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !validHost(strings.ToLower(u.Hostname())) {
		return "", claimError(ClaimGatewayUIURL, "is invalid; expected https://host[:port][/path]")
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func (c claimSet) dictionary() (string, error) {
	s, err := c.optionalString(ClaimBlockDictionary)
	if err != nil || s == "" {
		return "", err
	}
	if len(s) > 64 || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}) >= 0 {
		return "", claimError(ClaimBlockDictionary, "is invalid; expected up to 64 letters, digits, '_', '-' or '.'")
	}
	return s, nil
}

// intClaim reads an integer given as a JSON number or a decimal string.
func (c claimSet) intClaim(name string, def, lo, hi int) (int, error) {
	raw, ok := c[name]
	if !ok || raw == nil {
		return def, nil
	}
	var text string
	switch v := raw.(type) {
	case json.Number:
		text = v.String()
	case string:
		text = strings.TrimSpace(v)
		if text == "" {
			return def, nil
		}
	default:
		return 0, claimError(name, "must be an integer")
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < lo || n > hi {
		return 0, claimError(name, fmt.Sprintf("is invalid; expected an integer from %d to %d", lo, hi))
	}
	return n, nil
}

// subject reads "sub", else "user", for the audit trail.
func (c claimSet) subject() (string, error) {
	for _, name := range []string{"sub", "user"} {
		s, err := c.optionalString(name)
		if err != nil {
			return "", err
		}
		if s == "" {
			continue
		}
		if len(s) > maxSubjectBytes || strings.ContainsFunc(s, unicode.IsControl) {
			return "", claimError(name, "is invalid; expected at most 256 bytes without control characters")
		}
		return s, nil
	}
	return "", nil
}

func (r *claimReader) esaConfig(c claimSet, base gateway.Config) (*gateway.Config, error) {
	s, err := c.optionalString(ClaimESAConfigURL)
	if err != nil || s == "" {
		return nil, err
	}
	u, err := r.gatewayURL(ClaimESAConfigURL, s)
	if err != nil {
		return nil, err
	}
	user, password, err := c.credentials(ClaimESAConfigUser, ClaimESAConfigPassword, false, base.User, base.Password)
	if err != nil {
		return nil, err
	}
	return &gateway.Config{BaseURL: u.String(), API: gateway.ESA, User: user, Password: password, CAPEM: base.CAPEM}, nil
}

func (r *claimReader) forwardAddress(c claimSet) (string, error) {
	s, err := c.optionalString(ClaimForwardAddress)
	if err != nil || s == "" {
		return "", err
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", claimError(ClaimForwardAddress, "is invalid; expected one plain address such as soc@example.com")
	}
	at := strings.LastIndexByte(s, '@')
	domain := strings.TrimSuffix(strings.ToLower(s[at+1:]), ".")
	if !r.forwardDomains[domain] {
		return "", claimError(ClaimForwardAddress, "names a domain that is not in RELAY_FORWARD_DOMAINS")
	}
	return s, nil
}
