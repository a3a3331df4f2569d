package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	readmeSettingsStart = "<!-- settings table: generated from cmd/relay/config.go -->"
	readmeSettingsEnd   = "<!-- end of settings table -->"
)

// TestREADMESettingsTable keeps the README's settings table equal to the
// settings the relay reads. Run it with RELAY_UPDATE_README=1 to rewrite
// the table after a setting changed.
func TestREADMESettingsTable(t *testing.T) {
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(raw)

	start := strings.Index(readme, readmeSettingsStart)
	end := strings.Index(readme, readmeSettingsEnd)
	require.NotEqual(t, -1, start, "README.md lacks the settings table start marker")
	require.Greater(t, end, start, "README.md lacks the settings table end marker")

	want := readmeSettingsStart + "\n" + markdownSettings()
	got := readme[start:end]
	if got != want && os.Getenv("RELAY_UPDATE_README") == "1" {
		require.NoError(t, os.WriteFile(path, []byte(readme[:start]+want+readme[end:]), 0o644))
		return
	}
	require.Equal(t, want, got, "the README settings table is out of date; run RELAY_UPDATE_README=1 go test ./cmd/relay -run TestREADMESettingsTable")
}

func markdownSettings() string {
	var b strings.Builder
	b.WriteString("| setting | default | unit | meaning |\n| --- | --- | --- | --- |\n")
	for _, s := range settings {
		def := "–"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		meaning := strings.ReplaceAll(s.Meaning, "|", `\|`)
		b.WriteString("| `" + s.Name + "` | " + def + " | " + s.Unit + " | " + meaning + " |\n")
	}
	return b.String()
}
