package gateway

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// dictionaryPrefix is the ESA API prefix: dictionaries live on the ESA
// (ESA_CONFIG_URL), whatever flavour the config names.
const dictionaryPrefix = "/esa/api/v2.0"

// dictionaryQuery selects the cluster-level dictionary of an ESA.
const dictionaryQuery = "device_type=esa&mode=cluster"

// Dictionary is a content dictionary of an ESA as the API lists it.
type Dictionary struct {
	Name string
	// IgnoreCase is set when the appliance matches the terms regardless of
	// letter case.
	IgnoreCase bool
	// WholeWords is set when the appliance matches terms only as whole
	// words.
	WholeWords bool
	// Terms are the dictionary's terms exactly as stored. The appliance
	// reads each one as a regular expression.
	Terms []string
}

// Dictionary reads a dictionary's settings and terms.
func (c *Client) Dictionary(ctx context.Context, name string) (*Dictionary, error) {
	r, err := c.dictionaryRequest(name, http.MethodGet, "", nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data struct {
			Name       flexString     `json:"name"`
			IgnoreCase flexBool       `json:"ignorecase"`
			WholeWords flexBool       `json:"wholewords"`
			Words      [][]flexString `json:"words"`
		} `json:"data"`
	}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	d := &Dictionary{Name: string(out.Data.Name), IgnoreCase: bool(out.Data.IgnoreCase),
		WholeWords: bool(out.Data.WholeWords), Terms: make([]string, 0, len(out.Data.Words))}
	if d.Name == "" {
		d.Name = name
	}
	for _, w := range out.Data.Words {
		if len(w) > 0 && w[0] != "" {
			d.Terms = append(d.Terms, string(w[0]))
		}
	}
	return d, nil
}

// AddDictionaryTerm adds term to a dictionary exactly as given: the caller
// builds the regular expression and escapes its literal parts. Never
// retried.
func (c *Client) AddDictionaryTerm(ctx context.Context, name, term string) error {
	if err := c.checkTerm(term); err != nil {
		return err
	}
	body := map[string]any{"data": map[string]any{"words": [][]string{{term}}}}
	r, err := c.dictionaryRequest(name, http.MethodPost, "/words", body)
	if err != nil {
		return err
	}
	return c.do(ctx, r, nil)
}

// RemoveDictionaryTerm removes the term that is stored exactly as term.
// Never retried.
func (c *Client) RemoveDictionaryTerm(ctx context.Context, name, term string) error {
	if err := c.checkTerm(term); err != nil {
		return err
	}
	body := map[string]any{"data": map[string]any{"words": []string{term}}}
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

func (c *Client) checkTerm(term string) error {
	if strings.TrimSpace(term) == "" || strings.IndexFunc(term, unicode.IsControl) >= 0 {
		return &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: "config/dictionaries",
			Message: "the dictionary term is empty or contains control characters"}
	}
	return nil
}
