package observables

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

type normalizeCase struct {
	name  string
	typ   Type
	value string
	want  string
	// problem is a part of the expected error message; empty means valid.
	problem string
}

func runNormalizeCases(t *testing.T, cases []normalizeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(Observable{Type: tc.typ, Value: tc.value})
			if tc.problem != "" {
				require.Error(t, err)
				var invalid *InvalidError
				require.ErrorAs(t, err, &invalid)
				require.Equal(t, tc.typ, invalid.Type)
				require.Contains(t, err.Error(), tc.problem)
				require.Contains(t, err.Error(), string(tc.typ))
				return
			}
			require.NoError(t, err)
			require.Equal(t, Observable{Type: tc.typ, Value: tc.want}, got)
		})
	}
}

func TestSupported(t *testing.T) {
	for _, typ := range []Type{Email, MessageID, CiscoMID, Subject, IP, IPv6, Domain, URL, SHA256, FileName} {
		require.True(t, Supported(typ), typ)
	}
	for _, typ := range []Type{"", "md5", "EMAIL", "hostname", "mac_address"} {
		require.False(t, Supported(typ), typ)
	}
}

func TestNormalizeCommon(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "unsupported type", typ: "md5", value: "abc", problem: "not supported"},
		{name: "empty", typ: Email, value: "", problem: "empty"},
		{name: "only spaces", typ: FileName, value: " \t\n ", problem: "empty"},
		{name: "invalid utf-8", typ: FileName, value: "a\xffb", problem: "not valid UTF-8"},
	})
}

func TestNormalizeEmail(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "plain", typ: Email, value: "user@example.com", want: "user@example.com"},
		{name: "upper case and spaces", typ: Email, value: "  Alice.Smith@Example.COM ", want: "alice.smith@example.com"},
		{name: "plus tag", typ: Email, value: "a+tag@example.com", want: "a+tag@example.com"},
		{name: "idn domain", typ: Email, value: "info@Bücher.example", want: "info@xn--bcher-kva.example"},
		{name: "trailing dot", typ: Email, value: "user@example.com.", want: "user@example.com"},
		{name: "no at", typ: Email, value: "user.example.com", problem: "exactly one @"},
		{name: "two ats", typ: Email, value: "a@b@example.com", problem: "exactly one @"},
		{name: "empty local part", typ: Email, value: "@example.com", problem: "nothing before the @"},
		{name: "empty domain", typ: Email, value: "user@", problem: "nothing after the @"},
		{name: "inner space", typ: Email, value: "us er@example.com", problem: "white space"},
		{name: "control character", typ: Email, value: "user\x00@example.com", problem: "control character"},
		{name: "angle brackets", typ: Email, value: "<user@example.com>", problem: "before the @"},
		{name: "long local part", typ: Email, value: strings.Repeat("a", 65) + "@example.com", problem: "64 bytes"},
		{name: "bad domain", typ: Email, value: "user@-bad-.example", problem: "not a valid domain"},
	})
}

func TestNormalizeDomain(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "plain", typ: Domain, value: "example.com", want: "example.com"},
		{name: "upper case", typ: Domain, value: "Mail.EXAMPLE.com", want: "mail.example.com"},
		{name: "trailing dot", typ: Domain, value: "example.com.", want: "example.com"},
		{name: "idn", typ: Domain, value: "BÜCHER.example", want: "xn--bcher-kva.example"},
		{name: "punycode upper case", typ: Domain, value: "XN--BCHER-KVA.example", want: "xn--bcher-kva.example"},
		{name: "single label", typ: Domain, value: "localhost", want: "localhost"},
		{name: "ideographic full stop", typ: Domain, value: "example。com", want: "example.com"},
		{name: "leading hyphen", typ: Domain, value: "-example.com", problem: "not a valid domain"},
		{name: "underscore", typ: Domain, value: "bad_name.example", problem: "not a valid domain"},
		{name: "empty label", typ: Domain, value: "a..example", problem: "not a valid domain"},
		{name: "label too long", typ: Domain, value: strings.Repeat("a", 64) + ".example", problem: "not a valid domain"},
		{name: "name too long", typ: Domain, value: strings.Repeat("abcdefghi.", 26) + "example", problem: "not a valid domain"},
		{name: "only a dot", typ: Domain, value: ".", problem: "domain"},
		{name: "space", typ: Domain, value: "exa mple.com", problem: "white space"},
		{name: "ip address", typ: Domain, value: "192.0.2.1", problem: "ip type"},
		{name: "url", typ: Domain, value: "https://example.com", problem: "not a valid domain"},
	})
}

