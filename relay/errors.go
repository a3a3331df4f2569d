package relay

// Error types of the relay envelope.
const (
	Fatal   = "fatal"
	Warning = "warning"
)

// Error codes of the relay envelope, as the platform expects them.
const (
	CodeAuthorization      = "authorization error"
	CodePermission         = "permission denied"
	CodeInvalidArgument    = "invalid argument"
	CodeInvalidRequest     = "invalid request"
	CodeUnsupportedType    = "unsupported type"
	CodeNotFound           = "not found"
	CodeMethodNotAllowed   = "method not allowed"
	CodeInternal           = "internal error"
	CodeTooManyRequests    = "too many requests"
	CodeServiceUnavailable = "service unavailable"
	CodeConnection         = "connection error"
	CodeUnknown            = "unknown"
	CodeHealthCheck        = "health check failed"
	CodeAlreadyRequested   = "already requested"
	CodeTooManyObservables = "too many observables"
	CodeInvalidObservable  = "invalid observable"
	CodeResponseTooLarge   = "response too large"
	CodeIncompleteDetails  = "incomplete details"
)

// Error is one element of the envelope's "errors" list. Its message is shown
// to analysts, so it names what went wrong and never carries a secret.
type Error struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the code and message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// NewFatal builds a fatal envelope error.
func NewFatal(code, message string) *Error {
	return &Error{Type: Fatal, Code: code, Message: message}
}

// NewWarning builds a warning envelope error.
func NewWarning(code, message string) *Error {
	return &Error{Type: Warning, Code: code, Message: message}
}
