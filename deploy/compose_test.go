package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
)

// loadCompose loads docker-compose.yml the way docker compose does, schema
// validation included. It works on a copy in a temporary folder, with
// relay.env.example standing in for the operator's relay.env, so the test
// writes nothing into the repository.
func loadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()

	dir := filepath.Join(t.TempDir(), "deploy")
	require.NoError(t, os.Mkdir(dir, 0o755))
	copyFile(t, "docker-compose.yml", filepath.Join(dir, "docker-compose.yml"))
	copyFile(t, "relay.env.example", filepath.Join(dir, "relay.env"))

	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(dir, "docker-compose.yml")},
		cli.WithWorkingDirectory(dir),
		cli.WithProfiles(profiles),
	)
	require.NoError(t, err)
	project, err := opts.LoadProject(t.Context())
	require.NoError(t, err)
	return project
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()

	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
}

func TestComposeRelayService(t *testing.T) {
	project := loadCompose(t)

	relay, ok := project.Services["relay"]
	require.True(t, ok)
	require.NotNil(t, relay.Build)
	require.Equal(t, "relay", relay.Build.Target)
	require.Equal(t, []string{"serve"}, []string(relay.Command))
	require.True(t, relay.ReadOnly)
	require.Contains(t, relay.CapDrop, "ALL")

	require.NotNil(t, relay.HealthCheck)
	require.Equal(t, []string{"CMD", "/relay", "healthcheck"}, []string(relay.HealthCheck.Test))

	redisURL := relay.Environment["RELAY_REDIS_URL"]
	require.NotNil(t, redisURL)
	require.Equal(t, "redis://redis:6379/0", *redisURL)
	require.Equal(t, types.ServiceConditionHealthy, relay.DependsOn["redis"].Condition)

	var targets []uint32
	for _, p := range relay.Ports {
		require.Equal(t, "127.0.0.1", p.HostIP, "port %d is published beyond this host", p.Target)
		targets = append(targets, p.Target)
	}
	require.ElementsMatch(t, []uint32{apiPort, metricsPort}, targets)
}

func TestComposeRedisService(t *testing.T) {
	project := loadCompose(t)

	redis, ok := project.Services["redis"]
	require.True(t, ok)
	require.NotNil(t, redis.HealthCheck)
	require.Contains(t, redis.HealthCheck.Test, "ping")
	require.Empty(t, redis.Ports, "Redis is reachable from the relay only")

	command := []string(redis.Command)
	i := slices.Index(command, "--maxmemory-policy")
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, "volatile-lru", command[i+1], "eviction must spare the audit streams, which have no TTL")
}

func TestComposeSimulatorProfile(t *testing.T) {
	_, ok := loadCompose(t).Services["gatewaysim"]
	require.False(t, ok, "the simulator starts only with the sim profile")

	sim, ok := loadCompose(t, "sim").Services["gatewaysim"]
	require.True(t, ok)
	require.NotNil(t, sim.Build)
	require.Equal(t, "gatewaysim", sim.Build.Target)
	require.Equal(t, "service:relay", sim.NetworkMode, "the simulator's certificate is issued for localhost")
	require.Contains(t, []string(sim.Command), "-tls", "gateway URLs must be https")
}

// settingLine matches a commented-out setting in relay.env.example.
var settingLine = regexp.MustCompile(`^#(RELAY_[A-Z0-9_]+)=`)

func TestRelayEnvExample(t *testing.T) {
	f, err := os.Open("relay.env.example")
	require.NoError(t, err)
	defer f.Close()

	var settings []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		require.True(t, line == "" || strings.HasPrefix(line, "#"), "line %q is not commented out", line)
		if m := settingLine.FindStringSubmatch(line); m != nil {
			settings = append(settings, m[1])
		}
	}
	require.NoError(t, scanner.Err())

	for _, name := range relaySettings(t) {
		require.Contains(t, settings, name, "relay.env.example lacks a setting cmd/relay reads")
	}
	m := loadManifests(t)
	for key := range m.configMap.Data {
		require.Contains(t, settings, key, "relay.env.example lacks a setting the ConfigMap sets")
	}
	for key := range m.secret.StringData {
		require.Contains(t, settings, key, "relay.env.example lacks a setting the Secret sets")
	}
}

// settingName matches a string literal that names a relay setting.
var settingName = regexp.MustCompile(`"(RELAY_[A-Z0-9_]+)"`)

// relaySettings returns the setting names that cmd/relay's non-test sources
// spell out, so a new setting fails the test until relay.env.example
// documents it.
func relaySettings(t *testing.T) []string {
	t.Helper()

	files, err := filepath.Glob("../cmd/relay/*.go")
	require.NoError(t, err)
	var names []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range settingName.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	return names
}
