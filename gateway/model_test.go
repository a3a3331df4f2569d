package gateway

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func decodePage(t *testing.T, name string) ([]Message, *trackingPage, int) {
	t.Helper()
	var page trackingPage
	require.NoError(t, json.Unmarshal(fixture(t, name), &page))
	msgs, skipped := decodeMessages(&page, "https://sma.example.com")
	return msgs, &page, skipped
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestSearchHitQuirks(t *testing.T) {
	msgs, page, skipped := decodePage(t, "tracking-search-quirks.json")
	require.Len(t, msgs, 3)
	require.Equal(t, 1, skipped)
	require.EqualValues(t, 1, page.Meta.BadRecords)

	split := msgs[0]
	require.Equal(t, []int64{2209, 2210}, split.MIDs)
	require.EqualValues(t, 2121, split.ICID)
	require.Equal(t, "Quarantined by Anti-Spam/Graymail", split.Status)
	require.Equal(t, map[int64]string{2209: "Delivered", 2210: "Quarantined by Anti-Spam/Graymail"}, split.StatusByMID)
	require.Equal(t, []string{"alice@example.com", "bob@example.com"}, split.Recipients)
	require.Equal(t, map[int64][]string{2209: {"alice@example.com"}, 2210: {"bob@example.com"}}, split.RecipientsByMID)
	require.Equal(t, "<a+b=c/d$e@mail.example.net>", split.MessageID)
	require.Equal(t, map[int64]string{2210: "[SPAM] hello"}, split.FinalSubject)
	require.Empty(t, split.SenderGroup)
	require.NotNil(t, split.SBRS)
	require.InDelta(t, -1.5, *split.SBRS, 1e-9)
	require.Empty(t, split.Direction)
	require.Equal(t, utc("2018-04-27T00:04:13Z"), split.Time)
	require.NotNil(t, split.Remediation)
	require.Equal(t, map[int64]string{2210: "Delivered"}, split.Remediation.StateByMID)
	require.Equal(t, "Delete", split.Remediation.Details["mor_action"])
	require.Equal(t, "https://sma.example.com", split.Gateway)
	require.Equal(t, "esa.example.com", split.Host)

	plain := msgs[1]
	require.Equal(t, "Delivered", plain.Status)
	require.Equal(t, map[int64]string{88: "Delivered"}, plain.StatusByMID)
	require.Empty(t, plain.Sender)
	require.Empty(t, plain.SenderIP)
	require.Empty(t, plain.Subject)
	require.Empty(t, plain.MessageID)
	require.Nil(t, plain.SBRS)
	require.Nil(t, plain.Remediation)
	require.Equal(t, "outgoing", plain.Direction)
	require.Equal(t, utc("2024-01-01T06:10:00Z"), plain.Time)

	single := msgs[2]
	require.Equal(t, []int64{91}, single.MIDs)
	require.Equal(t, []string{"dave@example.com"}, single.Recipients)
	require.NotNil(t, single.SBRS)
	require.InDelta(t, 3.0, *single.SBRS, 1e-9)
	require.Equal(t, utc("2023-12-31T22:30:00Z"), single.Time)
}

func TestSearchRecordedBodies(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		count      int
		first      func(t *testing.T, m Message)
		totalCount int64
		bad        int64
	}{
		{
			name: "map status 2022", file: "sma-tracking-search-map-status.json", count: 4, totalCount: 4,
			first: func(t *testing.T, m Message) {
				require.Equal(t, []int64{315}, m.MIDs)
				require.Equal(t, "Delivered", m.Status)
				require.Equal(t, "<testtest@email.amazonses.com>", m.MessageID)
				require.Equal(t, []string{"no-reply@test.com"}, m.FriendlyFrom)
				require.Equal(t, "TESTSERIALNUMBER", m.Serial)
				require.Equal(t, utc("2022-09-07T08:10:33Z"), m.Time)
				require.Nil(t, m.Remediation)
				require.InDelta(t, 2.7, *m.SBRS, 1e-9)
			},
		},
		{
			name: "string status 12.x with bad records", file: "sma-tracking-search-12x-string-status-bad-records.json",
			count: 8, totalCount: 13, bad: 7,
			first: func(t *testing.T, m Message) {
				require.Equal(t, "Delivered", m.Status)
				require.Equal(t, map[int64]string{110: "Delivered"}, m.StatusByMID)
				require.Equal(t, "user1.qa", m.Sender)
				require.Empty(t, m.SenderDomain)
				require.Nil(t, m.SBRS)
				require.Empty(t, m.MessageID)
			},
		},
		{
			name: "ESA zone offset and empty messageID", file: "esa-tracking-search-dropped-by-av-page1.json",
			count: 1, totalCount: 1,
			first: func(t *testing.T, m Message) {
				require.Equal(t, "Dropped By Anti-Virus", m.Status)
				require.Empty(t, m.Host)
				require.Empty(t, m.MessageID)
				require.Nil(t, m.MessageIDByMID)
				require.Equal(t, utc("2023-07-31T15:20:45Z"), m.Time)
			},
		},
		{
			name: "rejected connection", file: "tracking-search-rejected-connections.json", count: 1, totalCount: 1,
			first: func(t *testing.T, m Message) {
				require.True(t, m.Rejected)
				require.Empty(t, m.MIDs)
				require.Equal(t, "203.0.113.9", m.SenderIP)
				require.EqualValues(t, 4410, m.ICID)
			},
		},
		{
			name: "empty object", file: "tracking-search-empty.json", count: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, page, skipped := decodePage(t, tc.file)
			require.Len(t, msgs, tc.count)
			require.Zero(t, skipped)
			require.EqualValues(t, tc.totalCount, page.Meta.TotalCount)
			require.EqualValues(t, tc.bad, page.Meta.BadRecords)
			if tc.first != nil {
				tc.first(t, msgs[0])
			}
		})
	}
}

