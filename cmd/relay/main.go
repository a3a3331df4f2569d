// Command relay serves the SecureX / XDR relay protocol in front of Cisco
// Secure Email gateways, and mints tokens and checks a running relay.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// environment is the part of the process a subcommand uses, so tests can
// run subcommands in process.
type environment struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// command is one subcommand. Run returns the process exit code.
type command struct {
	Summary string
	Run     func(ctx context.Context, args []string, env environment) int
}

// commands are the subcommands; "serve" runs when none is named. It is
// filled in init because usage, which serve calls, lists it.
var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":       {"serve the relay protocol (default)", serveCommand},
		"token":       {"mint an HS256 configuration token", tokenCommand},
		"healthcheck": {"call /watchdog of a running relay; exit 0 when it echoes", healthcheckCommand},
		"demo":        {"run the relay against a simulated gateway and investigate a phishing message", demoCommand},
		"audit":       {"list recent trigger audit entries from RELAY_REDIS_URL", auditCommand},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], environment{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, env environment) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "relay: unknown command %q\n\n", name)
		usage(env.Stderr)
		return 2
	}
	return cmd.Run(ctx, args, env)
}

// usage prints the subcommands and the settings table.
func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: relay [command] [flags]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintf(w, "\nSettings (environment variables):\n\n")
	PrintSettings(w)
}

func serveCommand(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { usage(env.Stdout) }
	if err := fs.Parse(args); err != nil {
		return exitCodeForFlags(err)
	}

	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "relay: invalid configuration:\n%s\n", indent(err.Error()))
		return 2
	}
	logger := newLogger(cfg, env.Stderr)
	if err := Run(ctx, cfg, logger); err != nil {
		logger.Error("relay failed", "err", err)
		return 1
	}
	return 0
}

// exitCodeForFlags returns 0 after -h and 2 after a flag error.
func exitCodeForFlags(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
