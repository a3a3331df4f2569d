package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// demoWait bounds each wait on the demo process.
const demoWait = 2 * time.Minute

var (
	demoBuildOnce sync.Once
	demoBuildDir  string
	demoBinPath   string
	demoBuildErr  error
)

// TestMain removes the relay binary that demoBinary built, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if demoBuildDir != "" {
		_ = os.RemoveAll(demoBuildDir)
	}
	os.Exit(code)
}

// demoBinary builds the relay program once per test binary, so the demo
// runs as users run it and can receive a real SIGINT.
func demoBinary(t *testing.T) string {
	t.Helper()
	demoBuildOnce.Do(func() {
		demoBuildDir, demoBuildErr = os.MkdirTemp("", "relay-demo")
		if demoBuildErr != nil {
			return
		}
		demoBinPath = filepath.Join(demoBuildDir, "relay")
		out, err := exec.Command("go", "build", "-o", demoBinPath, ".").CombinedOutput()
		if err != nil {
			demoBuildErr = errors.New(string(out))
		}
	})
	require.NoError(t, demoBuildErr, "building the relay program")
	return demoBinPath
}

// demoRequireCurl skips without curl, except in CI, where the printed
// commands must be proven.
func demoRequireCurl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err == nil {
		return
	}
	msg := "curl not found in PATH; install curl (apt-get install curl) to run the printed demo commands"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// demoProcess is a running `relay demo`.
type demoProcess struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	// stdout holds every line printed so far.
	stdout []string
}

// demoStart runs the demo on free ports and reads its output up to the
// Ctrl-C hint, which follows the summary and the commands.
func demoStart(t *testing.T) *demoProcess {
	t.Helper()
	cmd := exec.Command(demoBinary(t), "demo", "-addr", "127.0.0.1:0", "-sim-addr", "127.0.0.1:0")
	p := &demoProcess{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()

	deadline := time.After(demoWait)
	for {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "the demo stopped before printing its commands; stderr:\n%s\nstdout:\n%s",
				p.stderr.String(), strings.Join(p.stdout, "\n"))
			p.stdout = append(p.stdout, line)
			if strings.HasPrefix(line, "Press Ctrl-C") {
				go func() {
					for range lines {
					}
				}()
				return p
			}
		case <-deadline:
			t.Fatalf("the demo printed no commands within %s; stderr:\n%s", demoWait, p.stderr.String())
		}
	}
}

// count reads the number after a summary heading such as "Verdicts:".
func (p *demoProcess) count(t *testing.T, heading string) int {
	t.Helper()
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(heading) + ` (\d+)`)
	for _, line := range p.stdout {
		if m := re.FindStringSubmatch(line); m != nil {
			n, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no %q line in the demo output:\n%s", heading, strings.Join(p.stdout, "\n"))
	return 0
}

func (p *demoProcess) commands() []string {
	var out []string
	for _, line := range p.stdout {
		if strings.HasPrefix(line, "curl ") {
			out = append(out, line)
		}
	}
	return out
}

// demoTokenOf returns the bearer token a printed command carries.
func demoTokenOf(t *testing.T, command string) string {
	t.Helper()
	m := regexp.MustCompile(`Authorization: Bearer ([A-Za-z0-9_.-]+)`).FindStringSubmatch(command)
	require.NotNil(t, m, "no bearer token in %s", command)
	return m[1]
}

// demoEnvelopeOf runs one printed command as printed and decodes the
// relay's response.
func demoEnvelopeOf(t *testing.T, command string) (map[string]any, string) {
	t.Helper()
	out, err := exec.Command("bash", "-c", command).Output()
	require.NoError(t, err, "running %s", command)
	var env map[string]any
	require.NoError(t, json.Unmarshal(out, &env), "the command returned no JSON: %s", out)
	return env, string(out)
}

func TestDemoPrintsSummaryAndWorkingCommands(t *testing.T) {
	demoRequireCurl(t)
	p := demoStart(t)

	require.GreaterOrEqual(t, p.count(t, "Sightings:"), 1)
	require.GreaterOrEqual(t, p.count(t, "Verdicts:"), 1)
	require.GreaterOrEqual(t, p.count(t, "Offered actions:"), 1)
	output := strings.Join(p.stdout, "\n")
	require.Contains(t, output, "carries the demo gateway password")
	require.Contains(t, output, "from it-support@account-verify.example to alice@example.com")

	commands := p.commands()
	require.Len(t, commands, 4, output)
	require.Contains(t, commands[3], "/respond/trigger")
	require.Contains(t, commands[3], `"action-id":"esa-remediate-delete"`)
	require.Contains(t, commands[3], `$verify+01@account-verify.example>`)

	for _, c := range commands {
		env, raw := demoEnvelopeOf(t, c)
		require.Contains(t, env, "data", raw)
		require.NotNil(t, env["data"], raw)
		if strings.Contains(c, "/respond/trigger") {
			require.Equal(t, map[string]any{"status": "success"}, env["data"], raw)
		} else {
			require.NotEmpty(t, env["data"], raw)
		}
	}

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "stderr:\n%s", p.stderr.String())
	case <-time.After(demoWait):
		t.Fatal("the demo did not stop after SIGINT")
	}
	require.Equal(t, 0, p.cmd.ProcessState.ExitCode())

	claims := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(demoTokenOf(t, commands[0]), claims)
	require.NoError(t, err)
	password, _ := claims["GATEWAY_PASSWORD"].(string)
	require.NotEmpty(t, password)
	require.NotContains(t, output, password, "the password appears outside the token")
	require.NotContains(t, p.stderr.String(), password)
}

func TestDemoRejectsNonLoopbackSimulator(t *testing.T) {
	var out, errOut bytes.Buffer
	env := environment{Stdout: &out, Stderr: &errOut, Getenv: envOf()}

	code := run(t.Context(), []string{"demo", "-sim-addr", "192.0.2.1:0"}, env)

	require.Equal(t, 2, code)
	require.Contains(t, errOut.String(), "not a loopback address")
	require.Empty(t, out.String())
}

func TestShellQuoteSurvivesBash(t *testing.T) {
	cases := []struct {
		name  string
		value string
	}{
		{"dollar", "<b7f1e2c4.0042$verify+01@account-verify.example>"},
		{"single quote", `it's "quoted"`},
		{"backslash and backtick", "a\\b`c`$(d)"},
		{"json", `{"action-id":"esa-remediate-delete","mids":"1,2"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath("bash"); err != nil {
				t.Skip("bash not found in PATH")
			}

			out, err := exec.Command("bash", "-c", "printf %s "+shellQuote(tc.value)).Output()

			require.NoError(t, err)
			require.Equal(t, tc.value, string(out))
		})
	}
}
