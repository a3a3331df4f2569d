package respond

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBlockTermForms(t *testing.T) {
	cases := []struct {
		name    string
		term    string
		matches []string
		misses  []string
	}{
		{"domain", domainTerm("ample.com"),
			[]string{"x@ample.com", "x@mail.ample.com"},
			[]string{"ceo@example.com", "x@sample.com", "ample.com@gmail.com", "x@ample.com.evil.test", "x@amplexcom"}},
		{"sender", senderTerm("it-support@account-verify.example"),
			[]string{"it-support@account-verify.example"},
			[]string{"bit-support@account-verify.example.attacker.test", "bit-support@account-verify.example",
				"it-support@account-verify.example.attacker.test"}},
		{"sender with metacharacters", senderTerm("bad+tag@evil.example"),
			[]string{"bad+tag@evil.example"},
			[]string{"baddtag@evil.example", "badtag@evil.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			re := regexp.MustCompile("(?i)" + tc.term)
			for _, s := range tc.matches {
				require.True(t, re.MatchString(s), "%s matches %s", tc.term, s)
			}
			for _, s := range tc.misses {
				require.False(t, re.MatchString(s), "%s does not match %s", tc.term, s)
			}
		})
	}
}

func TestParseBlockTerm(t *testing.T) {
	cases := []struct {
		name   string
		term   string
		ok     bool
		domain bool
		value  string
		exact  bool
	}{
		{"relay sender", `^bad\+tag@evil\.example$`, true, false, "bad+tag@evil.example", true},
		{"relay domain", `[@.]evil\.example$`, true, true, "evil.example", true},
		{"older relay domain", `evil\.example`, true, true, "evil.example", false},
		{"older relay sender", `bad\+tag@evil\.example`, true, false, "bad+tag@evil.example", false},
		{"bare domain", "evil.example", true, true, "evil.example", false},
		{"at domain", "@evil.example", true, true, "evil.example", false},
		{"ends with domain", `evil\.example$`, true, true, "evil.example", false},
		{"digit class", `^\d+spam`, false, false, "", false},
		{"alternation", `a@(b|c)\.example`, false, false, "", false},
		{"wildcard", `.*@evil\.example`, false, false, "", false},
		{"unescaped plus", "bad+tag@evil.example", false, false, "", false},
		{"domain form holding an address", `[@.]a@evil\.example$`, false, false, "", false},
		{"empty anchors", "^$", false, false, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseBlockTerm(tc.term)
			require.Equal(t, tc.ok, ok)
			if !ok {
				return
			}
			require.Equal(t, tc.term, got.term)
			require.Equal(t, tc.domain, got.domain)
			require.Equal(t, tc.value, got.value)
			require.Equal(t, tc.exact, got.exact)
		})
	}
}

func TestBlockTermRoundTrip(t *testing.T) {
	for _, v := range []string{"a.b-c+d@x-y.example", "o'neil@example.com", "x_y@sub.example.org"} {
		got, ok := parseBlockTerm(senderTerm(v))
		require.True(t, ok, v)
		require.Equal(t, v, got.value)
		require.True(t, got.exact)
	}
	got, ok := parseBlockTerm(domainTerm("sub.example.org"))
	require.True(t, ok)
	require.True(t, got.domain)
	require.Equal(t, "sub.example.org", got.value)
}
