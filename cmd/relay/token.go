package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/securex-esa/relay/api"
)

// claimFlags collects repeated --claim KEY=VALUE flags.
type claimFlags map[string]string

func (c claimFlags) String() string { return "" }

func (c claimFlags) Set(v string) error {
	key, value, ok := strings.Cut(v, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("invalid claim %q; expected KEY=VALUE", key)
	}
	if _, dup := c[key]; dup {
		return fmt.Errorf("claim %s given twice", key)
	}
	if key == "exp" || key == "iat" {
		return fmt.Errorf("claim %s is set by --ttl", key)
	}
	c[key] = value
	return nil
}

// tokenCommand mints an HS256 configuration token. The secret comes from
// RELAY_JWT_SECRET or standard input, never from a flag, so it stays out of
// shell history and process lists.
func tokenCommand(_ context.Context, args []string, env environment) int {
	claims := claimFlags{}
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Var(claims, "claim", "a token claim as KEY=VALUE, repeatable, for example --claim GATEWAY_URL=https://sma.example.com:6443")
	ttl := fs.Duration("ttl", 8760*time.Hour, "how long the token is valid")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: relay token --claim KEY=VALUE ... [--ttl 8760h]\n\nThe secret is read from RELAY_JWT_SECRET, else from standard input.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCodeForFlags(err)
	}

	token, err := mintToken(claims, *ttl, env, time.Now())
	if err != nil {
		fmt.Fprintf(env.Stderr, "relay token: %v\n", err)
		return 1
	}
	fmt.Fprintln(env.Stdout, token)
	return 0
}

func mintToken(claims claimFlags, ttl time.Duration, env environment, now time.Time) (string, error) {
	if len(claims) == 0 {
		return "", errors.New("no claims; give at least --claim GATEWAY_URL=... --claim GATEWAY_USER=... --claim GATEWAY_PASSWORD=...")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("invalid --ttl %s; expected a positive duration", ttl)
	}
	secret, err := readSecret(env)
	if err != nil {
		return "", err
	}
	for name := range claims {
		if !slices.Contains(api.ClaimNames, name) && !slices.Contains([]string{"aud", "sub", "user", "nbf", "iss"}, name) {
			fmt.Fprintf(env.Stderr, "relay token: warning: the relay does not read the claim %s\n", name)
		}
	}
	fmt.Fprintln(env.Stderr, "relay token: warning: the token carries the gateway password in readable form; store it like the password.")

	mc := jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(ttl).Unix()}
	for k, v := range claims {
		mc[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, mc).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("signing the token: %w", err)
	}
	return s, nil
}

// readSecret reads RELAY_JWT_SECRET, else the first line of standard input.
func readSecret(env environment) ([]byte, error) {
	secret := env.Getenv("RELAY_JWT_SECRET")
	if secret == "" {
		line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading the secret from standard input: %w", err)
		}
		secret = strings.TrimRight(line, "\r\n")
	}
	if len(secret) < api.MinSecretLength {
		return nil, fmt.Errorf("the secret has %d bytes; set RELAY_JWT_SECRET or pipe a secret of at least %d bytes to standard input", len(secret), api.MinSecretLength)
	}
	return []byte(secret), nil
}
