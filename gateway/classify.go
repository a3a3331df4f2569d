package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// knownMessages are the gateway error texts passed on to callers, mapped
// to the kind a 404 carrying them has. Any other text is replaced by a
// generic message, because an unknown body may echo request data.
var knownMessages = map[string]Kind{
	"Invalid value for attribute - mid or icid.": KindNotFound,
	"Not Found.":            KindNotFound,
	"Dictionary not found.": KindNotFound,
	"Missing attribute - startDate or endDate.":                                      KindInvalid,
	"Missing attribute - device_type.":                                               KindInvalid,
	"Unsupported attribute.":                                                         KindInvalid,
	"startDate and endDate attribute supports only 00 seconds and 000 microseconds.": KindInvalid,
	"Invalid value for attribute - action.":                                          KindInvalid,
	"Unauthorized.":                                                                  KindAuth,
	"Unauthorized request.":                                                          KindAuth,
	"Invalid username or passphrase.":                                                KindAuth,
	"ExpiredSignatureError.":                                                         KindAuth,
	"InvalidTokenError.":                                                             KindAuth,
}

// errorBody is the gateway's error envelope; "code" is a string.
type errorBody struct {
	Error struct {
		Message flexString `json:"message"`
	} `json:"error"`
}

// classifyStatus turns a non-2xx answer into an *Error.
func classifyStatus(gateway, op string, status int, body []byte) *Error {
	e := &Error{Gateway: gateway, Op: op, Status: status}
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	text := string(eb.Error.Message)
	known, isKnown := knownMessages[text]

	switch {
	case status >= 300 && status < 400:
		e.Kind, e.Message = KindRedirect, "the gateway answered with a redirect, which is not followed"
	case status == http.StatusUnauthorized:
		e.Kind, e.Message = KindAuth, "the gateway rejected the credentials"
	case status == http.StatusForbidden:
		e.Kind, e.Message = KindPermission, "the API account lacks the privilege for this call"
	case status == http.StatusNotFound:
		e.Kind, e.Message = KindNotFound, "the gateway found nothing at this address"
		if isKnown && (known == KindInvalid || known == KindNotFound) {
			e.Kind = known
		}
	case status == http.StatusTooManyRequests:
		e.Kind, e.Message = KindRateLimited, "the gateway is rate limiting requests"
	case status == http.StatusInternalServerError:
		e.Kind, e.Message = KindInternal, "the gateway reported an internal error"
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		e.Kind, e.Message = KindUnavailable, "the gateway is unavailable"
	case status >= 400 && status < 500:
		e.Kind, e.Message = KindInvalid, "the gateway rejected the request"
	default:
		e.Kind, e.Message = KindInternal, fmt.Sprintf("the gateway answered with unexpected status %d", status)
	}
	if isKnown {
		e.Message = text
	}
	return e
}

// classifyTransport turns an error of the HTTP exchange into an *Error.
func classifyTransport(gateway, op string, err error) *Error {
	var ge *Error
	if errors.As(err, &ge) {
		return ge
	}
	e := &Error{Gateway: gateway, Op: op, Err: err}
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var netErr net.Error
	switch {
	case errors.Is(err, errBlocked):
		e.Kind, e.Message = KindBlocked, "the gateway address is not allowed"
	case errors.Is(err, context.Canceled):
		e.Kind, e.Message = KindTimeout, "the call was canceled"
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Message = KindTimeout, "the call timed out"
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority),
		errors.As(err, &hostErr), errors.As(err, &invalidCert):
		e.Kind, e.Message = KindTLS, "Unable to verify SSL certificate"
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind, e.Message = KindTimeout, "the call timed out"
	default:
		e.Kind, e.Message = KindConnection, "the connection to the gateway failed"
	}
	return e
}

// kindOf returns the kind of a classified error, KindUnknown otherwise.
func kindOf(err error) Kind {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Kind
	}
	return KindUnknown
}

// excludedFromBreaker reports errors the caller caused: they neither open
// the breaker nor count as a success.
func excludedFromBreaker(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return true
	}
	switch kindOf(err) {
	case KindAuth, KindPermission, KindNotFound, KindInvalid, KindRateLimited,
		KindRedirect, KindBlocked, KindBudget:
		return true
	}
	return false
}

// retryable reports transient errors, after which a call that may be
// repeated is sent once more. Of the internal errors only a 500 counts: an
// unexpected status such as 501 would fail the same way again.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ge *Error
	if !errors.As(err, &ge) {
		return false
	}
	switch ge.Kind {
	case KindUnavailable, KindConnection, KindTimeout:
		return true
	case KindInternal:
		return ge.Status == http.StatusInternalServerError
	}
	return false
}
