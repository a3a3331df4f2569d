// Package ctimtest checks JSON against the CTIM and relay response JSON
// Schemas, for the tests of any package that emits CTIM. The schemas are
// embedded, so tests read no file outside their own package.
package ctimtest

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

// baseURL is the $id prefix of every schema file.
const baseURL = "https://schemas.invalid/ctim/"

// responseDefs are the definitions of relay-responses.json that Validate
// accepts by name.
var responseDefs = map[string]bool{
	"ObserveResponse": true, "DeliberateResponse": true, "ReferResponse": true,
	"RespondObservablesResponse": true, "TriggerResponse": true, "ErrorResponse": true,
	"HealthResponse": true, "WatchdogResponse": true, "VersionResponse": true,
}

var (
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled = map[string]*jsonschema.Schema{}
)

// Validate fails t unless doc is valid against def: a relay response
// definition such as "ObserveResponse", "DeliberateResponse",
// "ReferResponse", "RespondObservablesResponse" or "TriggerResponse", or
// an entity schema such as "sighting", "judgement", "verdict", "indicator"
// or "relationship".
func Validate(t testing.TB, def string, doc []byte) {
	t.Helper()

	schema, err := Schema(def)
	if err != nil {
		t.Fatalf("ctimtest: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("ctimtest: document is not JSON: %v", err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("ctimtest: document is not a valid %s: %v\ndocument: %s", def, err, excerpt(doc))
	}
}

// Schema returns the compiled schema of def, compiling it on first use.
func Schema(def string) (*jsonschema.Schema, error) {
	url, err := schemaURL(def)
	if err != nil {
		return nil, err
	}

	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[url]; ok {
		return s, nil
	}
	if compiler == nil {
		c, err := newCompiler()
		if err != nil {
			return nil, err
		}
		compiler = c
	}
	s, err := compiler.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", url, err)
	}
	compiled[url] = s
	return s, nil
}

func schemaURL(def string) (string, error) {
	if responseDefs[def] {
		return baseURL + "relay-responses.json#/$defs/" + def, nil
	}
	name := strings.ToLower(def)
	if _, err := fs.Stat(schemaFiles, "schemas/"+name+".json"); err != nil || name == "common" {
		return "", fmt.Errorf("unknown schema %q: use a relay response name such as ObserveResponse or an entity such as sighting", def)
	}
	return baseURL + name + ".json", nil
}

func newCompiler() (*jsonschema.Compiler, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()

	entries, err := fs.ReadDir(schemaFiles, "schemas")
	if err != nil {
		return nil, fmt.Errorf("read embedded schemas: %w", err)
	}
	for _, e := range entries {
		data, err := schemaFiles.ReadFile("schemas/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", e.Name(), err)
		}
		if err := c.AddResource(baseURL+e.Name(), doc); err != nil {
			return nil, fmt.Errorf("add %s: %w", e.Name(), err)
		}
	}
	return c, nil
}

// excerpt bounds how much of a failing document a test failure prints.
func excerpt(doc []byte) string {
	const limit = 4000
	if len(doc) <= limit {
		return string(doc)
	}
	return string(doc[:limit]) + "..."
}
