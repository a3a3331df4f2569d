package respond

import (
	"errors"
	"strings"

	"github.com/securex-esa/relay/relay"
)

// esaConfigError marks a failure of the ESA that holds the block
// dictionary, whose connection comes from the ESA_CONFIG_* settings rather
// than the GATEWAY_* ones the envelope error names by default.
type esaConfigError struct{ err error }

func (e *esaConfigError) Error() string { return e.err.Error() }
func (e *esaConfigError) Unwrap() error { return e.err }

// onESAConfig marks err as a failure of the dictionary gateway. A refusal
// or nil passes unchanged.
func onESAConfig(err error) error {
	var ref *refusal
	if err == nil || errors.As(err, &ref) {
		return err
	}
	return &esaConfigError{err: err}
}

var esaConfigSettings = strings.NewReplacer(
	"GATEWAY_URL", "ESA_CONFIG_URL",
	"GATEWAY_USER", "ESA_CONFIG_USER",
	"GATEWAY_PASSWORD", "ESA_CONFIG_PASSWORD",
)

// namedForRole rewrites the settings an envelope error names when err
// came from the dictionary gateway.
func namedForRole(err error, e *relay.Error) *relay.Error {
	var ec *esaConfigError
	if !errors.As(err, &ec) {
		return e
	}
	out := *e
	out.Message = esaConfigSettings.Replace(e.Message)
	return &out
}
