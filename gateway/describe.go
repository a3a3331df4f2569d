package gateway

import (
	"regexp"
	"strconv"
	"strings"
)

// The detail endpoints report attachments, hashes, AMP verdicts and URLs
// only inside free-text event descriptions. The patterns below accept the
// wordings seen across AsyncOS 12 to 15, with loose spacing and case.

var (
	// "Message 22125 contains attachment'x.txt' (SHA256 7e3d...)."
	attachmentHash = regexp.MustCompile(
		`(?i)attachment\s*'([^']*)'\s*\(\s*SHA-?256[\s:=]*([0-9a-f]{64})\s*\)`)
	// "... attachment 'x.txt' scanned by Advanced Malware Protection engine. File Disposition: Unknown"
	attachmentDisposition = regexp.MustCompile(
		`(?i)attachment\s*'([^']*)'.*?File Disposition\s*[:=]\s*([A-Za-z][A-Za-z ]*[A-Za-z])`)
	// "File not uploaded for analysis. MID = 21 File SHA256[23a9...] file mime[image/jpeg]"
	bracketHash = regexp.MustCompile(`(?i)SHA-?256\s*\[\s*([0-9a-f]{64})\s*\]`)
	// "Key = value, Key = value" pairs of AMP file reputation events.
	pairKey = regexp.MustCompile(`([A-Za-z][A-Za-z0-9_ ]*?)\s*=\s*`)
	// "Message 21 URL: http://test.com/ , URL reputation: -6.8, Condition: URL Reputation Rule."
	urlReputation = regexp.MustCompile(
		`(?i)\bURL:\s*(\S+?)\s*,\s*URL reputation:\s*([^,]+?)\s*(?:,\s*Condition:\s*(.+?))?\s*\.?\s*$`)
	// "Message 765 rewritten URL u'http://test.com:8080'."
	rewrittenURL = regexp.MustCompile(`(?i)rewritten URL\s+u?['"]([^'"]+)['"]`)
	sha256Hex    = regexp.MustCompile(`^(?i)[0-9a-f]{64}$`)
)

// attachmentSet merges what several descriptions say about the same file.
type attachmentSet struct {
	list []Attachment
}

func (s *attachmentSet) find(name, sha string) *Attachment {
	for i := range s.list {
		a := &s.list[i]
		if name != "" && a.Name == name {
			return a
		}
		if name == "" && sha != "" && a.SHA256 == sha {
			return a
		}
	}
	return nil
}

// add merges a name, hash and disposition into the set; empty parts leave
// what is known unchanged.
func (s *attachmentSet) add(name, sha, disposition string) {
	name = strings.TrimSpace(name)
	if name == "" && sha == "" {
		return
	}
	a := s.find(name, sha)
	if a == nil && name == "" {
		a = s.onlyWithoutHash()
	}
	if a == nil {
		s.list = append(s.list, Attachment{Name: name})
		a = &s.list[len(s.list)-1]
	}
	if sha != "" {
		a.SHA256 = sha
	}
	if disposition != "" {
		a.Disposition = disposition
	}
}

// onlyWithoutHash returns the single attachment that has no hash yet, so a
// hash reported without a file name can still be placed. It returns nil
// when that is ambiguous.
func (s *attachmentSet) onlyWithoutHash() *Attachment {
	var found *Attachment
	for i := range s.list {
		if s.list[i].SHA256 == "" {
			if found != nil {
				return nil
			}
			found = &s.list[i]
		}
	}
	return found
}

// parseAttachmentEvent reads attachment names, SHA-256 values and AMP
// dispositions out of one description.
func (s *attachmentSet) parseAttachmentEvent(text string) {
	for _, m := range attachmentHash.FindAllStringSubmatch(text, -1) {
		s.add(m[1], normalizeSHA256(m[2]), "")
	}
	for _, m := range attachmentDisposition.FindAllStringSubmatch(text, -1) {
		s.add(m[1], "", normalizeDisposition(m[2]))
	}
	pairs := keyValues(text)
	if name, ok := pairs["filename"]; ok {
		s.add(name, normalizeSHA256(pairs["sha256"]), normalizeDisposition(pairs["disposition"]))
		return
	}
	for _, m := range bracketHash.FindAllStringSubmatch(text, -1) {
		s.add("", normalizeSHA256(m[1]), "")
	}
}

// keyValues splits "File Name = a.jpg, MID = 21, Disposition = FILE
// UNKNOWN" into lower-case keys without spaces or dashes.
func keyValues(text string) map[string]string {
	idx := pairKey.FindAllStringSubmatchIndex(text, -1)
	if len(idx) == 0 {
		return nil
	}
	out := make(map[string]string, len(idx))
	for i, m := range idx {
		key := strings.ToLower(text[m[2]:m[3]])
		key = strings.NewReplacer(" ", "", "-", "", "_", "").Replace(key)
		end := len(text)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		value := strings.TrimSpace(text[m[1]:end])
		value = strings.TrimSpace(strings.TrimSuffix(value, ","))
		out[key] = value
	}
	return out
}

// normalizeSHA256 returns a lower-case SHA-256, or "" for anything that is
// not 64 hex digits (sanitised recordings hold values such as "132123123").
func normalizeSHA256(s string) string {
	s = strings.TrimSpace(s)
	if !sha256Hex.MatchString(s) {
		return ""
	}
	return strings.ToLower(s)
}

// normalizeDisposition turns "FILE UNKNOWN", "Unknown" or "File Malicious"
// into "UNKNOWN" or "MALICIOUS".
func normalizeDisposition(s string) string {
	s = strings.ToUpper(clean(s))
	s = strings.TrimPrefix(s, "FILE ")
	return strings.TrimSpace(s)
}

// urlSet merges URL events by URL text.
type urlSet struct {
	list []URLInfo
}

func (s *urlSet) get(raw string) *URLInfo {
	for i := range s.list {
		if s.list[i].URL == raw {
			return &s.list[i]
		}
	}
	s.list = append(s.list, URLInfo{URL: raw})
	return &s.list[len(s.list)-1]
}

// parseURLEvent reads a URL, its reputation and condition, or a rewritten
// URL, out of one description.
func (s *urlSet) parseURLEvent(text string) {
	text = strings.TrimSpace(text)
	if m := urlReputation.FindStringSubmatch(text); m != nil {
		u := s.get(m[1])
		rep := strings.TrimSpace(m[2])
		if x, err := strconv.ParseFloat(rep, 64); err == nil {
			u.Score = &x
		} else if rep = clean(rep); rep != "" {
			u.Reputation = rep
		}
		if c := strings.TrimSuffix(strings.TrimSpace(m[3]), "."); c != "" {
			u.Condition = c
		}
		return
	}
	for _, m := range rewrittenURL.FindAllStringSubmatch(text, -1) {
		s.get(m[1]).Rewritten = true
	}
}
