// Command gatewaysim runs the simulated AsyncOS API v2.0 gateway (package
// gateway/sim) as a program, for demos and manual tests of the relay.
//
//	go run ./cmd/gatewaysim -tls -ca-out /tmp/gatewaysim-ca.pem
//
// It prints the base URL it listens on and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/securex-esa/relay/gateway/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "gatewaysim:", err)
		os.Exit(2)
	}
}

// config is the settings parsed from the command line.
type config struct {
	addr, caOut, writeData string
	useTLS, verbose        bool
	opts                   sim.Options
	fault                  sim.Fault
	user, password         string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("gatewaysim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: gatewaysim [flags]\n\nServes a simulated Cisco AsyncOS API v2.0 (ESA and SMA prefixes) and prints its base URL.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:0", "listen address `host:port`; port 0 picks a free port")
	fs.BoolVar(&c.useTLS, "tls", false, "serve HTTPS with a certificate from a generated CA")
	fs.StringVar(&c.caOut, "ca-out", "", "write the generated CA certificate (PEM) to this `file`; needs -tls")
	fs.StringVar(&c.opts.DataFile, "data", "", "load the dataset from this JSON `file` instead of generating it")
	fs.StringVar(&c.writeData, "write-data", "", "write the dataset as JSON to this `file` at start, for later use with -data")
	fs.Int64Var(&c.opts.Seed, "seed", 1, "seed of the generated dataset")
	fs.IntVar(&c.opts.Messages, "messages", 3000, "number of generated background messages")
	fs.IntVar(&c.opts.Days, "days", 30, "days of history the generated messages span")
	fs.IntVar(&c.opts.BadRecordsPerPage, "bad-records", 0, "records dropped from every search page and reported in num_bad_records")
	fs.BoolVar(&c.opts.EmptyAsObject, "empty-as-object", false, "answer {} to a tracking search with no results")
	fs.DurationVar(&c.opts.RemediationDelay, "remediation-delay", 2*time.Second, "time a remediation stays Queued before it ends Success or Failed")
	fs.DurationVar(&c.fault.Latency, "latency", 0, "fixed delay added to every response")
	fs.DurationVar(&c.fault.Jitter, "jitter", 0, "maximum random delay added on top of -latency")
	fs.Float64Var(&c.fault.ErrorRate, "error-rate", 0, "fraction of requests (0 to 1) that get -error-status")
	fs.IntVar(&c.fault.ErrorStatus, "error-status", 503, "HTTP status of injected errors, for example 429, 500 or 503")
	fs.BoolVar(&c.fault.DropConnections, "drop", false, "close every connection without a response")
	fs.BoolVar(&c.fault.Outage, "outage", false, "close every connection as soon as it is accepted")
	fs.StringVar(&c.fault.SlowEndpoint, "slow-endpoint", "", "`endpoint` that gets -slow-delay, for example message-tracking/messages")
	fs.DurationVar(&c.fault.SlowDelay, "slow-delay", 0, "extra delay of -slow-endpoint")
	fs.StringVar(&c.user, "user", "admin", "API user name")
	fs.StringVar(&c.password, "password", "ironport", "API password of -user")
	fs.BoolVar(&c.verbose, "v", false, "log every request to stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, c.validate()
}

func (c *config) validate() error {
	var errs []error
	if c.fault.ErrorRate < 0 || c.fault.ErrorRate > 1 {
		errs = append(errs, fmt.Errorf("-error-rate %v is out of range; use a fraction from 0 to 1", c.fault.ErrorRate))
	}
	if c.fault.ErrorStatus < 400 || c.fault.ErrorStatus > 599 {
		errs = append(errs, fmt.Errorf("-error-status %d is not an error status; use 400 to 599", c.fault.ErrorStatus))
	}
	if c.caOut != "" && !c.useTLS {
		errs = append(errs, errors.New("-ca-out needs -tls"))
	}
	if c.opts.Messages < 0 || c.opts.Days < 1 {
		errs = append(errs, errors.New("-messages must be 0 or more and -days 1 or more"))
	}
	if c.user == "" || c.password == "" {
		errs = append(errs, errors.New("-user and -password must not be empty"))
	}
	return errors.Join(errs...)
}

// run starts the simulator and blocks until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	c.opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	c.opts.Users = map[string]string{c.user: c.password}
	s, err := sim.New(c.opts)
	if err != nil {
		return err
	}
	s.SetFault(c.fault)
	if err := c.writeFiles(s); err != nil {
		return err
	}
	start := s.Start
	if c.useTLS {
		start = s.StartTLS
	}
	base, err := start(c.addr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, base)
	<-ctx.Done()
	return s.Close()
}

func (c *config) writeFiles(s *sim.Server) error {
	if c.caOut != "" {
		if err := os.WriteFile(c.caOut, s.CAPEM(), 0o644); err != nil {
			return fmt.Errorf("write CA certificate: %w", err)
		}
	}
	if c.writeData == "" {
		return nil
	}
	f, err := os.Create(c.writeData)
	if err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	if err := s.WriteData(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
