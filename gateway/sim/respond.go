package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// explanations are the canned texts of the error envelope.
// NOTE: only the 401 and 404 texts were captured from an appliance; the
// others follow the same "<code> = <reason>" pattern and are a guess.
var explanations = map[int]string{
	http.StatusBadRequest:          "Bad request syntax or unsupported method.",
	http.StatusUnauthorized:        "No permission -- see authorization schemes.",
	http.StatusForbidden:           "Request forbidden -- authorization will not help.",
	http.StatusNotFound:            "Nothing matches the given URI.",
	http.StatusMethodNotAllowed:    "Specified method is invalid for this resource.",
	http.StatusTooManyRequests:     "The user has sent too many requests in a given amount of time.",
	http.StatusInternalServerError: "Server got itself in trouble.",
	http.StatusBadGateway:          "Invalid responses from another server/proxy.",
	http.StatusServiceUnavailable:  "The server cannot process the request due to a high load.",
	http.StatusGatewayTimeout:      "The gateway server did not receive a timely response.",
}

// Messages of the appliance's error envelope.
const (
	msgUnauthorized  = "Unauthorized."
	msgBadLogin      = "Invalid username or passphrase."
	msgExpiredToken  = "ExpiredSignatureError."
	msgInvalidToken  = "InvalidTokenError."
	msgUnsupported   = "Unsupported attribute."
	msgNotFound      = "Not Found."
	msgMissingDates  = "Missing attribute - startDate or endDate."
	msgDateSeconds   = "startDate and endDate attribute supports only 00 seconds and 000 microseconds."
	msgInvalidMID    = "Invalid value for attribute - mid or icid."
	msgNoDictionary  = "Dictionary not found."
	msgNoDeviceType  = "Missing attribute - device_type."
	msgNoPermission  = "Permission denied."
	msgInvalidAction = "Invalid value for attribute - action."
)

// errorBody is the error envelope; code is the status as a string.
func errorBody(status int, message string) map[string]any {
	explanation, ok := explanations[status]
	if !ok {
		explanation = http.StatusText(status) + "."
	}
	return map[string]any{"error": map[string]any{
		"message":     message,
		"code":        fmt.Sprint(status),
		"explanation": fmt.Sprintf("%d = %s", status, explanation),
	}}
}

func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Server", "API/2.0")
	h.Set("Content-Type", "application/json")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "content-type, jwttoken, mid, h, email")
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Expose-Headers", "Content-Disposition, jwtToken")
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	setHeaders(w)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// The appliance writes "<" and ">" of Message-IDs as they are.
	enc.SetEscapeHTML(false)
	// The response writer is the only sink, so an encoding error cannot be
	// reported anywhere useful.
	_ = enc.Encode(body)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, errorBody(status, message))
}
