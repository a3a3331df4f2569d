package store

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// URL schemes for the deployments that OpenRedis connects to.
const (
	schemeRedis    = "redis"
	schemeRedisTLS = "rediss"
	schemeUnix     = "unix"
	schemeSentinel = "redis+sentinel"
	schemeCluster  = "redis+cluster"
)

const (
	defaultSentinelPort = "26379"
	defaultRedisPort    = "6379"
)

// redisConfig is a parsed Redis URL: exactly one of the three option sets
// is set.
type redisConfig struct {
	standalone *redis.Options
	failover   *redis.FailoverOptions
	cluster    *redis.ClusterOptions
}

// parseRedisURL reads a Redis URL of any supported form. Its errors quote
// the URL with the password masked.
func parseRedisURL(rawURL string) (*redisConfig, error) {
	scheme, rest, found := strings.Cut(rawURL, "://")
	if !found {
		return nil, urlError(rawURL, "has no scheme; expected redis://, rediss://, unix://, "+
			"redis+sentinel:// or redis+cluster://")
	}

	switch strings.ToLower(scheme) {
	case schemeRedis, schemeRedisTLS, schemeUnix:
		return parseStandaloneURL(rawURL)
	case schemeSentinel:
		return parseSentinelURL(rawURL, rest)
	case schemeCluster:
		return parseClusterURL(rawURL, rest)
	default:
		return nil, urlError(rawURL, "has an unsupported scheme; expected redis://, rediss://, "+
			"unix://, redis+sentinel:// or redis+cluster://")
	}
}

func parseStandaloneURL(rawURL string) (*redisConfig, error) {
	// url.Parse errors quote the whole URL, password included, so they are
	// replaced rather than wrapped.
	if _, err := url.Parse(rawURL); err != nil {
		return nil, urlError(rawURL, "is not a valid URL")
	}

	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL %s: %w", RedactURL(rawURL), err)
	}
	return &redisConfig{standalone: opts}, nil
}

// parseSentinelURL reads redis+sentinel://[user:pass@]host:port,host:port/<master>[?db=N].
// The credentials authenticate to the master and its replicas.
// NOTE: sentinels that require their own password, and TLS to Sentinel or
// Cluster nodes, cannot be configured through the URL yet.
func parseSentinelURL(rawURL, rest string) (*redisConfig, error) {
	user, password, hosts, path, query, err := splitMultiHostURL(rawURL, rest, defaultSentinelPort)
	if err != nil {
		return nil, err
	}

	master := strings.Trim(path, "/")
	if master == "" || strings.Contains(master, "/") {
		return nil, urlError(rawURL, "needs the master name as its path, as in redis+sentinel://host:26379/mymaster")
	}

	db := 0
	for name, values := range query {
		if name != "db" {
			return nil, urlError(rawURL, fmt.Sprintf("has an unknown parameter %q; only db is supported", name))
		}
		db, err = strconv.Atoi(values[len(values)-1])
		if err != nil || db < 0 {
			return nil, urlError(rawURL, "has a db parameter that is not a database number such as 0")
		}
	}

	return &redisConfig{failover: &redis.FailoverOptions{
		MasterName:    master,
		SentinelAddrs: hosts,
		Username:      user,
		Password:      password,
		DB:            db,
	}}, nil
}

// parseClusterURL reads redis+cluster://[user:pass@]host:port,host:port.
func parseClusterURL(rawURL, rest string) (*redisConfig, error) {
	user, password, hosts, path, query, err := splitMultiHostURL(rawURL, rest, defaultRedisPort)
	if err != nil {
		return nil, err
	}
	if strings.Trim(path, "/") != "" {
		return nil, urlError(rawURL, "has a path, but a cluster has no database number or master name")
	}
	if len(query) > 0 {
		return nil, urlError(rawURL, "has query parameters, but redis+cluster:// takes none")
	}

	return &redisConfig{cluster: &redis.ClusterOptions{
		Addrs:    hosts,
		Username: user,
		Password: password,
	}}, nil
}

// splitMultiHostURL splits what follows the scheme of a URL with a
// comma-separated host list, which url.Parse does not accept.
func splitMultiHostURL(rawURL, rest, defaultPort string) (user, password string, hosts []string, path string, query url.Values, err error) {
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	path, rawQuery, _ := strings.Cut(tail, "?")

	if at := strings.LastIndex(authority, "@"); at >= 0 {
		user, password, err = parseUserInfo(rawURL, authority[:at])
		if err != nil {
			return "", "", nil, "", nil, err
		}
		authority = authority[at+1:]
	}

	hosts, err = parseHostList(rawURL, authority, defaultPort)
	if err != nil {
		return "", "", nil, "", nil, err
	}

	query, err = url.ParseQuery(rawQuery)
	if err != nil {
		return "", "", nil, "", nil, urlError(rawURL, "has an invalid query string")
	}
	return user, password, hosts, path, query, nil
}

