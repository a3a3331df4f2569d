package enrich

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/gateway"
	"github.com/securex-esa/relay/relay/ctim"
)

func TestFateOfEachStatus(t *testing.T) {
	cases := []struct {
		name       string
		msg        gateway.Message
		resolution string
		severity   string
	}{
		{"delivered", gateway.Message{Status: "Delivered"}, "allowed", ctim.LevelLow},
		{"hard bounce", gateway.Message{Status: "Hard Bounced"}, "detected", ctim.LevelLow},
		{"soft bounce", gateway.Message{Status: "Soft Bounced"}, "detected", ctim.LevelLow},
		{"aborted", gateway.Message{Status: "Aborted"}, "detected", ctim.LevelLow},
		{"last state unknown", gateway.Message{Status: "Last State Not Available"}, "detected", ctim.LevelUnknown},
		{"no status", gateway.Message{}, "detected", ctim.LevelUnknown},
		{"quarantined as spam", gateway.Message{Status: "Quarantined by Anti-Spam/Graymail"}, "contained", ctim.LevelMedium},
		{"quarantined by anti-virus", gateway.Message{Status: "Quarantined by Anti-Virus"}, "contained", ctim.LevelMedium},
		{"quarantined by content filters", gateway.Message{Status: "Quarantined by Content Filters"}, "contained", ctim.LevelMedium},
		{"quarantined by engines", gateway.Message{Status: "Quarantined by Multiple Engines"}, "contained", ctim.LevelMedium},
		{"quarantined by outbreak filters", gateway.Message{Status: "Quarantined by Outbreak Filters"}, "contained", ctim.LevelMedium},
		{"dropped by anti-virus", gateway.Message{Status: "Dropped By Anti-Virus"}, "blocked", ctim.LevelHigh},
		{"dropped by amp", gateway.Message{Status: "Dropped by AMP"}, "blocked", ctim.LevelHigh},
		{"dropped by outbreak filters", gateway.Message{Status: "Dropped by Outbreak Filters"}, "blocked", ctim.LevelHigh},
		{"dropped by dlp", gateway.Message{Status: "Dropped by DLP"}, "blocked", ctim.LevelMedium},
		{"dropped by content filters", gateway.Message{Status: "Dropped by Content Filters"}, "blocked", ctim.LevelMedium},
		{"rejected status", gateway.Message{Status: "Rejected"}, "blocked", ctim.LevelMedium},
		{"rejected connection", gateway.Message{Rejected: true, Status: "Rejected"}, "blocked", ctim.LevelMedium},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resolution, severity := fate(tc.msg)
			require.Equal(t, tc.resolution, resolution)
			require.Equal(t, tc.severity, severity)
		})
	}
}
