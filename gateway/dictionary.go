package gateway

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// dictionaryPrefix is the ESA API prefix: dictionaries live on the ESA
// (ESA_CONFIG_URL), whatever flavour the config names.
const dictionaryPrefix = "/esa/api/v2.0"

// dictionaryQuery selects the cluster-level dictionary of an ESA.
const dictionaryQuery = "device_type=esa&mode=cluster"

// regexMeta matches a backslash before a character that QuoteMeta
// escapes; only those escapes are undone when listing, so a real pattern
// such as `\d` stays as it is.
var regexMeta = regexp.MustCompile(`\\([\\.+*?()|\[\]{}^$])`)

// escapeEntry turns an address or domain into a dictionary pattern that
// matches only itself: dictionary entries are regular expressions.
func escapeEntry(s string) string { return regexp.QuoteMeta(s) }

// unescapeEntry reverses escapeEntry.
func unescapeEntry(s string) string { return regexMeta.ReplaceAllString(s, "$1") }

// DictionaryEntries lists a dictionary's entries, unescaped.
func (c *Client) DictionaryEntries(ctx context.Context, name string) ([]string, error) {
	r, err := c.dictionaryRequest(name, http.MethodGet, "", nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data struct {
			Words [][]flexString `json:"words"`
		} `json:"data"`
	}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	entries := make([]string, 0, len(out.Data.Words))
	for _, w := range out.Data.Words {
		if len(w) > 0 && w[0] != "" {
			entries = append(entries, unescapeEntry(string(w[0])))
		}
	}
	return entries, nil
}

// AddDictionaryEntry adds entry, escaped, to a dictionary. Never retried.
func (c *Client) AddDictionaryEntry(ctx context.Context, name, entry string) error {
	if err := c.checkEntry(entry); err != nil {
		return err
	}
	body := map[string]any{"data": map[string]any{"words": [][]string{{escapeEntry(entry)}}}}
	r, err := c.dictionaryRequest(name, http.MethodPost, "/words", body)
	if err != nil {
		return err
	}
	return c.do(ctx, r, nil)
}

// RemoveDictionaryEntry removes entry from a dictionary. Never retried.
func (c *Client) RemoveDictionaryEntry(ctx context.Context, name, entry string) error {
	if err := c.checkEntry(entry); err != nil {
		return err
	}
	body := map[string]any{"data": map[string]any{"words": []string{escapeEntry(entry)}}}
	r, err := c.dictionaryRequest(name, http.MethodDelete, "/words", body)
	if err != nil {
		return err
	}
	return c.do(ctx, r, nil)
}

func (c *Client) dictionaryRequest(name, method, suffix string, body any) (request, error) {
	op := "config/dictionaries"
	if strings.TrimSpace(name) == "" || strings.ContainsAny(name, "/\\") {
		return request{}, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: op,
			Message: "the dictionary name is missing or contains a slash; set it to the dictionary's name on the ESA"}
	}
	return request{op: op + suffix, method: method, prefix: dictionaryPrefix,
		path: "/config/dictionaries/" + url.PathEscape(name) + suffix, query: dictionaryQuery,
		body: body, write: method != http.MethodGet}, nil
}

func (c *Client) checkEntry(entry string) error {
	if strings.TrimSpace(entry) == "" || strings.IndexFunc(entry, unicode.IsControl) >= 0 {
		return &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: "config/dictionaries",
			Message: "the dictionary entry is empty or contains control characters"}
	}
	return nil
}