func TestNormalizeMessageID(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "with brackets", typ: MessageID, value: "<abc.123@mail.example.com>", want: "<abc.123@mail.example.com>"},
		{name: "without brackets", typ: MessageID, value: "abc.123@mail.example.com", want: "<abc.123@mail.example.com>"},
		{name: "case kept", typ: MessageID, value: " <AbC@Example.COM> ", want: "<AbC@Example.COM>"},
		{name: "no at sign", typ: MessageID, value: "<20240101.x>", want: "<20240101.x>"},
		{name: "empty brackets", typ: MessageID, value: "<>", problem: "empty inside"},
		{name: "only open bracket", typ: MessageID, value: "<abc@example.com", problem: "unbalanced"},
		{name: "only close bracket", typ: MessageID, value: "abc@example.com>", problem: "unbalanced"},
		{name: "lone bracket", typ: MessageID, value: "<", problem: "unbalanced"},
		{name: "inner space", typ: MessageID, value: "<abc def@example.com>", problem: "white space"},
		{name: "control character", typ: MessageID, value: "<abc\x01@example.com>", problem: "control character"},
		{name: "nested bracket", typ: MessageID, value: "<<abc@example.com>>", problem: "angle bracket"},
		{name: "too long", typ: MessageID, value: strings.Repeat("a", 997) + "@x", problem: "998 bytes"},
	})
}

func TestNormalizeCiscoMID(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "plain", typ: CiscoMID, value: "12345", want: "12345"},
		{name: "spaces", typ: CiscoMID, value: " 7 ", want: "7"},
		{name: "leading zeros", typ: CiscoMID, value: "007", want: "7"},
		{name: "max int64", typ: CiscoMID, value: "9223372036854775807", want: "9223372036854775807"},
		{name: "past int64", typ: CiscoMID, value: "9223372036854775808", problem: "64-bit"},
		{name: "letters", typ: CiscoMID, value: "12a", problem: "decimal digits"},
		{name: "negative", typ: CiscoMID, value: "-1", problem: "decimal digits"},
		{name: "plus sign", typ: CiscoMID, value: "+5", problem: "decimal digits"},
		{name: "zero", typ: CiscoMID, value: "0", problem: "zero"},
		{name: "zeros", typ: CiscoMID, value: "000", problem: "zero"},
		{name: "hex", typ: CiscoMID, value: "0x1f", problem: "decimal digits"},
		{name: "decimal point", typ: CiscoMID, value: "1.0", problem: "decimal digits"},
		{name: "arabic-indic digits", typ: CiscoMID, value: "١٢", problem: "decimal digits"},
	})
}

func TestNormalizeSubject(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "plain", typ: Subject, value: "Quarterly report", want: "Quarterly report"},
		{name: "white space collapsed", typ: Subject, value: "  Invoice\t\t#42 \r\n due  ", want: "Invoice #42 due"},
		{name: "q utf-8", typ: Subject, value: "=?UTF-8?Q?Caf=C3=A9_ouvert?=", want: "Café ouvert"},
		{name: "b utf-8", typ: Subject, value: "=?utf-8?B?UsOpc3Vtw6k=?=", want: "Résumé"},
		{name: "iso-8859-2", typ: Subject, value: "=?iso-8859-2?Q?P=F8=EDloha?=", want: "Příloha"},
		{name: "iso-8859-1", typ: Subject, value: "=?ISO-8859-1?Q?Gr=FC=DFe?=", want: "Grüße"},
		{name: "windows-1251", typ: Subject, value: "=?windows-1251?B?z/Do4uXy?=", want: "Привет"},
		{name: "windows-1252", typ: Subject, value: "=?windows-1252?Q?=93quoted=94?=", want: "“quoted”"},
		{name: "mixed with text", typ: Subject, value: "Re: =?utf-8?q?caf=C3=A9?= today", want: "Re: café today"},
		{name: "adjacent words joined", typ: Subject, value: "=?utf-8?q?ab?= =?utf-8?q?cd?=", want: "abcd"},
		{name: "unknown charset kept", typ: Subject, value: "=?x-unknown?q?abc?=", want: "=?x-unknown?q?abc?="},
		{name: "malformed word kept", typ: Subject, value: "=?utf-8?x?abc?=", want: "=?utf-8?x?abc?="},
		{name: "control characters", typ: Subject, value: "a\x00b\x1bc", want: "a b c"},
		{name: "decodes to empty", typ: Subject, value: "=?utf-8?q??=", problem: "empty once decoded"},
		{name: "double encoded", typ: Subject, value: "=?utf-8?q?=3D=3Futf-8=3Fq=3Fhi=3F=3D?=", want: "hi"},
	})
}

