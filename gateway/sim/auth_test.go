package sim

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBasicAuthRejectsBadPassword(t *testing.T) {
	ts := startSim(t, Options{})
	h := http.Header{}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth("admin", "wrong")
	h.Set("Authorization", req.Header.Get("Authorization"))

	status, body := ts.do(t, http.MethodGet, "/sma/api/v2.0/login/privileges", nil, h)

	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, map[string]any{"error": map[string]any{
		"message": "Unauthorized.", "code": "401",
		"explanation": "401 = No permission -- see authorization schemes.",
	}}, body)
}

func TestLoginForms(t *testing.T) {
	ts := startSim(t, Options{})
	cases := []struct {
		name    string
		body    any
		status  int
		message string
	}{
		{"bad password", map[string]any{"data": map[string]any{"userName": b64("admin"), "passphrase": b64("nope")}}, 401, "Invalid username or passphrase."},
		{"unknown user", map[string]any{"data": map[string]any{"userName": b64("eve"), "passphrase": b64("ironport")}}, 401, "Invalid username or passphrase."},
		{"plain text fields", map[string]any{"data": map[string]any{"userName": "admin", "passphrase": "ironport"}}, 401, "Invalid username or passphrase."},
		{"missing passphrase", map[string]any{"data": map[string]any{"userName": b64("admin")}}, 404, "Unsupported attribute."},
		{"missing data", map[string]any{"userName": b64("admin")}, 404, "Unsupported attribute."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.do(t, http.MethodPost, "/esa/api/v2.0/login", tc.body, http.Header{})
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.message, errorOf(body)["message"])
		})
	}
	t.Run("invalid credentials body exact", func(t *testing.T) {
		_, body := ts.do(t, http.MethodPost, "/esa/api/v2.0/login", cases[0].body, http.Header{})
		require.Equal(t, map[string]any{"error": map[string]any{
			"message": "Invalid username or passphrase.", "code": "401",
			"explanation": "401 = No permission -- see authorization schemes.",
		}}, body)
	})
}

func login(t *testing.T, ts *testSim, api string) string {
	t.Helper()
	status, body := ts.do(t, http.MethodPost, "/"+api+"/api/v2.0/login",
		map[string]any{"data": map[string]any{"userName": b64("admin"), "passphrase": b64("ironport")}}, http.Header{})
	require.Equal(t, http.StatusOK, status)
	data := body["data"].(map[string]any)
	require.Equal(t, "false", data["is2FactorRedirectRequired"])
	require.Equal(t, "admin", data["userName"])
	token, _ := data["jwtToken"].(string)
	require.NotEmpty(t, token)
	return token
}

func TestLoginTokenLifecycle(t *testing.T) {
	ts := startSim(t, Options{})
	token := login(t, ts, "sma")
	h := http.Header{"Jwttoken": {token}}

	status, _ := ts.do(t, http.MethodGet, "/sma/api/v2.0/login/privileges", nil, h)
	require.Equal(t, http.StatusOK, status)

	ts.Advance(29 * time.Minute)
	status, _ = ts.do(t, http.MethodGet, "/sma/api/v2.0/login/privileges", nil, h)
	require.Equal(t, http.StatusOK, status, "token must live 30 minutes")

	ts.Advance(2 * time.Minute)
	status, body := ts.do(t, http.MethodGet, "/sma/api/v2.0/login/privileges", nil, h)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "ExpiredSignatureError.", errorOf(body)["message"])

	status, body = ts.do(t, http.MethodGet, "/sma/api/v2.0/login/privileges", nil, http.Header{"Jwttoken": {"garbage"}})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "InvalidTokenError.", errorOf(body)["message"])
}

func TestExpireTokensInvalidatesIssuedTokens(t *testing.T) {
	ts := startSim(t, Options{})
	token := login(t, ts, "esa")
	ts.ExpireTokens()

	status, body := ts.do(t, http.MethodGet, "/esa/api/v2.0/login/privileges", nil, http.Header{"Jwttoken": {token}})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "ExpiredSignatureError.", errorOf(body)["message"])

	fresh := login(t, ts, "esa")
	status, _ = ts.do(t, http.MethodGet, "/esa/api/v2.0/login/privileges", nil, http.Header{"Jwttoken": {fresh}})
	require.Equal(t, http.StatusOK, status)
}

func TestLoginEmailKeyOnlyOnManager(t *testing.T) {
	ts := startSim(t, Options{})
	for api, want := range map[string]bool{"sma": true, "esa": false} {
		_, body := ts.do(t, http.MethodPost, "/"+api+"/api/v2.0/login",
			map[string]any{"data": map[string]any{"userName": b64("admin"), "passphrase": b64("ironport")}}, http.Header{})
		_, has := body["data"].(map[string]any)["email"]
		require.Equal(t, want, has, api)
	}
}

func TestPrivilegesSwitch(t *testing.T) {
	ts := startSim(t, Options{})
	_, body := ts.get(t, "/esa/api/v2.0/login/privileges")
	require.Len(t, body["data"], 7)

	ts.SetPrivileges([]string{"e_message_tracking_messages"})
	_, body = ts.get(t, "/esa/api/v2.0/login/privileges")
	require.Equal(t, []any{"e_message_tracking_messages"}, body["data"])

	st := ts.Stories().Malware
	status, body := ts.get(t, "/sma/api/v2.0/message-tracking/details?serialNumber="+st.Serial+"&mid="+midKey(st.MIDs[0]))
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, "403", errorOf(body)["code"])
}

func TestSecretsStayOutOfLogs(t *testing.T) {
	var logs strings.Builder
	ts := startSim(t, Options{
		Users:  map[string]string{"admin": "ironport", "svc": "s3cret-pass"},
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	status, body := ts.do(t, http.MethodPost, "/sma/api/v2.0/login",
		map[string]any{"data": map[string]any{"userName": b64("svc"), "passphrase": b64("s3cret-pass")}}, http.Header{})
	require.Equal(t, http.StatusOK, status)
	token := body["data"].(map[string]any)["jwtToken"].(string)
	ts.do(t, http.MethodGet, "/sma/api/v2.0/login/privileges", nil, http.Header{"Jwttoken": {token}})
	ts.do(t, http.MethodPost, "/sma/api/v2.0/login",
		map[string]any{"data": map[string]any{"userName": b64("svc"), "passphrase": b64("wrong-pass")}}, http.Header{})

	out := logs.String()
	require.Contains(t, out, "login", "requests are logged")
	for _, secret := range []string{"s3cret-pass", b64("s3cret-pass"), "wrong-pass", token} {
		require.NotContains(t, out, secret)
	}
	status, body = ts.do(t, http.MethodGet, "/sma/api/v2.0/login/privileges", nil, http.Header{"Jwttoken": {token + "x"}})
	require.Equal(t, http.StatusUnauthorized, status)
	require.NotContains(t, errorOf(body)["message"], token)
}

// syncWriter serialises writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
