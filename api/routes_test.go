package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

func TestObservableRoutesCallServices(t *testing.T) {
	cases := []struct {
		path   string
		method string
		empty  string
	}{
		{"/deliberate/observables", "deliberate", `{}`},
		{"/observe/observables", "observe", `{}`},
		{"/refer/observables", "refer", `[]`},
		{"/respond/observables", "actions", `[]`},
	}
	for _, tc := range cases {
		for _, slash := range []string{"", "/"} {
			t.Run(tc.method+slash, func(t *testing.T) {
				env := startEnv(t, testOptions())
				env.Services.Data = map[string]string{"from": tc.method}

				r := env.post(t, tc.path+slash, hs256(t, validClaims()), `[{"type":"IP","value":"192.0.2.1"}]`)

				require.Equal(t, http.StatusOK, r.Status)
				require.JSONEq(t, fmt.Sprintf(`{"data":{"from":%q}}`, tc.method), r.Raw)
				require.NotEmpty(t, r.Header.Get("X-Request-Id"))
				calls := env.Services.Calls()
				require.Len(t, calls, 1)
				require.Equal(t, tc.method, calls[0].Method)
				require.Equal(t, []observables.Observable{{Type: "ip", Value: "192.0.2.1"}}, calls[0].Obs)
				require.Equal(t, "https://127.0.0.1:6443", calls[0].Module.Gateways[0].BaseURL)
			})
		}
	}
}

