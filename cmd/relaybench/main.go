// Command relaybench measures the relay the way the platform drives it. It
// builds ./cmd/relay, starts the gateway simulator in process (HTTPS on
// loopback), a redis-server unless RELAY_REDIS_URL names one, and relay
// processes, then runs scenarios and prints one table per scenario.
//
//	go run ./cmd/relaybench                       # every scenario
//	go run ./cmd/relaybench -scenario herd -json herd.json
//	go run ./cmd/relaybench -scenario cold-observe -relay-env RELAY_LOOKUP_CONCURRENCY=20
//
// Targets are printed with PASS or MISS beside the measured value; the
// program never fails because a target is missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if path := os.Getenv(floorConfigEnv); path != "" {
		os.Exit(floorMain(path))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command-line settings. Zero numeric values keep each
// scenario's default.
type options struct {
	scenario    string
	jsonPath    string
	duration    time.Duration
	requests    int
	concurrency int
	latency     time.Duration
	redisURL    string
	keep        bool
	// relayEnv are KEY=VALUE settings added to every relay's environment.
	relayEnv []string
}

// fixedRelayEnv are the relay settings relaybench makes itself, which
// -relay-env cannot replace without breaking the measurement.
var fixedRelayEnv = []string{
	"RELAY_ADDR", "RELAY_METRICS_ADDR", "RELAY_JWT_SECRET", "RELAY_GATEWAY_HOSTS",
	"RELAY_REDIS_URL", "RELAY_STATE_KEY", "RELAY_LOG_FORMAT",
}

// addRelayEnv checks and records one -relay-env value.
func (o *options) addRelayEnv(kv string) error {
	key, _, ok := strings.Cut(kv, "=")
	switch {
	case !ok || key == "":
		return fmt.Errorf("invalid value %q; expected KEY=VALUE such as RELAY_LOOKUP_CONCURRENCY=20", kv)
	case slices.Contains(fixedRelayEnv, key):
		return fmt.Errorf("%s is set by relaybench itself and cannot be replaced; the fixed settings are %s", key, strings.Join(fixedRelayEnv, ", "))
	}
	o.relayEnv = append(o.relayEnv, kv)
	return nil
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("relaybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs) }
	fs.StringVar(&o.scenario, "scenario", "all", "scenario to run: all, or one of "+strings.Join(scenarioNames(), ", "))
	fs.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this `file`")
	fs.DurationVar(&o.duration, "duration", 0, "measuring time of the time-based scenarios, overriding their defaults: cached-deliberate (per server) and connections")
	fs.IntVar(&o.requests, "requests", 0, "request count of the count-based scenarios, overriding their defaults: cold-observe, herd (the herd size), scale-out; cached-deliberate stops after this many per server instead of after -duration")
	fs.IntVar(&o.concurrency, "concurrency", 0, "concurrent requests, overriding every scenario's default; for connections it is the number of keep-alive clients")
	fs.DurationVar(&o.latency, "latency", 100*time.Millisecond, "simulator latency added to every gateway response in cold-observe and herd")
	fs.StringVar(&o.redisURL, "redis", os.Getenv("RELAY_REDIS_URL"), "Redis `URL` the relays share; default RELAY_REDIS_URL, else a redis-server started on a unix socket in the temporary folder and stopped at exit")
	fs.Func("relay-env", "add `KEY=VALUE` to the environment of every relay process, such as RELAY_LOOKUP_CONCURRENCY=20; repeat it for several settings. relaybench removes the caller's RELAY_ variables and sets "+strings.Join(fixedRelayEnv, ", ")+" itself, which cannot be replaced. The values are printed with the results", o.addRelayEnv)
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (relay binary, relay logs, CA PEM) and print its path")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q; every setting is a flag, see -h", fs.Arg(0))
	}
	return o, o.validate()
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: go run ./cmd/relaybench [flags]\n\n")
	fmt.Fprintf(w, "Builds ./cmd/relay, starts the gateway simulator, Redis and relay processes on\n")
	fmt.Fprintf(w, "127.0.0.1, drives the relay over HTTP and prints one table per scenario.\n")
	fmt.Fprintf(w, "Run it from the module root.\n\nScenarios:\n")
	for _, s := range scenarios {
		fmt.Fprintf(w, "  %-18s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nFlags:\n")
	fs.PrintDefaults()
}

func (o *options) validate() error {
	var errs []error
	if o.scenario != "all" && findScenario(o.scenario) == nil {
		errs = append(errs, fmt.Errorf("-scenario: unknown scenario %q; expected all or one of %s", o.scenario, strings.Join(scenarioNames(), ", ")))
	}
	if o.duration < 0 {
		errs = append(errs, fmt.Errorf("-duration: invalid value %s; expected a positive duration such as 10s", o.duration))
	}
	if o.requests < 0 {
		errs = append(errs, fmt.Errorf("-requests: invalid value %d; expected a positive count", o.requests))
	}
	if o.concurrency < 0 {
		errs = append(errs, fmt.Errorf("-concurrency: invalid value %d; expected a positive count", o.concurrency))
	}
	if o.latency < 0 {
		errs = append(errs, fmt.Errorf("-latency: invalid value %s; expected 0 or a positive duration", o.latency))
	}
	return errors.Join(errs...)
}

// run parses the flags, sets up the environment and runs the scenarios. It
// returns the process exit code: 0 when every scenario ran, 1 when one
// failed to run, 2 for invalid flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "relaybench: %v\n", err)
		return 2
	}

	b, err := setup(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "relaybench: %v\n", err)
		return 1
	}
	defer b.close()

	if len(o.relayEnv) > 0 {
		fmt.Fprintf(stdout, "relay environment adds %s\n", strings.Join(o.relayEnv, " "))
	}
	results, failed := runScenarios(ctx, b, o, stdout, stderr)
	if o.jsonPath != "" {
		if err := writeJSON(o.jsonPath, b.machine(), o.relayEnv, results); err != nil {
			fmt.Fprintf(stderr, "relaybench: %v\n", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

// runScenarios runs the selected scenarios in order, printing each table
// as soon as it is done. A scenario that fails is reported and the others
// still run.
func runScenarios(ctx context.Context, b *bench, o *options, stdout, stderr io.Writer) ([]*result, bool) {
	var results []*result
	failed := false
	for _, s := range scenarios {
		if o.scenario != "all" && o.scenario != s.name {
			continue
		}
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "relaybench: interrupted before %s\n", s.name)
			return results, true
		}
		fmt.Fprintf(stderr, "relaybench: running %s\n", s.name)
		start := time.Now()
		r, err := s.run(ctx, b)
		if err != nil {
			fmt.Fprintf(stderr, "relaybench: scenario %s failed: %v\n", s.name, err)
			failed = true
			continue
		}
		r.Scenario = s.name
		r.WallSeconds = time.Since(start).Seconds()
		printResult(stdout, r)
		results = append(results, r)
	}
	return results, failed
}
