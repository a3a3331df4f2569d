package observables

import (
	"errors"
	"testing"
)

var fuzzTypes = []Type{Email, MessageID, CiscoMID, Subject, IP, IPv6, Domain, URL, SHA256, FileName, "md5"}

func FuzzNormalize(f *testing.F) {
	seeds := []struct {
		typ   Type
		value string
	}{
		{Email, "Alice@Bücher.example."},
		{MessageID, "<abc.123@mail.example.com>"},
		{CiscoMID, "9223372036854775807"},
		{Subject, "Re: =?iso-8859-2?Q?P=F8=EDloha?= =?utf-8?B?UsOpc3Vtw6k=?="},
		{IP, "::ffff:192.0.2.10"},
		{IPv6, "2001:0DB8::0001"},
		{Domain, "XN--BCHER-KVA.example."},
		{URL, "https://secure-web.cisco.com/tok/https%3A%2F%2FEvil.example%2Fa%3Fb%3Dc"},
		{SHA256, "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"},
		{FileName, " invoice\u202Efdp.exe "},
	}
	for i, seed := range seeds {
		f.Add(uint8(i), seed.value)
	}

	f.Fuzz(func(t *testing.T, typeIndex uint8, value string) {
		typ := fuzzTypes[int(typeIndex)%len(fuzzTypes)]
		got, err := Normalize(Observable{Type: typ, Value: value})
		_ = SearchForms(Observable{Type: typ, Value: value})
		if err != nil {
			checkInvalidError(t, typ, err)
			return
		}

		again, err := Normalize(got)
		if err != nil {
			t.Fatalf("normalised %s %q to %q, which is then rejected: %v", typ, value, got.Value, err)
		}
		if again != got {
			t.Fatalf("normalised %s %q to %q, then to %q", typ, value, got.Value, again.Value)
		}
	})
}

func checkInvalidError(t *testing.T, typ Type, err error) {
	t.Helper()
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("error %v is not an *InvalidError", err)
	}
	if invalid.Type != typ {
		t.Fatalf("error names type %q, want %q", invalid.Type, typ)
	}
	if len(err.Error()) > 600 {
		t.Fatalf("error message has %d bytes, more than a short excerpt allows", len(err.Error()))
	}
}
