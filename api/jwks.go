package api

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Sentinel errors of the key cache.
var (
	// ErrUnknownKID means the host's key set has no key with the token's kid,
	// and a refetch was not allowed yet or did not add it.
	ErrUnknownKID = errors.New("unknown key id")
	// ErrJWKSUnavailable means the host's key set could not be fetched.
	ErrJWKSUnavailable = errors.New("key set unavailable")
)

// maxKeys bounds the keys kept from one key set.
const maxKeys = 64

// jwksCache keeps the RS256 keys of each allow-listed host apart, so a key
// served by one host can never verify a token that names another.
type jwksCache struct {
	opts   JWKSOptions
	client *http.Client
	now    func() time.Time
	log    *slog.Logger

	mu    sync.Mutex
	hosts map[string]*hostKeys
	group singleflight.Group
}

// hostKeys is one host's key set and when it was fetched.
type hostKeys struct {
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time // last successful fetch
	attemptedAt time.Time // last fetch, successful or not
}

func newJWKSCache(opts JWKSOptions, now func() time.Time, log *slog.Logger) *jwksCache {
	return &jwksCache{
		opts:   opts,
		client: newJWKSClient(opts),
		now:    now,
		log:    log,
		hosts:  map[string]*hostKeys{},
	}
}

// newJWKSClient builds a client that follows no redirect, uses no proxy and
// bounds each step of a fetch.
func newJWKSClient(opts JWKSOptions) *http.Client {
	dial := opts.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: opts.Timeout}).DialContext
	}
	transport := &http.Transport{
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Key returns the key of host with id kid. It fetches the host's key set
// when none is cached or it is older than the TTL, and refetches on an
// unknown kid at most once per MinRefetch. Only requests that need a fetch
// wait for it; they share one fetch per host.
func (c *jwksCache) Key(ctx context.Context, host, kid string) (*rsa.PublicKey, error) {
	key, fetch := c.lookup(host, kid)
	if key != nil && !fetch {
		return key, nil
	}
	if !fetch {
		return nil, c.missError(host)
	}

	ch := c.group.DoChan(host, func() (any, error) { return nil, c.refresh(host) })
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the key set of %s: %w", host, ctx.Err())
	case res := <-ch:
		if res.Err != nil && key != nil {
			// A stale key still verifies while the host cannot be reached.
			return key, nil
		}
		if res.Err != nil {
			return nil, res.Err
		}
	}

	key, _ = c.lookup(host, kid)
	if key == nil {
		return nil, ErrUnknownKID
	}
	return key, nil
}

// missError distinguishes an unknown kid from a host whose keys could not be
// fetched yet.
func (c *jwksCache) missError(host string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.hosts[host]; h != nil && h.keys != nil {
		return ErrUnknownKID
	}
	return ErrJWKSUnavailable
}

// lookup returns the cached key, if any, and whether a fetch is due.
func (c *jwksCache) lookup(host, kid string) (*rsa.PublicKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	now := c.now()
	h := c.hosts[host]
	if h == nil {
		return nil, true
	}
	key := h.keys[kid]
	mayFetch := now.Sub(h.attemptedAt) >= c.opts.MinRefetch
	expired := now.Sub(h.fetchedAt) >= c.opts.TTL
	switch {
	case key != nil && !expired:
		return key, false
	case key != nil:
		return key, mayFetch
	default:
		return nil, mayFetch
	}
}

// refresh fetches host's key set and stores it. The fetch runs on its own
// deadline because several requests share it.
func (c *jwksCache) refresh(host string) error {
	c.mu.Lock()
	h := c.hosts[host]
	if h == nil {
		h = &hostKeys{}
		c.hosts[host] = h
	}
	h.attemptedAt = c.now()
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	keys, err := c.fetch(ctx, host)
	if err != nil {
		c.log.Warn("fetching the JWKS failed", "jwks_host", host, "err", err)
		return err
	}

	c.mu.Lock()
	h.keys = keys
	h.fetchedAt = c.now()
	c.mu.Unlock()
	c.log.Info("fetched the JWKS", "jwks_host", host, "keys", len(keys))
	return nil
}

// fetch downloads https://<host>/.well-known/jwks. The URL is built here
// from an allow-listed host, never taken from a token.
func (c *jwksCache) fetch(ctx context.Context, host string) (map[string]*rsa.PublicKey, error) {
	url := "https://" + host + "/.well-known/jwks"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWKSUnavailable, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.opts.MaxBody))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s returned HTTP %d", ErrJWKSUnavailable, url, resp.StatusCode)
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrJWKSUnavailable, url, err)
	}
	if int64(len(body)) > c.opts.MaxBody {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrJWKSUnavailable, url, c.opts.MaxBody)
	}
	return parseJWKS(body)
}

// jwk is the part of a JSON Web Key the relay reads.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// parseJWKS keeps the RSA signing keys usable with RS256 and skips others.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: the key set is not JSON: %w", ErrJWKSUnavailable, err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range doc.Keys {
		if len(keys) == maxKeys {
			break
		}
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") || !validKID(k.Kid) {
			continue
		}
		pub, err := rsaKey(k)
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: the key set has no RS256 key", ErrJWKSUnavailable)
	}
	return keys, nil
}

func rsaKey(k jwk) (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	if len(e) == 0 || len(e) > 4 {
		return nil, errors.New("exponent out of range")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	// Keys shorter than 2048 bits are forgeable in practice.
	if pub.N.BitLen() < 2048 || pub.E < 3 {
		return nil, errors.New("key too weak")
	}
	return pub, nil
}
