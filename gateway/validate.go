package gateway

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
)

// validateConfig checks cfg and returns it with the base URL's trailing
// slash removed. Every problem is an *Error of KindInvalid naming the
// setting to fix; none of them echoes the password.
func validateConfig(cfg Config) (Config, error) {
	shown := redactURL(cfg.BaseURL)
	invalid := func(format string, args ...any) error {
		return &Error{Kind: KindInvalid, Gateway: shown, Op: "config", Message: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" {
		return cfg, invalid("GATEWAY_URL %q is not an absolute URL; use https://host[:port]", shown)
	}
	if u.Scheme != "https" {
		return cfg, invalid("GATEWAY_URL %q must use https", u.Redacted())
	}
	if u.User != nil {
		return cfg, invalid("GATEWAY_URL %q must not carry user info; set GATEWAY_USER and GATEWAY_PASSWORD", u.Redacted())
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return cfg, invalid("GATEWAY_URL %q must have no path, query or fragment; use https://host[:port]", shown)
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.API != SMA && cfg.API != ESA {
		return cfg, invalid("GATEWAY_API %q is invalid; use \"sma\" or \"esa\"", string(cfg.API))
	}
	if strings.TrimSpace(cfg.User) == "" {
		return cfg, invalid("GATEWAY_USER is missing")
	}
	if cfg.Password == "" {
		return cfg, invalid("GATEWAY_PASSWORD is missing")
	}
	if cfg.CAPEM != "" {
		if _, err := caPool(cfg.CAPEM); err != nil {
			return cfg, invalid("GATEWAY_CA_PEM is invalid: %s", err.Error())
		}
	}
	return cfg, nil
}

// redactURL returns s with any password masked, or a placeholder when s
// does not parse, so a mistyped URL cannot leak a credential.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// caPool returns the system roots plus the certificates of pemText. A
// literal "\n" counts as a line break, because environment variables and
// JSON claims often carry the PEM on one line.
func caPool(pemText string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if pemText == "" {
		return pool, nil
	}
	text := strings.ReplaceAll(pemText, `\n`, "\n")
	if !pool.AppendCertsFromPEM([]byte(text)) {
		return nil, fmt.Errorf("no PEM certificate found; paste the CA certificate including its BEGIN and END lines")
	}
	return pool, nil
}