func parseUserInfo(rawURL, userInfo string) (string, string, error) {
	rawUser, rawPassword, _ := strings.Cut(userInfo, ":")
	user, err := url.PathUnescape(rawUser)
	if err != nil {
		return "", "", urlError(rawURL, "has an invalid percent-encoding in the user name")
	}
	password, err := url.PathUnescape(rawPassword)
	if err != nil {
		return "", "", urlError(rawURL, "has an invalid percent-encoding in the password")
	}
	return user, password, nil
}

func parseHostList(rawURL, list, defaultPort string) ([]string, error) {
	if list == "" {
		return nil, urlError(rawURL, "has no hosts; list them as host:port,host:port")
	}

	var hosts []string
	for _, hostPort := range strings.Split(list, ",") {
		host, port, err := net.SplitHostPort(hostPort)
		if err != nil {
			// A host without a port, IPv6 in brackets or not.
			host, port = strings.TrimSuffix(strings.TrimPrefix(hostPort, "["), "]"), defaultPort
		}
		number, err := strconv.Atoi(port)
		if host == "" || err != nil || number < 1 || number > 65535 {
			return nil, urlError(rawURL, fmt.Sprintf("has an invalid host %q; expected host:port", hostPort))
		}
		hosts = append(hosts, net.JoinHostPort(host, port))
	}
	return hosts, nil
}

// RedactURL returns rawURL with the password, if any, replaced by "xxxxx",
// also when rawURL does not parse as a URL.
func RedactURL(rawURL string) string {
	scheme, rest, found := strings.Cut(rawURL, "://")
	if !found {
		if strings.Contains(rawURL, "@") {
			return "xxxxx"
		}
		return rawURL
	}

	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return rawURL
	}

	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return rawURL
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

func urlError(rawURL, problem string) error {
	return fmt.Errorf("redis URL %s %s", RedactURL(rawURL), problem)
}

// applyOptions fills the timeouts, pool size and retries that the URL's query
// parameters left unset.
func (c *redisConfig) applyOptions(o RedisOptions) {
	switch {
	case c.standalone != nil:
		fill(&c.standalone.DialTimeout, o.DialTimeout)
		fill(&c.standalone.ReadTimeout, o.ReadTimeout)
		fill(&c.standalone.WriteTimeout, o.WriteTimeout)
		fill(&c.standalone.PoolSize, o.PoolSize)
		fill(&c.standalone.MaxRetries, o.MaxRetries)
		fill(&c.standalone.DialerRetries, dialerRetries)
	case c.failover != nil:
		fill(&c.failover.DialTimeout, o.DialTimeout)
		fill(&c.failover.ReadTimeout, o.ReadTimeout)
		fill(&c.failover.WriteTimeout, o.WriteTimeout)
		fill(&c.failover.PoolSize, o.PoolSize)
		fill(&c.failover.MaxRetries, o.MaxRetries)
		fill(&c.failover.DialerRetries, dialerRetries)
	case c.cluster != nil:
		fill(&c.cluster.DialTimeout, o.DialTimeout)
		fill(&c.cluster.ReadTimeout, o.ReadTimeout)
		fill(&c.cluster.WriteTimeout, o.WriteTimeout)
		fill(&c.cluster.PoolSize, o.PoolSize)
		fill(&c.cluster.MaxRetries, o.MaxRetries)
		fill(&c.cluster.DialerRetries, dialerRetries)
	}
}

// dialerRetries keeps go-redis from dialing a server that is down five
// times per command, its default, on top of MaxRetries.
const dialerRetries = 1

func fill[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// newClient builds the go-redis client; it connects lazily.
func (c *redisConfig) newClient() (redis.UniversalClient, error) {
	switch {
	case c.standalone != nil:
		return redis.NewClient(c.standalone), nil
	case c.failover != nil:
		return redis.NewFailoverClient(c.failover), nil
	case c.cluster != nil:
		return redis.NewClusterClient(c.cluster), nil
	}
	return nil, errors.New("redis URL produced no client options")
}