func TestNormalizeIP(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "ipv4", typ: IP, value: "192.0.2.10", want: "192.0.2.10"},
		{name: "spaces", typ: IP, value: " 198.51.100.7\n", want: "198.51.100.7"},
		{name: "ipv4-mapped", typ: IP, value: "::ffff:192.0.2.10", want: "192.0.2.10"},
		{name: "ipv4-mapped hex", typ: IP, value: "::FFFF:c000:020a", want: "192.0.2.10"},
		{name: "ipv6", typ: IP, value: "2001:db8::1", problem: "ipv6 type"},
		{name: "leading zero", typ: IP, value: "192.0.2.010", problem: "not an IP address"},
		{name: "out of range", typ: IP, value: "256.1.1.1", problem: "not an IP address"},
		{name: "cidr", typ: IP, value: "192.0.2.0/24", problem: "not an IP address"},
		{name: "hostname", typ: IP, value: "example.com", problem: "not an IP address"},
	})
}

func TestNormalizeIPv6(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "canonical", typ: IPv6, value: "2001:db8::1", want: "2001:db8::1"},
		{name: "expanded upper case", typ: IPv6, value: "2001:0DB8:0000:0000:0000:0000:0000:0001", want: "2001:db8::1"},
		{name: "longest zero run", typ: IPv6, value: "2001:db8:0:0:1:0:0:0", want: "2001:db8:0:0:1::"},
		{name: "loopback", typ: IPv6, value: "::1", want: "::1"},
		{name: "ipv4-mapped kept", typ: IPv6, value: "::ffff:192.0.2.1", want: "::ffff:192.0.2.1"},
		{name: "ipv4", typ: IPv6, value: "192.0.2.1", problem: "ip type"},
		{name: "zone", typ: IPv6, value: "fe80::1%eth0", problem: "zone"},
		{name: "garbage", typ: IPv6, value: "2001:db8::g", problem: "not an IP address"},
		{name: "brackets", typ: IPv6, value: "[2001:db8::1]", problem: "not an IP address"},
	})
}

func TestNormalizeURL(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "plain", typ: URL, value: "https://www.example.com/path?q=1", want: "https://www.example.com/path?q=1"},
		{name: "scheme and host lower-cased", typ: URL, value: "HTTP://WWW.Example.COM/Path", want: "http://www.example.com/Path"},
		{name: "port kept", typ: URL, value: "https://example.com:8443/x", want: "https://example.com:8443/x"},
		{name: "fragment kept", typ: URL, value: "https://example.com/#top", want: "https://example.com/#top"},
		{
			name:  "rewritten",
			typ:   URL,
			value: "https://secure-web.cisco.com/1AbC_dEf-123/https%3A%2F%2FEvil.example%2Flogin%3Fuser%3Dbob",
			want:  "https://evil.example/login?user=bob",
		},
		{
			name:  "rewritten twice",
			typ:   URL,
			value: "https://secure-web.cisco.com/t1/https%3A%2F%2Fsecure-web.cisco.com%2Ft2%2Fhttp%253A%252F%252Fevil.example%252F",
			want:  "http://evil.example/",
		},
		{name: "rewrite host itself", typ: URL, value: "https://secure-web.cisco.com/", want: "https://secure-web.cisco.com/"},
		{name: "relative", typ: URL, value: "/path/only", problem: "not an http or https URL"},
		{name: "no scheme", typ: URL, value: "www.example.com/path", problem: "not an http or https URL"},
		{name: "ftp", typ: URL, value: "ftp://example.com/file", problem: "not an http or https URL"},
		{name: "javascript", typ: URL, value: "javascript:alert(1)", problem: "not an http or https URL"},
		{name: "no host", typ: URL, value: "https:///path", problem: "no host"},
		{name: "opaque", typ: URL, value: "http:example.com", problem: "no host"},
		{name: "space", typ: URL, value: "https://example.com/a b", problem: "white space"},
		{name: "bad escape", typ: URL, value: "https://example.com/%zz", problem: "cannot be parsed"},
		{name: "rewritten to ftp", typ: URL, value: "https://secure-web.cisco.com/t/ftp%3A%2F%2Fexample.com", want: "https://secure-web.cisco.com/t/ftp%3A%2F%2Fexample.com"},
	})
}