func TestObservableRoutesEmptyShapes(t *testing.T) {
	cases := []struct {
		path  string
		empty string
	}{
		{"/deliberate/observables", `{"data":{}}`},
		{"/observe/observables", `{"data":{}}`},
		{"/refer/observables", `{"data":[]}`},
		{"/respond/observables", `{"data":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			env := startEnv(t, testOptions())

			unsupported := env.post(t, tc.path, hs256(t, validClaims()), `[{"type":"hostname","value":"pc1"}]`)
			nilData := env.post(t, tc.path, hs256(t, validClaims()), `[{"type":"ip","value":"192.0.2.1"}]`)

			require.JSONEq(t, tc.empty, unsupported.Raw)
			require.JSONEq(t, tc.empty, nilData.Raw)
			require.Len(t, env.Services.Calls(), 1, "unsupported types alone reach no service")
		})
	}
}

func TestEnvelopeDataWithErrors(t *testing.T) {
	env := startEnv(t, testOptions())
	env.Services.Data = map[string]int{"n": 1}
	env.Services.Errs = []*relay.Error{relay.NewFatal(relay.CodeConnection, "gateway down"), nil}

	partial := env.post(t, "/observe/observables", hs256(t, validClaims()), `[{"type":"ip","value":"192.0.2.1"}]`)
	env.Services.Data = nil
	fatal := env.post(t, "/observe/observables", hs256(t, validClaims()), `[{"type":"ip","value":"192.0.2.1"}]`)
	env.Services.Errs = []*relay.Error{relay.NewWarning(relay.CodeUnknown, "just so")}
	warning := env.post(t, "/refer/observables", hs256(t, validClaims()), `[{"type":"ip","value":"192.0.2.1"}]`)

	require.JSONEq(t, `{"data":{"n":1},"errors":[{"type":"fatal","code":"connection error","message":"gateway down"}]}`, partial.Raw)
	require.JSONEq(t, `{"errors":[{"type":"fatal","code":"connection error","message":"gateway down"}]}`, fatal.Raw)
	require.JSONEq(t, `{"data":[],"errors":[{"type":"warning","code":"unknown","message":"just so"}]}`, warning.Raw)
}

func TestTooManyObservablesServesFirst(t *testing.T) {
	env := startEnv(t, testOptions())
	var items []string
	for i := range 8 {
		items = append(items, fmt.Sprintf(`{"type":"ip","value":"192.0.2.%d"}`, i))
	}

	r := env.post(t, "/observe/observables", hs256(t, validClaims()), "["+strings.Join(items, ",")+"]")

	require.Equal(t, http.StatusOK, r.Status)
	require.Len(t, r.Errors, 1)
	require.Equal(t, relay.Warning, r.Errors[0].Type)
	require.Equal(t, relay.CodeTooManyObservables, r.Errors[0].Code)
	calls := env.Services.Calls()
	require.Len(t, calls, 1)
	require.Len(t, calls[0].Obs, 5)
	require.Equal(t, "192.0.2.0", calls[0].Obs[0].Value)
}

func TestBodyLimit(t *testing.T) {
	env := startEnv(t, testOptions())
	big := `[{"type":"ip","value":"` + strings.Repeat("1", 5000) + `"}]`

	r := env.post(t, "/observe/observables", hs256(t, validClaims()), big)

	requireError(t, r, relay.CodeInvalidArgument)
	require.Contains(t, r.Errors[0].Message, "4096 bytes")
	require.Empty(t, env.Services.Calls())
}

func TestInvalidBodiesNameTheProblem(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"not json", `hello`, "not a JSON array"},
		{"object", `{"type":"ip","value":"1.1.1.1"}`, "JSON object"},
		{"empty", ``, "empty"},
		{"blank value", `[{"type":"ip","value":"1.1.1.1"},{"type":"ip","value":"  "}]`, `Element 1: field "value" may not be blank`},
		{"number type", `[{"type":7,"value":"x"}]`, `Element 0: field "type" must be a string`},
		{"missing value", `[{"type":"ip"}]`, `Element 0: field "value" is missing`},
		{"element not object", `[[]]`, "Element 0 of the observable list is not an object"},
		{"invalid utf8", "[{\"type\":\"ip\",\"value\":\"\xff\"}]", "UTF-8"},
		{"truncated", `[{"type":"ip","value":"1"}`, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startEnv(t, testOptions())

			r := env.post(t, "/deliberate/observables", hs256(t, validClaims()), tc.body)

			requireError(t, r, relay.CodeInvalidArgument)
			require.Contains(t, r.Errors[0].Message, tc.want)
			require.Empty(t, env.Services.Calls())
		})
	}
}

func TestCheckOrder(t *testing.T) {
	env := startEnv(t, testOptions())
	tooBig := strings.Repeat("x", 5000)

	unknownRoute := env.post(t, "/nowhere", "", tooBig)
	noToken := env.post(t, "/observe/observables", "", tooBig)
	tooLarge := env.post(t, "/observe/observables", hs256(t, validClaims()), tooBig)
	invalid := env.post(t, "/observe/observables", hs256(t, validClaims()), `{}`)

	require.Equal(t, http.StatusNotFound, unknownRoute.Status)
	requireError(t, noToken, relay.CodeAuthorization)
	requireError(t, tooLarge, relay.CodeInvalidArgument)
	require.Contains(t, tooLarge.Errors[0].Message, "larger than the limit")
	requireError(t, invalid, relay.CodeInvalidArgument)
	require.Contains(t, invalid.Errors[0].Message, "JSON object")
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	env := startEnv(t, testOptions())

	notFound := env.post(t, "/observe/things", "", "")
	wrongMethod := env.do(t, http.MethodGet, "/health", "", "")
	postWatchdog := env.do(t, http.MethodPost, "/watchdog/", "", "")

	require.Equal(t, http.StatusNotFound, notFound.Status)
	require.Equal(t, relay.CodeNotFound, notFound.Errors[0].Code)
	require.Equal(t, relay.Fatal, notFound.Errors[0].Type)
	require.Equal(t, http.StatusMethodNotAllowed, wrongMethod.Status)
	require.Equal(t, relay.CodeMethodNotAllowed, wrongMethod.Errors[0].Code)
	require.Contains(t, wrongMethod.Header.Get("Allow"), http.MethodPost)
	require.Equal(t, http.StatusMethodNotAllowed, postWatchdog.Status)
}

func TestWatchdog(t *testing.T) {
	env := startEnv(t, testOptions())

	echoed := env.do(t, http.MethodGet, "/watchdog", "", "", "Health-Check", "probe-42")
	missing := env.do(t, http.MethodGet, "/watchdog/", "", "")

	require.JSONEq(t, `{"data":"probe-42"}`, echoed.Raw)
	requireError(t, missing, relay.CodeHealthCheck)
}

func TestVersionUnauthenticated(t *testing.T) {
	env := startEnv(t, testOptions())

	r := env.post(t, "/version/", "", "")

	require.JSONEq(t, `{"version":"1.2.3"}`, r.Raw)
}

func TestHealth(t *testing.T) {
	env := startEnv(t, testOptions())

	ok := env.post(t, "/health", hs256(t, validClaims()), "")
	env.Services.Errs = []*relay.Error{relay.NewWarning(relay.CodePermission, "no e_remediation")}
	warned := env.post(t, "/health/", hs256(t, validClaims()), "")
	env.Services.Errs = []*relay.Error{relay.FromGateway(nil)}
	failed := env.post(t, "/health", hs256(t, validClaims()), "")

	require.JSONEq(t, `{"data":{"status":"ok"}}`, ok.Raw)
	require.JSONEq(t, `{"data":{"status":"ok"},"errors":[{"type":"warning","code":"permission denied","message":"no e_remediation"}]}`, warned.Raw)
	requireError(t, failed, relay.CodeUnknown)
	require.Len(t, env.Services.Calls(), 3)
}

func TestTrigger(t *testing.T) {
	env := startEnv(t, testOptions())
	env.Services.Result = relay.TriggerResult{Status: relay.StatusSuccess}

	r := env.post(t, "/respond/trigger", hs256(t, validClaims()),
		`{"action-id":"esa-remediate-delete","observable_type":"Cisco_MID","observable_value":"123","serial":"S1","n":2}`)

	require.JSONEq(t, `{"data":{"status":"success"}}`, r.Raw)
	calls := env.Services.Calls()
	require.Len(t, calls, 1)
	req := calls[0].Req
	require.Equal(t, "esa-remediate-delete", req.ActionID)
	require.Equal(t, "cisco_mid", req.ObservableType)
	require.Equal(t, "123", req.ObservableValue)
	require.Equal(t, map[string]json.RawMessage{"serial": json.RawMessage(`"S1"`), "n": json.RawMessage(`2`)}, req.Params)
}

func TestTriggerFailureShape(t *testing.T) {
	env := startEnv(t, testOptions())
	env.Services.Result = relay.TriggerResult{Status: relay.StatusFailure, Errors: []*relay.Error{relay.NewFatal(relay.CodeInvalidRequest, "Unsupported action.")}}

	r := env.post(t, "/respond/trigger", hs256(t, validClaims()), `{"action-id":"x","observable_type":"ip","observable_value":"1"}`)

	require.JSONEq(t, `{"data":{"status":"failure"},"errors":[{"type":"fatal","code":"invalid request","message":"Unsupported action."}]}`, r.Raw)
}

func TestTriggerBodyRules(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"array", `[]`, "not a JSON object"},
		{"underscore action id", `{"action_id":"x","observable_type":"ip","observable_value":"1"}`, `field "action-id" is missing`},
		{"blank type", `{"action-id":"x","observable_type":"","observable_value":"1"}`, `field "observable_type" may not be blank`},
		{"numeric value", `{"action-id":"x","observable_type":"ip","observable_value":1}`, `field "observable_value" must be a string`},
		{"two values", `{"action-id":"x","observable_type":"ip","observable_value":"1"} {}`, "after the JSON value"},
		{"not json", `{"action-id":`, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startEnv(t, testOptions())

			r := env.post(t, "/respond/trigger", hs256(t, validClaims()), tc.body)

			requireError(t, r, relay.CodeInvalidArgument)
			require.Contains(t, r.Errors[0].Message, tc.want)
			require.Empty(t, env.Services.Calls())
		})
	}
}

func TestTiles(t *testing.T) {
	env := startEnv(t, testOptions())
	token := hs256(t, validClaims())

	catalogue := env.post(t, "/tiles", token, "")
	tile := env.post(t, "/tiles/tile", token, `{"tile_id":"mail-volume"}`)
	tileData := env.post(t, "/tiles/tile-data/", token, `{"tile_id":"mail-volume","period":"last_7_days"}`)
	badBody := env.post(t, "/tiles/tile", token, `[]`)
	noToken := env.post(t, "/tiles", "", "")

	require.JSONEq(t, `{"data":[]}`, catalogue.Raw)
	requireError(t, tile, relay.CodeNotFound)
	require.Contains(t, tile.Errors[0].Message, `"mail-volume"`)
	requireError(t, tileData, relay.CodeNotFound)
	requireError(t, badBody, relay.CodeInvalidArgument)
	requireError(t, noToken, relay.CodeAuthorization)
}

func TestModuleInstanceHeader(t *testing.T) {
	env := startEnv(t, testOptions())
	claims := validClaims()
	claims["sub"] = "analyst@example.com"

	ok := env.do(t, http.MethodPost, "/refer/observables", hs256(t, claims), `[{"type":"ip","value":"192.0.2.1"}]`, "X-Module-Instance-ID", "0b7c-11ef:instance")
	bad := env.do(t, http.MethodPost, "/refer/observables", hs256(t, claims), `[]`, "X-Module-Instance-ID", "a/b")

	require.Empty(t, ok.Errors)
	calls := env.Services.Calls()
	require.Len(t, calls, 1)
	require.Equal(t, "0b7c-11ef:instance", calls[0].Module.Instance)
	require.Equal(t, "analyst@example.com", calls[0].Module.Subject)
	requireError(t, bad, relay.CodeInvalidArgument)
	require.Contains(t, bad.Errors[0].Message, "X-Module-Instance-ID")
}

func TestReadAllAgainstAnnouncedSize(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		size  int64
		limit int64
		want  string
	}{
		{"exact size", "abcdef", 6, 100, "abcdef"},
		{"unknown size", "abcdef", -1, 100, "abcdef"},
		{"longer than announced", "abcdefgh", 3, 100, "abcdefgh"},
		{"shorter than announced", "abc", 6, 100, "abc"},
		{"over the limit", "abcdefgh", -1, 5, "abcde"},
		{"announced over the limit", "abcdefgh", 8, 5, "abcde"},
		{"empty", "", 0, 100, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(iotest.OneByteReader(strings.NewReader(tc.body)), tc.size, tc.limit)
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
		})
	}
}
