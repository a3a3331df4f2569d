package relay

import (
	"errors"
	"fmt"
	"time"

	"github.com/securex-esa/relay/gateway"
)

// FromGateway turns a gateway failure into a fatal envelope error whose code
// follows the gateway error's kind. The message is built here from the kind
// and the gateway URL, never from a raw upstream body.
func FromGateway(err error) *Error {
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		return NewFatal(CodeUnknown, "The email gateway call failed unexpectedly.")
	}
	where := ge.Gateway
	switch ge.Kind {
	case gateway.KindAuth:
		if !ge.RetryAt.IsZero() {
			// The login throttle stopped the login before it reached the
			// gateway, and its message names the case and the remedy.
			return NewFatal(CodeAuthorization, fmt.Sprintf("Authorization failed on the gateway %s: %s.", where, ge.Message))
		}
		return NewFatal(CodeAuthorization, fmt.Sprintf("Authorization failed: the gateway %s rejected the API account (%s). Check GATEWAY_USER and GATEWAY_PASSWORD.", where, ge.Message))
	case gateway.KindPermission:
		return NewFatal(CodePermission, fmt.Sprintf("The API account lacks a privilege on %s: %s", where, ge.Message))
	case gateway.KindNotFound, gateway.KindInvalid:
		return NewFatal(CodeNotFound, fmt.Sprintf("The gateway %s did not find it: %s", where, ge.Message))
	case gateway.KindRateLimited:
		return NewFatal(CodeTooManyRequests, fmt.Sprintf("The gateway %s is rate limiting requests. Try again later.", where))
	case gateway.KindInternal:
		return NewFatal(CodeInternal, fmt.Sprintf("The gateway %s reported an internal error.", where))
	case gateway.KindUnavailable:
		if !ge.RetryAt.IsZero() {
			return NewFatal(CodeServiceUnavailable, fmt.Sprintf("The gateway %s is failing; calls are paused until %s.", where, ge.RetryAt.UTC().Format(time.RFC3339)))
		}
		return NewFatal(CodeServiceUnavailable, fmt.Sprintf("The gateway %s is unavailable. Try again later.", where))
	case gateway.KindTimeout:
		return NewFatal(CodeServiceUnavailable, fmt.Sprintf("The gateway %s timed out (%s).", where, ge.Op))
	case gateway.KindConnection:
		return NewFatal(CodeConnection, fmt.Sprintf("Cannot connect to the gateway %s. Check GATEWAY_URL and the network path.", where))
	case gateway.KindTLS:
		return NewFatal(CodeUnknown, fmt.Sprintf("Unable to verify SSL certificate of %s. Set GATEWAY_CA_PEM for a private CA.", where))
	case gateway.KindRedirect:
		return NewFatal(CodeUnknown, fmt.Sprintf("The gateway %s answered with a redirect, which the relay does not follow. Check GATEWAY_URL.", where))
	case gateway.KindBlocked:
		return NewFatal(CodeAuthorization, fmt.Sprintf("Authorization failed: the relay does not connect to %s. Add its host to RELAY_GATEWAY_HOSTS.", where))
	default:
		return NewFatal(CodeUnknown, fmt.Sprintf("The gateway %s call failed: %s", where, ge.Message))
	}
}