func TestNormalizeSHA256(t *testing.T) {
	hash := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	runNormalizeCases(t, []normalizeCase{
		{name: "lower case", typ: SHA256, value: hash, want: hash},
		{name: "upper case", typ: SHA256, value: " " + strings.ToUpper(hash) + " ", want: hash},
		{name: "too short", typ: SHA256, value: hash[:63], problem: "64 characters"},
		{name: "too long", typ: SHA256, value: hash + "0", problem: "64 characters"},
		{name: "not hex", typ: SHA256, value: "z" + hash[1:], problem: "hexadecimal"},
		{name: "md5", typ: SHA256, value: "d41d8cd98f00b204e9800998ecf8427e", problem: "64 characters"},
	})
}

func TestNormalizeFileName(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{name: "plain", typ: FileName, value: "invoice.pdf", want: "invoice.pdf"},
		{name: "spaces trimmed", typ: FileName, value: "  my report.docx ", want: "my report.docx"},
		{name: "unicode", typ: FileName, value: "Rechnung_März.xlsm", want: "Rechnung_März.xlsm"},
		{name: "exactly 255 bytes", typ: FileName, value: strings.Repeat("a", 251) + ".zip", want: strings.Repeat("a", 251) + ".zip"},
		{name: "too long", typ: FileName, value: strings.Repeat("a", 252) + ".zip", problem: "255 bytes"},
		{name: "control character", typ: FileName, value: "a\x07.exe", problem: "control character"},
		{name: "right-to-left override", typ: FileName, value: "invoice\u202Efdp.exe", want: "invoice\u202Efdp.exe"},
	})
}

func TestInvalidErrorExcerpt(t *testing.T) {
	value := "\x1b[31m" + strings.Repeat("x", 5000) + "@@"
	_, err := Normalize(Observable{Type: Email, Value: value})
	require.Error(t, err)

	message := err.Error()
	require.Less(t, len(message), 300)
	require.NotContains(t, message, "\x1b")
	require.Contains(t, message, `\x1b[31m`)
	require.Contains(t, message, "...")
	require.Contains(t, message, "email")
	require.Contains(t, message, "user@example.com")

	var invalid *InvalidError
	require.True(t, errors.As(err, &invalid))
}

func TestRewritten(t *testing.T) {
	cases := []struct {
		name     string
		raw      string
		original string
		ok       bool
	}{
		{name: "rewritten", raw: "https://secure-web.cisco.com/tok/https%3A%2F%2Fexample.com%2Fa", original: "https://example.com/a", ok: true},
		{name: "host upper case", raw: "HTTPS://Secure-Web.Cisco.com/tok/http%3A%2F%2Fexample.com", original: "http://example.com", ok: true},
		{name: "not encoded slashes", raw: "https://secure-web.cisco.com/tok/https://example.com/a", original: "https://example.com/a", ok: true},
		{name: "other host", raw: "https://example.com/tok/https%3A%2F%2Fexample.com", ok: false},
		{name: "lookalike host", raw: "https://secure-web.cisco.com.evil.example/tok/https%3A%2F%2Fx.example", ok: false},
		{name: "no token", raw: "https://secure-web.cisco.com//https%3A%2F%2Fexample.com", ok: false},
		{name: "no original", raw: "https://secure-web.cisco.com/tok/", ok: false},
		{name: "original not http", raw: "https://secure-web.cisco.com/tok/javascript%3Aalert(1)", ok: false},
		{name: "bad escape", raw: "https://secure-web.cisco.com/tok/https%3A%2F%2Fexample.com%zz", ok: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			original, ok := Rewritten(tc.raw)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.original, original)
		})
	}
}

