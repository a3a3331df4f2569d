package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const secret = "s3cr3t-p4ss"

func TestParseStandaloneURL(t *testing.T) {
	cases := []struct {
		name     string
		url      string
		network  string
		addr     string
		db       int
		user     string
		password string
		tls      bool
	}{
		{name: "plain", url: "redis://127.0.0.1:6380", network: "tcp", addr: "127.0.0.1:6380"},
		{name: "default port", url: "redis://localhost", network: "tcp", addr: "localhost:6379"},
		{name: "db and credentials", url: "redis://app:" + secret + "@127.0.0.1:6379/3", network: "tcp",
			addr: "127.0.0.1:6379", db: 3, user: "app", password: secret},
		{name: "tls", url: "rediss://cache.example:6380/0", network: "tcp", addr: "cache.example:6380", tls: true},
		{name: "ipv6", url: "redis://[::1]:6379", network: "tcp", addr: "[::1]:6379"},
		{name: "unix socket", url: "unix:///tmp/redis.sock?db=2", network: "unix", addr: "/tmp/redis.sock", db: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			config, err := parseRedisURL(tc.url)
			require.NoError(t, err)
			require.NotNil(t, config.standalone)
			require.Nil(t, config.failover)
			require.Nil(t, config.cluster)

			opts := config.standalone
			require.Equal(t, tc.network, opts.Network)
			require.Equal(t, tc.addr, opts.Addr)
			require.Equal(t, tc.db, opts.DB)
			require.Equal(t, tc.user, opts.Username)
			require.Equal(t, tc.password, opts.Password)
			require.Equal(t, tc.tls, opts.TLSConfig != nil)
		})
	}
}

func TestParseSentinelURL(t *testing.T) {
	config, err := parseRedisURL("redis+sentinel://app:" + secret + "@127.0.0.1:26379,[::1]:26380,sentinel-3/mymaster?db=4")
	require.NoError(t, err)
	require.NotNil(t, config.failover)

	opts := config.failover
	require.Equal(t, "mymaster", opts.MasterName)
	require.Equal(t, []string{"127.0.0.1:26379", "[::1]:26380", "sentinel-3:26379"}, opts.SentinelAddrs)
	require.Equal(t, "app", opts.Username)
	require.Equal(t, secret, opts.Password)
	require.Equal(t, 4, opts.DB)
}

func TestParseSentinelURLWithoutCredentials(t *testing.T) {
	config, err := parseRedisURL("redis+sentinel://127.0.0.1:26379/main")
	require.NoError(t, err)
	require.Equal(t, "main", config.failover.MasterName)
	require.Equal(t, 0, config.failover.DB)
	require.Empty(t, config.failover.Username)
	require.Empty(t, config.failover.Password)
}

func TestParseClusterURL(t *testing.T) {
	config, err := parseRedisURL("redis+cluster://:" + "p%40ss" + "@127.0.0.1:7000,127.0.0.1:7001,node-3")
	require.NoError(t, err)
	require.NotNil(t, config.cluster)

	opts := config.cluster
	require.Equal(t, []string{"127.0.0.1:7000", "127.0.0.1:7001", "node-3:6379"}, opts.Addrs)
	require.Empty(t, opts.Username)
	require.Equal(t, "p@ss", opts.Password)
}

func TestParseRedisURLErrors(t *testing.T) {
	cases := []struct {
		name    string
		url     string
		problem string
	}{
		{name: "no scheme", url: "127.0.0.1:6379", problem: "has no scheme"},
		{name: "unknown scheme", url: "memcached://u:" + secret + "@127.0.0.1", problem: "unsupported scheme"},
		{name: "bad standalone url", url: "redis://u:" + secret + "@127.0.0.1:6379/%zz", problem: "not a valid URL"},
		{name: "bad db", url: "redis://u:" + secret + "@127.0.0.1:6379/x", problem: "invalid database number"},
		{name: "sentinel without master", url: "redis+sentinel://u:" + secret + "@127.0.0.1:26379", problem: "master name"},
		{name: "sentinel nested path", url: "redis+sentinel://127.0.0.1:26379/a/b", problem: "master name"},
		{name: "sentinel bad db", url: "redis+sentinel://127.0.0.1:26379/m?db=-1", problem: "database number"},
		{name: "sentinel unknown parameter", url: "redis+sentinel://127.0.0.1:26379/m?tls=1", problem: `unknown parameter "tls"`},
		{name: "sentinel no hosts", url: "redis+sentinel://u:" + secret + "@/m", problem: "no hosts"},
		{name: "sentinel empty host", url: "redis+sentinel://127.0.0.1:26379,,h:1/m", problem: "invalid host"},
		{name: "sentinel bad port", url: "redis+sentinel://127.0.0.1:99999/m", problem: "invalid host"},
		{name: "cluster path", url: "redis+cluster://127.0.0.1:7000/0", problem: "has a path"},
		{name: "cluster query", url: "redis+cluster://127.0.0.1:7000?db=1", problem: "takes none"},
		{name: "cluster bad escape", url: "redis+cluster://u:%zz@127.0.0.1:7000", problem: "percent-encoding in the password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRedisURL(tc.url)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.problem)
			require.NotContains(t, err.Error(), secret)

			_, err = OpenRedis(tc.url, RedisOptions{})
			require.Error(t, err)
			require.NotContains(t, err.Error(), secret)
		})
	}
}

func TestRedactURL(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
	}{
		{name: "password", in: "redis://app:" + secret + "@h:6379/0", want: "redis://app:xxxxx@h:6379/0"},
		{name: "password only", in: "rediss://:" + secret + "@h", want: "rediss://:xxxxx@h"},
		{name: "user only", in: "redis://app@h", want: "redis://app@h"},
		{name: "no credentials", in: "redis://h:6379", want: "redis://h:6379"},
		{name: "sentinel", in: "redis+sentinel://a:" + secret + "@h1:1,h2:2/m", want: "redis+sentinel://a:xxxxx@h1:1,h2:2/m"},
		{name: "at sign in password", in: "redis://a:p@ss@h", want: "redis://a:xxxxx@h"},
		{name: "at sign in path", in: "unix:///run/a@b.sock", want: "unix:///run/a@b.sock"},
		{name: "no scheme", in: "a:" + secret + "@h", want: "xxxxx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, RedactURL(tc.in))
		})
	}
}

func TestOpenRedisAppliesOptions(t *testing.T) {
	config, err := parseRedisURL("redis://127.0.0.1:6379?read_timeout=3s")
	require.NoError(t, err)
	config.applyOptions(RedisOptions{PoolSize: 7}.withDefaults())

	require.Equal(t, DefaultDialTimeout, config.standalone.DialTimeout)
	require.Equal(t, 3*time.Second, config.standalone.ReadTimeout, "the URL's timeout must win")
	require.Equal(t, DefaultWriteTimeout, config.standalone.WriteTimeout)
	require.Equal(t, 7, config.standalone.PoolSize)
	require.Equal(t, DefaultMaxRetries, config.standalone.MaxRetries)

	for _, url := range []string{
		"redis+sentinel://127.0.0.1:26379/m",
		"redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
	} {
		r, err := OpenRedis(url, RedisOptions{})
		require.NoError(t, err, url)
		require.NoError(t, r.Close())
	}
}
