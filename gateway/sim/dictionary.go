package sim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// dictionary is a content dictionary; entries are regular expressions on
// the appliance, stored here as sent.
type dictionary struct {
	name       string
	entries    []string
	weights    []int
	caseStrict bool
}

func newDictionary(name string, words []string) *dictionary {
	d := &dictionary{name: name}
	for _, w := range words {
		d.add(w, 1)
	}
	return d
}

func (d *dictionary) add(entry string, weight int) {
	if !slices.Contains(d.entries, entry) {
		d.entries = append(d.entries, entry)
		d.weights = append(d.weights, weight)
	}
}

func (d *dictionary) remove(entry string) {
	if i := slices.Index(d.entries, entry); i >= 0 {
		d.entries = slices.Delete(d.entries, i, i+1)
		d.weights = slices.Delete(d.weights, i, i+1)
	}
}

// Dictionary returns the entries of a dictionary, nil when it does not exist.
func (s *Server) Dictionary(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.dicts[name]; d != nil {
		return append([]string{}, d.entries...)
	}
	return nil
}

// SetDictionaryIgnoreCase sets whether a dictionary matches its entries
// regardless of letter case, as the appliance's "ignore case" setting does.
// Dictionaries ignore case unless this turns it off.
func (s *Server) SetDictionaryIgnoreCase(name string, ignore bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.dicts[name]; d != nil {
		d.caseStrict = !ignore
	}
}

// DictionaryMatches reports whether an envelope sender matches any entry of
// a dictionary, as a content filter condition on the envelope sender
// (mail-from-dictionary-match) evaluates it: an entry matches when its
// regular expression matches anywhere in the address, regardless of case
// when the dictionary ignores case. Entries that do not compile as Go
// regular expressions never match.
func (s *Server) DictionaryMatches(name, sender string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dicts[name]
	if d == nil {
		return false
	}
	for _, e := range d.entries {
		if !d.caseStrict {
			e = "(?i)" + e
		}
		re, err := regexp.Compile(e)
		if err == nil && re.MatchString(sender) {
			return true
		}
	}
	return false
}

// dictionaryRoute resolves config/dictionaries/<name>[/words].
func (s *Server) dictionaryRoute(method, path string) (func(*call), string) {
	rest := strings.TrimPrefix(path, "config/dictionaries/")
	if rest == path || rest == "" {
		return nil, ""
	}
	name, words := strings.CutSuffix(rest, "/words")
	if strings.Contains(name, "/") {
		return nil, ""
	}
	const privilege = "e_config_dictionaries"
	switch {
	case !words && method == http.MethodGet:
		return func(c *call) { s.getDictionary(c, name) }, privilege
	case words && method == http.MethodPost:
		return func(c *call) { s.editDictionary(c, name, true) }, privilege
	case words && method == http.MethodDelete:
		return func(c *call) { s.editDictionary(c, name, false) }, privilege
	}
	return nil, ""
}

func (s *Server) getDictionary(c *call, name string) {
	if c.q.get("device_type") == "" {
		writeError(c.w, http.StatusNotFound, msgNoDeviceType)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dicts[name]
	if d == nil {
		writeError(c.w, http.StatusNotFound, msgNoDictionary)
		return
	}
	words := make([][]any, len(d.entries))
	for i, e := range d.entries {
		words[i] = []any{e, d.weights[i]}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{
		"name": d.name, "encoding": "utf-8", "ignorecase": boolInt(!d.caseStrict), "wholewords": 0, "words": words,
	}})
}

// editDictionary adds words ([["entry", weight?], ...]) or removes them
// (["entry", ...]).
func (s *Server) editDictionary(c *call, name string, add bool) {
	if c.q.get("device_type") == "" {
		writeError(c.w, http.StatusNotFound, msgNoDeviceType)
		return
	}
	var req struct {
		Data *struct {
			Words []json.RawMessage `json:"words"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid JSON in request body.")
		return
	}
	if req.Data == nil || len(req.Data.Words) == 0 {
		writeError(c.w, http.StatusNotFound, "Missing attribute - words.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dicts[name]
	if d == nil {
		writeError(c.w, http.StatusNotFound, msgNoDictionary)
		return
	}
	entries, weights, ok := parseWords(req.Data.Words, add)
	if !ok {
		writeError(c.w, http.StatusNotFound, "Invalid value for attribute - words.")
		return
	}
	for i, e := range entries {
		if add {
			d.add(e, weights[i])
		} else {
			d.remove(e)
		}
	}
	msg := "Successfully added words to the dictionary " + name + "."
	if !add {
		msg = "Successfully deleted words from the dictionary " + name + "."
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{"message": msg}})
}

// parseWords reads ["entry", weight] pairs for an add and bare strings for
// a removal.
func parseWords(raw []json.RawMessage, pairs bool) ([]string, []int, bool) {
	entries := make([]string, 0, len(raw))
	weights := make([]int, 0, len(raw))
	for _, w := range raw {
		if !pairs {
			var e string
			if json.Unmarshal(w, &e) != nil || e == "" {
				return nil, nil, false
			}
			entries, weights = append(entries, e), append(weights, 0)
			continue
		}
		var pair []any
		if json.Unmarshal(w, &pair) != nil || len(pair) == 0 || len(pair) > 2 {
			return nil, nil, false
		}
		e, ok := pair[0].(string)
		if !ok || e == "" {
			return nil, nil, false
		}
		weight := 1
		if len(pair) == 2 {
			f, ok := pair[1].(float64)
			if !ok {
				return nil, nil, false
			}
			weight = int(f)
		}
		entries, weights = append(entries, e), append(weights, weight)
	}
	return entries, weights, true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