func TestSearchForms(t *testing.T) {
	cases := []struct {
		name string
		in   Observable
		want []string
	}{
		{name: "email", in: Observable{Type: Email, Value: "Bob@Example.com"}, want: []string{"bob@example.com"}},
		{name: "plain url", in: Observable{Type: URL, Value: "https://example.com/a"}, want: []string{"https://example.com/a"}},
		{
			name: "rewritten url",
			in:   Observable{Type: URL, Value: "https://Secure-Web.cisco.com/tok/https%3A%2F%2Fexample.com%2Fa"},
			want: []string{"https://example.com/a", "https://secure-web.cisco.com/tok/https%3A%2F%2Fexample.com%2Fa"},
		},
		{
			name: "rewritten twice",
			in:   Observable{Type: URL, Value: "https://secure-web.cisco.com/t1/https%3A%2F%2Fsecure-web.cisco.com%2Ft2%2Fhttp%253A%252F%252Fevil.example"},
			want: []string{
				"http://evil.example",
				"https://secure-web.cisco.com/t1/https%3A%2F%2Fsecure-web.cisco.com%2Ft2%2Fhttp%253A%252F%252Fevil.example",
				"https://secure-web.cisco.com/t2/http%3A%2F%2Fevil.example",
			},
		},
		{name: "invalid", in: Observable{Type: CiscoMID, Value: "12a"}, want: nil},
		{name: "unsupported", in: Observable{Type: "md5", Value: "x"}, want: nil},
		{name: "idn email", in: Observable{Type: Email, Value: "user@Bücher.example"}, want: []string{"user@xn--bcher-kva.example", "user@bücher.example"}},
		{name: "punycode email", in: Observable{Type: Email, Value: "user@xn--bcher-kva.example"}, want: []string{"user@xn--bcher-kva.example", "user@bücher.example"}},
		{name: "idn domain", in: Observable{Type: Domain, Value: "bücher.example"}, want: []string{"xn--bcher-kva.example", "bücher.example"}},
		{name: "ascii domain", in: Observable{Type: Domain, Value: "Example.com"}, want: []string{"example.com"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, SearchForms(tc.in))
		})
	}
}

// domainOfLength builds a valid domain name of exactly n bytes from labels
// of at most 63 bytes, ending in ".example".
func domainOfLength(n int) string {
	var labels []string
	left := n - len(".example")
	for left > 0 {
		size := min(63, left)
		if left-size == 1 {
			size-- // a label cannot be empty, so leave room for one byte
		}
		labels = append(labels, strings.Repeat("a", size))
		left -= size + 1
	}
	return strings.Join(labels, ".") + ".example"
}

func TestNormalizeLengthLimits(t *testing.T) {
	for _, n := range []int{189, 190, 253, 254} {
		require.Len(t, domainOfLength(n), n)
	}
	local := strings.Repeat("u", 64)
	runNormalizeCases(t, []normalizeCase{
		{name: "email of 254 bytes", typ: Email, value: local + "@" + domainOfLength(189),
			want: local + "@" + domainOfLength(189)},
		{name: "email of 255 bytes", typ: Email, value: local + "@" + domainOfLength(190),
			problem: "longer than 254 bytes"},
		{name: "domain of 253 bytes", typ: Domain, value: domainOfLength(253), want: domainOfLength(253)},
		{name: "domain of 254 bytes", typ: Domain, value: domainOfLength(254), problem: "253 characters in all"},
		{name: "url of 8192 bytes", typ: URL, value: "https://example.com/" + strings.Repeat("p", 8172),
			want: "https://example.com/" + strings.Repeat("p", 8172)},
		{name: "url of 8193 bytes", typ: URL, value: "https://example.com/" + strings.Repeat("p", 8173),
			problem: "longer than 8192 bytes"},
		{name: "subject of 2048 bytes", typ: Subject, value: strings.Repeat("s", 2048), want: strings.Repeat("s", 2048)},
		{name: "subject of 2049 bytes", typ: Subject, value: strings.Repeat("s", 2049), problem: "longer than 2048 bytes"},
		{name: "subject of 900 KB", typ: Subject, value: strings.Repeat("Invoice ", 115200), problem: "longer than 2048 bytes"},
		{name: "file name of 256 bytes", typ: FileName, value: strings.Repeat("f", 256), problem: "255 bytes"},
		{name: "message id of 999 bytes", typ: MessageID, value: "<" + strings.Repeat("m", 995) + "@x>", problem: "998 bytes"},
	})
}

func TestContainsSpaceOrControlMatchesUnicode(t *testing.T) {
	slow := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
	}
	for r := rune(0); r < 0x3100; r++ {
		for _, s := range []string{string(r), "a" + string(r) + "b", "é" + string(r)} {
			require.Equal(t, slow(s), containsSpaceOrControl(s), "%q", s)
		}
	}
	require.True(t, containsSpaceOrControl("abc\u2028"))
	require.True(t, containsSpaceOrControl("abc\u00a0"))
	require.False(t, containsSpaceOrControl("<a.b@c.example>"))
}