func TestApplianceTimestamps(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Time
		ok       bool
	}{
		{"GMT", "26 Apr 2018 18:34:13 (GMT)", utc("2018-04-26T18:34:13Z"), true},
		{"GMT plus with space", "26 Apr 2018 18:34:13 (GMT +01:00)", utc("2018-04-26T17:34:13Z"), true},
		{"GMT minus without space", "26 Apr 2018 18:34:13 (GMT-06:00)", utc("2018-04-27T00:34:13Z"), true},
		{"GMT minus half hour", "26 Apr 2018 18:34:13 (GMT -05:30)", utc("2018-04-27T00:04:13Z"), true},
		{"GMT zero offset", "31 Jul 2023 15:20:45 (GMT +00:00)", utc("2023-07-31T15:20:45Z"), true},
		{"quarantine minutes", "28 Aug 2022 15:33 (GMT)", utc("2022-08-28T15:33:00Z"), true},
		{"single digit day", "7 Sep 2022 08:10:33 (GMT)", utc("2022-09-07T08:10:33Z"), true},
		{"not available", "N/A", time.Time{}, false},
		{"empty", "", time.Time{}, false},
		{"bad month", "26 Foo 2018 18:34:13 (GMT)", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseApplianceTime(tc.in)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func decodeDetail(t *testing.T, name string) *detailMessage {
	t.Helper()
	var body detailBody
	require.NoError(t, json.Unmarshal(fixture(t, name), &body))
	return body.Data.Messages
}

func TestDetailsRecordedBodies(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, d *Details, raw *detailMessage)
	}{
		{
			name: "delivered with attachments as empty string", file: "sma-tracking-details-delivered.json",
			check: func(t *testing.T, d *Details, raw *detailMessage) {
				require.Equal(t, []int64{349}, d.Message.MIDs)
				require.Equal(t, "Delivered", d.Message.Status)
				require.Empty(t, d.Attachments)
				require.Equal(t, "<test.westeurope.production.microsoft.com>", d.Message.MessageID)
				require.Equal(t, "esa1.test.eu.iphmx.com", d.Message.Host)
				require.Equal(t, "1.1.1.1", d.Message.SenderIP)
				require.InDelta(t, 3.5, *d.Message.SBRS, 1e-9)
				require.Len(t, d.Events, 3)
				require.Equal(t, utc("2022-09-07T09:08:06Z"), d.Events[2].Time)
				require.Equal(t, "70.14 (KB)", d.Size)
				require.Equal(t, "test@test.com", d.HeaderFrom)
				require.False(t, bool(raw.ShowAMP))
			},
		},
		{
			name: "12.x hash and disposition in summary", file: "sma-tracking-details-12x-dropped-by-dlp.json",
			check: func(t *testing.T, d *Details, raw *detailMessage) {
				require.Equal(t, []Attachment{{
					Name:        "driver_license_germany.txt",
					SHA256:      "7e3dee4dac8f4af561d1108c4b237e5e139bd8d3ddc8518455d3b5fb7e7a70c3",
					Disposition: "UNKNOWN",
				}}, d.Attachments)
				require.Equal(t, "Dropped by DLP", d.Message.Status)
				require.Nil(t, d.Message.SBRS)
				require.True(t, bool(raw.ShowAMP))
			},
		},
		{
			name: "multi MID unresolved host", file: "esa-tracking-details-multi-mid-quarantined.json",
			check: func(t *testing.T, d *Details, raw *detailMessage) {
				require.Equal(t, []int64{765, 766, 767}, d.Message.MIDs)
				require.Empty(t, d.Message.Host)
				require.Equal(t, map[int64]string{767: "Quarantined by Multiple Engines"}, d.Message.StatusByMID)
				require.Equal(t, []Attachment{{Name: "test.jpg"}}, d.Attachments)
				require.Equal(t, utc("2022-09-20T13:30:51Z"), d.Message.Time)
				require.True(t, bool(raw.ShowURL))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := decodeDetail(t, tc.file)
			require.True(t, raw.found())
			tc.check(t, raw.toDetails("https://sma.example.com", "TESTAAA"), raw)
		})
	}
}

