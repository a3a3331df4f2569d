package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/securex-esa/relay/observables"
	"github.com/securex-esa/relay/relay"
)

// DecodeObservables decodes an observable list: a JSON array of objects with
// non-empty string "type" and "value". Types are lower-cased, exact
// duplicates removed and unsupported types dropped; beyond max the first max
// are kept and a warning says how many were dropped. An invalid body gives
// an error that is a fatal *relay.Error with code "invalid argument".
func DecodeObservables(body []byte, max int) ([]observables.Observable, []*relay.Error, error) {
	body = trimBOM(body)
	if err := checkText(body); err != nil {
		return nil, nil, err
	}
	list, ok := scanObservables(body)
	if !ok {
		var err error
		if list, err = decodeList(body); err != nil {
			return nil, nil, err
		}
	}

	var out []observables.Observable
	if len(list) > 0 {
		out = make([]observables.Observable, 0, len(list))
	}
	seen := make(map[observables.Observable]bool, len(list))
	for _, o := range list {
		if seen[o] || !observables.Supported(o.Type) {
			continue
		}
		seen[o] = true
		out = append(out, o)
	}

	if max > 0 && len(out) > max {
		warn := relay.NewWarning(relay.CodeTooManyObservables, fmt.Sprintf(
			"The request has %d supported observables; the relay serves at most %d per request, so the first %d were served and the rest ignored.",
			len(out), max, max))
		return out[:max], []*relay.Error{warn}, nil
	}
	return out, nil, nil
}

// decodeList decodes an observable list of any shape with encoding/json,
// and names the first problem it finds.
func decodeList(body []byte) ([]observables.Observable, error) {
	dec, err := openArray(body)
	if err != nil {
		return nil, err
	}
	var out []observables.Observable
	for i := 0; dec.More(); i++ {
		o, err := decodeElement(dec, i)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := closeArray(dec); err != nil {
		return nil, err
	}
	return out, nil
}

// openArray checks the body's encoding and reads the opening bracket of a
// top-level array.
func openArray(body []byte) (*json.Decoder, error) {
	if err := checkText(body); err != nil {
		return nil, err
	}
	switch bytes.TrimSpace(body)[0] {
	case '[':
	case '{':
		return nil, invalidArgument("The request body is a JSON object; expected a JSON array of observables such as [{\"type\":\"ip\",\"value\":\"192.0.2.1\"}].")
	default:
		return nil, invalidArgument("The request body is not a JSON array; expected a JSON array of observables such as [{\"type\":\"ip\",\"value\":\"192.0.2.1\"}].")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return nil, notJSON(err)
	}
	return dec, nil
}

// closeArray reads the closing bracket and checks nothing follows it.
func closeArray(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return notJSON(err)
	}
	return checkEnd(dec)
}

func checkEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidArgument("The request body has data after the JSON value; send exactly one JSON value.")
	}
	return nil
}

// utf8BOM is the byte order mark some clients put before UTF-8 text. RFC
// 8259 section 8.1 says senders must not add it and parsers may ignore it,
// which the relay does.
var utf8BOM = []byte("\xef\xbb\xbf")

// trimBOM drops one leading UTF-8 byte order mark.
func trimBOM(body []byte) []byte {
	return bytes.TrimPrefix(body, utf8BOM)
}

// checkText rejects an empty body and one that is not UTF-8.
func checkText(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return invalidArgument("The request body is empty; expected JSON.")
	}
	if !utf8.Valid(body) {
		return invalidArgument("The request body is not valid UTF-8.")
	}
	return nil
}

func decodeElement(dec *json.Decoder, i int) (observables.Observable, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return observables.Observable{}, notJSON(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return observables.Observable{}, invalidArgument(fmt.Sprintf(
			"Element %d of the observable list is not an object; expected {\"type\":\"...\",\"value\":\"...\"}.", i))
	}
	typ, err := stringField(fields, "type", fmt.Sprintf("Element %d", i))
	if err != nil {
		return observables.Observable{}, err
	}
	value, err := stringField(fields, "value", fmt.Sprintf("Element %d", i))
	if err != nil {
		return observables.Observable{}, err
	}
	return observables.Observable{Type: observables.Type(strings.ToLower(strings.TrimSpace(typ))), Value: value}, nil
}

// stringField reads a required, non-blank string field of a JSON object.
func stringField(fields map[string]json.RawMessage, name, where string) (string, error) {
	raw, ok := fields[name]
	if !ok {
		return "", invalidArgument(fmt.Sprintf("%s: field %q is missing.", where, name))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", invalidArgument(fmt.Sprintf("%s: field %q must be a string.", where, name))
	}
	if strings.TrimSpace(s) == "" {
		return "", invalidArgument(fmt.Sprintf("%s: field %q may not be blank.", where, name))
	}
	return s, nil
}

// Keys of the /respond/trigger body that every action shares.
const (
	triggerActionID = "action-id"
	triggerType     = "observable_type"
	triggerValue    = "observable_value"
)

// DecodeTrigger decodes a /respond/trigger body: a JSON object with
// non-empty string "action-id", "observable_type" and "observable_value".
// Every other key is kept raw in Params for the action to check. The
// observable type is lower-cased. An invalid body gives a fatal
// *relay.Error with code "invalid argument".
func DecodeTrigger(body []byte) (relay.TriggerRequest, error) {
	body = trimBOM(body)
	if err := checkText(body); err != nil {
		return relay.TriggerRequest{}, err
	}
	if bytes.TrimSpace(body)[0] != '{' {
		return relay.TriggerRequest{}, invalidArgument("The request body is not a JSON object; expected {\"action-id\":\"...\",\"observable_type\":\"...\",\"observable_value\":\"...\"}.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return relay.TriggerRequest{}, notJSON(err)
	}
	if err := checkEnd(dec); err != nil {
		return relay.TriggerRequest{}, err
	}

	var req relay.TriggerRequest
	var err error
	if req.ActionID, err = stringField(fields, triggerActionID, "Trigger body"); err != nil {
		return relay.TriggerRequest{}, err
	}
	typ, err := stringField(fields, triggerType, "Trigger body")
	if err != nil {
		return relay.TriggerRequest{}, err
	}
	req.ObservableType = strings.ToLower(strings.TrimSpace(typ))
	if req.ObservableValue, err = stringField(fields, triggerValue, "Trigger body"); err != nil {
		return relay.TriggerRequest{}, err
	}

	delete(fields, triggerActionID)
	delete(fields, triggerType)
	delete(fields, triggerValue)
	req.Params = fields
	return req, nil
}

// decodeTileID reads the "tile_id" of a /tiles/tile or /tiles/tile-data body.
func decodeTileID(body []byte) (string, error) {
	if err := checkText(body); err != nil {
		return "", err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return "", invalidArgument("The request body is not a JSON object; expected {\"tile_id\":\"...\"}.")
	}
	return stringField(fields, "tile_id", "Tile request")
}

func invalidArgument(msg string) *relay.Error {
	return relay.NewFatal(relay.CodeInvalidArgument, msg)
}

// notJSON reports a syntax error with its byte offset; the decoder's own
// text could quote the body, so it is not passed on.
func notJSON(err error) *relay.Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalidArgument("The request body is not valid JSON (syntax error at byte " + strconv.FormatInt(se.Offset, 10) + ").")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return invalidArgument("The request body is not valid JSON: it ends too early.")
	}
	return invalidArgument("The request body is not valid JSON.")
}
