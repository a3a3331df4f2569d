package enrich_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

func TestLogLinesNameComponentOnce(t *testing.T) {
	e := newEnv(t, envOptions{component: "enrich"})
	m := e.module(simPassword)
	hash := obs(observables.SHA256, e.stories.Malware.SHA256)
	key := relay.Key(relay.Tenant([]byte(testStateKey), m), "verdict", string(hash.Type), hash.Value)
	require.NoError(t, e.store.Set(context.Background(), key, []byte("not an entry"), time.Hour))

	_, errs := e.deliberate(t, m, hash)
	require.Empty(t, errs)
	var line string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "verdict cache entry unreadable") {
			line = l
		}
	}
	require.NotEmpty(t, line, "the corrupt entry is logged")
	require.Equal(t, 1, strings.Count(line, `"component"`), line)
	require.Contains(t, line, `"component":"enrich"`)
}
