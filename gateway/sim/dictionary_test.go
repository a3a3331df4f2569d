package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDictionaryMatchesEnvelopeSender(t *testing.T) {
	s, err := New(Options{Messages: 10, Dictionaries: map[string][]string{
		"blocked": {`^bad@evil\.example$`, `[@.]spam\.test$`},
	}})
	require.NoError(t, err)

	require.True(t, s.DictionaryMatches("blocked", "bad@evil.example"))
	require.True(t, s.DictionaryMatches("blocked", "BAD@Evil.Example"))
	require.True(t, s.DictionaryMatches("blocked", "x@mx.spam.test"))
	require.False(t, s.DictionaryMatches("blocked", "xbad@evil.example"))
	require.False(t, s.DictionaryMatches("blocked", "x@nospam.test"))
	require.False(t, s.DictionaryMatches("missing", "bad@evil.example"))

	s.SetDictionaryIgnoreCase("blocked", false)
	require.False(t, s.DictionaryMatches("blocked", "BAD@Evil.Example"))
	require.True(t, s.DictionaryMatches("blocked", "bad@evil.example"))
}
