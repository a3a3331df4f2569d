package observables

import "testing"

// BenchmarkNormalize measures one value per type in the form the platform
// usually sends it, with something to normalise where the type allows.
func BenchmarkNormalize(b *testing.B) {
	cases := []struct {
		name string
		in   Observable
	}{
		{"email", Observable{Type: Email, Value: " Alice.Smith@Example.COM "}},
		{"email_messageid", Observable{Type: MessageID, Value: "abc.123@mail.example.com"}},
		{"cisco_mid", Observable{Type: CiscoMID, Value: "0012345"}},
		{"email_subject", Observable{Type: Subject, Value: "Re: =?utf-8?q?Caf=C3=A9?= invoice  #42 due"}},
		{"ip", Observable{Type: IP, Value: "198.51.100.7"}},
		{"ipv6", Observable{Type: IPv6, Value: "2001:DB8:0:0::1"}},
		{"domain", Observable{Type: Domain, Value: "Mail.EXAMPLE.com."}},
		{"domain_idn", Observable{Type: Domain, Value: "BÜCHER.example"}},
		{"url", Observable{Type: URL, Value: "https://Account-Verify.example/mailbox/login?session=8f2c1a"}},
		{"sha256", Observable{Type: SHA256, Value: "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}},
		{"file_name", Observable{Type: FileName, Value: "INV-20931.xlsm"}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			if _, err := Normalize(tc.in); err != nil {
				b.Fatalf("the benchmark value is rejected: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalize(tc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