func TestDetailsNotFoundForm(t *testing.T) {
	raw := decodeDetail(t, "tracking-details-not-found-na.json")
	require.False(t, raw.found())
}

func TestAMPDetailsMerge(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []Attachment
	}{
		{
			name: "SMA hash and verdict", file: "sma-tracking-amp-details.json",
			want: []Attachment{{
				Name:        "test.jpg",
				SHA256:      "23a9113530549916cd5b410edee79cb5a0fc01233eb9051f9c882a2e7c3fbfbe",
				Disposition: "UNKNOWN",
			}},
		},
		{
			// The recording's hash was sanitised to "132123123", which is no SHA-256.
			name: "ESA sanitised hash dropped", file: "esa-tracking-amp-details.json",
			want: []Attachment{{Name: "test.jpg", Disposition: "UNKNOWN"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &Details{}
			d.mergeAMP(decodeDetail(t, tc.file))
			require.Equal(t, tc.want, d.Attachments)
		})
	}
}

func TestURLDetailsMerge(t *testing.T) {
	score := func(x float64) *float64 { return &x }
	tests := []struct {
		name string
		file string
		want []URLInfo
	}{
		{
			name: "space before comma", file: "sma-tracking-url-details.json",
			want: []URLInfo{
				{URL: "http://test.com/", Score: score(-6.8), Condition: "URL Reputation Rule"},
				{URL: "https://test.com/test/", Score: score(-6.6), Condition: "URL Reputation Rule"},
				{URL: "http://test.com", Score: score(-6.8), Condition: "URL Reputation Rule"},
			},
		},
		{
			name: "rewritten URLs", file: "esa-tracking-url-details.json",
			want: []URLInfo{
				{URL: "http://test.com:8080/", Score: score(-6.8), Condition: "URL Reputation Rule", Rewritten: true},
				{URL: "https://test.com/test/test/", Score: score(-6.6), Condition: "URL Reputation Rule", Rewritten: true},
				{URL: "http://test.com:8080", Score: score(-6.8), Condition: "URL Reputation Rule", Rewritten: true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &Details{}
			d.mergeURLs(decodeDetail(t, tc.file))
			require.Equal(t, tc.want, d.URLs)
		})
	}
}

func TestDescriptionVariants(t *testing.T) {
	const hash = "e0d123e5f316bef78bfdf5a008837577e0d123e5f316bef78bfdf5a008837577"
	tests := []struct {
		name  string
		lines []string
		want  []Attachment
	}{
		{
			name:  "space before quote",
			lines: []string{"Message 1 contains attachment 'a b.pdf' (SHA256 " + hash + ")."},
			want:  []Attachment{{Name: "a b.pdf", SHA256: hash}},
		},
		{
			name:  "upper-case hash and colon",
			lines: []string{"Message 1 contains attachment'x.doc' (SHA-256: " + "E0D123E5F316BEF78BFDF5A008837577E0D123E5F316BEF78BFDF5A008837577" + ")."},
			want:  []Attachment{{Name: "x.doc", SHA256: hash}},
		},
		{
			name: "malicious verdict then bracket hash",
			lines: []string{
				"Response received for file reputation query from Cloud. File Name = inv, 2024.xlsm, MID = 9, Disposition = FILE MALICIOUS, Malware = W32.Generic, Analysis Score = 95",
				"File not uploaded for analysis. MID = 9 File SHA256[" + hash + "] file mime[application/vnd.ms-excel]",
			},
			want: []Attachment{{Name: "inv, 2024.xlsm", SHA256: hash, Disposition: "MALICIOUS"}},
		},
		{
			name:  "no attachment text",
			lines: []string{"Message 5 Delivery Status: DELIVERED"},
			want:  nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s attachmentSet
			for _, l := range tc.lines {
				s.parseAttachmentEvent(l)
			}
			require.Equal(t, tc.want, s.list)
		})
	}
}

