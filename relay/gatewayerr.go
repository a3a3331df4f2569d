package relay

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/securex-esa/relay/gateway"
)

// FromGateway turns a gateway failure into a fatal envelope error whose code
// follows the gateway error's kind. The message is built here from the kind
// and the gateway URL, never from a raw upstream body, and names the next
// step where the kind allows one.
func FromGateway(err error) *Error {
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		return NewFatal(CodeUnknown, "The email gateway call failed unexpectedly.")
	}
	where := ge.Gateway
	switch ge.Kind {
	case gateway.KindAuth:
		return authError(ge)
	case gateway.KindPermission:
		return permissionError(ge)
	case gateway.KindNotFound, gateway.KindInvalid:
		return NewFatal(CodeNotFound, fmt.Sprintf("The gateway %s did not find it: %s", where, ge.Message))
	case gateway.KindRateLimited:
		return NewFatal(CodeTooManyRequests, fmt.Sprintf("The gateway %s is rate limiting requests. "+
			"Try again later, or send fewer observables at once.", where))
	case gateway.KindInternal, gateway.KindUnavailable, gateway.KindTimeout:
		return serverError(ge)
	case gateway.KindConnection:
		return NewFatal(CodeConnection, fmt.Sprintf("Cannot connect to the gateway %s. Check GATEWAY_URL and the network path.", where))
	case gateway.KindTLS:
		return NewFatal(CodeUnknown, fmt.Sprintf("Unable to verify SSL certificate of %s. Set GATEWAY_CA_PEM for a private CA.", where))
	case gateway.KindRedirect:
		return NewFatal(CodeUnknown, fmt.Sprintf("The gateway %s responded with a redirect, which the relay does not follow. Check GATEWAY_URL.", where))
	case gateway.KindBlocked:
		return NewFatal(CodeAuthorization, fmt.Sprintf("Authorization failed: the relay does not connect to %s. Add its host to RELAY_GATEWAY_HOSTS.", where))
	case gateway.KindBudget:
		return NewFatal(CodeUnknown, fmt.Sprintf("The request needed more calls to the gateway %s than one request may make. "+
			"Send fewer observables at once, or raise RELAY_REQUEST_CALL_BUDGET.", where))
	default:
		return NewFatal(CodeUnknown, fmt.Sprintf("The gateway %s call failed: %s. "+
			"If it persists, check that GATEWAY_URL points at the appliance's AsyncOS API.", where, ge.Message))
	}
}

// permissionError names the refused operation and, when known, the
// privilege it needs, so the administrator can tell what to grant.
func permissionError(ge *gateway.Error) *Error {
	privilege := "the privilege"
	if name := gateway.PrivilegeFor(ge.Op); name != "" {
		privilege = "the privilege " + name
	}
	call := ""
	if ge.Op != "" {
		call = " for " + ge.Op
	}
	return NewFatal(CodePermission, fmt.Sprintf("The API account lacks %s%s on the gateway %s. "+
		"Grant it to the account's user role on the gateway, or use an account that has it.", privilege, call, ge.Gateway))
}

func authError(ge *gateway.Error) *Error {
	if !ge.RetryAt.IsZero() {
		// The login throttle stopped the login before it reached the
		// gateway, and its message names the case and the remedy.
		return NewFatal(CodeAuthorization, fmt.Sprintf("Authorization failed on the gateway %s: %s.", ge.Gateway, ge.Message))
	}
	return NewFatal(CodeAuthorization, fmt.Sprintf("Authorization failed: the gateway %s rejected the API account (%s). "+
		"Check GATEWAY_USER and GATEWAY_PASSWORD.", ge.Gateway, ge.Message))
}

// serverError describes a failure on the appliance's side: an internal
// error, an unavailable API or a timeout.
func serverError(ge *gateway.Error) *Error {
	where := ge.Gateway
	switch {
	case ge.Kind == gateway.KindInternal && ge.Status != 0 && ge.Status != http.StatusInternalServerError:
		return NewFatal(CodeInternal, fmt.Sprintf("The gateway %s returned unexpected HTTP status %d for %s. "+
			"Check that GATEWAY_URL points at the appliance's AsyncOS API.", where, ge.Status, ge.Op))
	case ge.Kind == gateway.KindInternal:
		return NewFatal(CodeInternal, fmt.Sprintf("The gateway %s reported an internal error on %s. "+
			"Try again; if it persists, check the appliance's API service and its logs.", where, ge.Op))
	case ge.Kind == gateway.KindUnavailable && !ge.RetryAt.IsZero():
		return NewFatal(CodeServiceUnavailable, fmt.Sprintf("The gateway %s is failing, so calls to it are paused until %s. "+
			"Try again after that; if it persists, check the appliance's API service and its logs.",
			where, ge.RetryAt.UTC().Format(time.RFC3339)))
	case ge.Kind == gateway.KindUnavailable:
		return NewFatal(CodeServiceUnavailable, fmt.Sprintf("The gateway %s is unavailable. "+
			"Try again later; if it persists, check that the appliance's API service is running.", where))
	default:
		return NewFatal(CodeServiceUnavailable, fmt.Sprintf("The gateway %s timed out (%s). "+
			"Try again; if it persists, check the appliance's load and the network path.", where, ge.Op))
	}
}
