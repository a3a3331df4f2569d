package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// maxKeyValue is the longest observable value the relay keeps as is in a
// verdict cache key; it hashes longer ones.
const maxKeyValue = 128

// verdictKeys rebuilds the relay's verdict cache keys of obs for the
// benchmark token's module, so the floor reads the same keys. The caller
// checks in Redis that the keys exist, which catches a relay that builds
// them differently.
func (b *bench) verdictKeys(stateKey string, obs []observables.Observable) ([]string, error) {
	module := &relay.Module{Gateways: []gateway.Config{{
		BaseURL:  b.simURL,
		API:      gateway.SMA,
		User:     simUser,
		Password: gateway.Secret(simPassword),
		// The relay trims the claim, which drops the PEM's final newline.
		CAPEM: strings.TrimSpace(string(b.caPEM)),
	}}}
	tenant := relay.Tenant([]byte(stateKey), module)

	keys := make([]string, len(obs))
	for i, o := range obs {
		n, err := observables.Normalize(o)
		if err != nil {
			return nil, fmt.Errorf("normalising the %s observable: %w", o.Type, err)
		}
		v := n.Value
		if len(v) > maxKeyValue {
			sum := sha256.Sum256([]byte(v))
			v = "sha256-" + hex.EncodeToString(sum[:])
		}
		keys[i] = relay.Key(tenant, "verdict", string(n.Type), v)
	}
	return keys, nil
}
