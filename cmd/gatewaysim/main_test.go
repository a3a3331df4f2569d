package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-h"}, io.Discard, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, name := range []string{
		"-addr", "-tls", "-ca-out", "-data", "-seed", "-messages", "-latency", "-jitter", "-error-rate",
		"-error-status", "-drop", "-outage", "-slow-endpoint", "-slow-delay", "-remediation-delay", "-user", "-password",
	} {
		require.Contains(t, out.String(), "  "+name, name)
	}
}

func TestInvalidFlagsAreReported(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"error rate", []string{"-error-rate", "2"}, "-error-rate"},
		{"error status", []string{"-error-status", "200"}, "-error-status"},
		{"ca without tls", []string{"-ca-out", "x.pem"}, "-ca-out needs -tls"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestRunServesTLSAndStopsOnCancel(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-tls", "-ca-out", ca, "-messages", "50", "-user", "u", "-password", "p"}, pw, io.Discard)
		pw.Close()
	}()
	base, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	base = strings.TrimSpace(base)
	require.True(t, strings.HasPrefix(base, "https://127.0.0.1:"), base)

	pem, err := os.ReadFile(ca)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest(http.MethodGet, base+"/esa/api/v2.0/health", nil)
	req.SetBasicAuth("u", "p")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}