func TestURLDescriptionVariants(t *testing.T) {
	tests := []struct {
		name, line string
		want       []URLInfo
	}{
		{"reputation word", "Message 3 URL: https://x.example/a?b=c, URL reputation: Malicious.",
			[]URLInfo{{URL: "https://x.example/a?b=c", Reputation: "Malicious"}}},
		{"double-quoted rewrite", `Message 3 rewritten URL "https://x.example/"`,
			[]URLInfo{{URL: "https://x.example/", Rewritten: true}}},
		{"unrelated", "Message 3 scanned by URL filtering engine", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s urlSet
			s.parseURLEvent(tc.line)
			require.Equal(t, tc.want, s.list)
		})
	}
}

func TestQueryEncoding(t *testing.T) {
	start := utc("2024-03-01T10:15:42Z")
	end := utc("2024-03-02T10:15:00Z").Add(500 * time.Millisecond)
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{
			name: "subject with space",
			q:    Query{Start: start, End: end, Subject: &Match{Op: Contains, Value: "bla bla"}},
			want: "startDate=2024-03-01T10:15:00.000Z&endDate=2024-03-02T10:16:00.000Z&searchOption=messages&ciscoHost=All_Hosts" +
				"&subjectfilterOperator=contains&subjectfilterValue=bla%20bla&offset=0&limit=100",
		},
		{
			name: "message id reserved characters",
			q:    Query{Start: start, End: end, MessageID: "<a+b=c/d$e@mail.example.net>"},
			want: "startDate=2024-03-01T10:15:00.000Z&endDate=2024-03-02T10:16:00.000Z&searchOption=messages&ciscoHost=All_Hosts" +
				"&messageIdHeader=%3Ca%2Bb%3Dc%2Fd%24e%40mail.example.net%3E&offset=0&limit=100",
		},
		{
			name: "sender ip rejected connections outgoing",
			q:    Query{Start: start, End: end, SenderIP: "2001:db8::1", RejectedConnections: true, Direction: "outgoing"},
			want: "startDate=2024-03-01T10:15:00.000Z&endDate=2024-03-02T10:16:00.000Z&searchOption=rejected_connections&ciscoHost=All_Hosts" +
				"&senderIp=2001%3Adb8%3A%3A1&messageDirection=outgoing&offset=0&limit=100",
		},
		{
			name: "every filter",
			q: Query{Start: start, End: end,
				Sender: &Match{Is, "a+b@x.example"}, Recipient: &Match{BeginsWith, "c@"},
				AttachmentName: &Match{Is, "inv 1.pdf"}, SenderDomain: &Match{Is, "x.example"},
				CiscoMID: 42, SHA256: "ABCDEF", ClickedURL: "http://x.example/?a=1&b=2"},
			want: "startDate=2024-03-01T10:15:00.000Z&endDate=2024-03-02T10:16:00.000Z&searchOption=messages&ciscoHost=All_Hosts" +
				"&envelopeSenderfilterOperator=is&envelopeSenderfilterValue=a%2Bb%40x.example" +
				"&envelopeRecipientfilterOperator=begins_with&envelopeRecipientfilterValue=c%40" +
				"&attachmentNameOperator=is&attachmentNameValue=inv%201.pdf" +
				"&domainNameOperator=is&domainNameValue=x.example" +
				"&ciscoMid=42&fileSha256=abcdef&webInteractionTrackingUrls=http%3A%2F%2Fx.example%2F%3Fa%3D1%26b%3D2" +
				"&offset=0&limit=100",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.q.validate())
			require.Equal(t, tc.want, tc.q.encode(0, 100))
		})
	}
}

func TestQueryValidation(t *testing.T) {
	start := utc("2024-03-01T10:00:00Z")
	end := start.Add(time.Hour)
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"missing dates", Query{}, "needs both Start and End"},
		{"end before start", Query{Start: end, End: start}, "is not after Start"},
		{"bad direction", Query{Start: start, End: end, Direction: "sideways"}, `Direction "sideways" is invalid`},
		{"bad operator", Query{Start: start, End: end, Sender: &Match{Op: "like", Value: "x"}}, `Sender filter operator "like" is invalid`},
		{"empty value", Query{Start: start, End: end, Subject: &Match{Op: Is}}, "Subject filter value is empty"},
		{"negative limit", Query{Start: start, End: end, Limit: -1}, "Limit -1 is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.q.validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
