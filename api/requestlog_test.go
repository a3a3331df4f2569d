package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRejectedRequestReasonEscapedOnce(t *testing.T) {
	env := startEnv(t, testOptions())

	r := env.post(t, "/observe/observables", hs256(t, validClaims()), `{"not":"a list"}`)

	require.Len(t, r.Errors, 1)
	var line string
	for _, l := range strings.Split(env.Logs.String(), "\n") {
		if strings.Contains(l, `"msg":"request rejected"`) {
			line = l
		}
	}
	require.NotEmpty(t, line)
	require.Contains(t, line, `"reason":"The request body is a JSON object; expected a JSON array of observables such as [{\"type\":\"ip\"`)
	require.NotContains(t, line, `\\\"`)
}

func TestCutKeepsUTF8Whole(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii cut", "abcdef", 5, "abcde..."},
		{"inside a rune", "abcdé", 5, "abcd..."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, cut(tc.in, tc.max))
		})
	}
}
