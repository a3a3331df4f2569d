package ctim

import (
	"encoding/json"
	"strconv"
)

// Bundle is the data of an observe response: entity lists keyed by type.
// Encoding writes each list as {"count": n, "docs": [...]} and leaves
// empty lists out, so an empty bundle encodes as {}.
type Bundle struct {
	Sightings     []Sighting
	Judgements    []Judgement
	Verdicts      []Verdict
	Indicators    []Indicator
	Relationships []Relationship
}

// Bucket is one entity list with its count.
type Bucket[T any] struct {
	Count int `json:"count"`
	Docs  []T `json:"docs"`
}

type bundleJSON struct {
	Sightings     *Bucket[Sighting]     `json:"sightings,omitempty"`
	Judgements    *Bucket[Judgement]    `json:"judgements,omitempty"`
	Verdicts      *Bucket[Verdict]      `json:"verdicts,omitempty"`
	Indicators    *Bucket[Indicator]    `json:"indicators,omitempty"`
	Relationships *Bucket[Relationship] `json:"relationships,omitempty"`
}

// MarshalJSON writes the non-empty lists as buckets.
func (b Bundle) MarshalJSON() ([]byte, error) {
	return json.Marshal(bundleJSON{
		Sightings:     bucket(b.Sightings),
		Judgements:    bucket(b.Judgements),
		Verdicts:      bucket(b.Verdicts),
		Indicators:    bucket(b.Indicators),
		Relationships: bucket(b.Relationships),
	})
}

// UnmarshalJSON reads the buckets back, for tests and cached entries.
func (b *Bundle) UnmarshalJSON(data []byte) error {
	var raw bundleJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*b = Bundle{
		Sightings:     docs(raw.Sightings),
		Judgements:    docs(raw.Judgements),
		Verdicts:      docs(raw.Verdicts),
		Indicators:    docs(raw.Indicators),
		Relationships: docs(raw.Relationships),
	}
	return nil
}

// Empty reports whether the bundle has no entity.
func (b Bundle) Empty() bool {
	return len(b.Sightings)+len(b.Judgements)+len(b.Verdicts)+len(b.Indicators)+len(b.Relationships) == 0
}

func bucket[T any](docs []T) *Bucket[T] {
	if len(docs) == 0 {
		return nil
	}
	return &Bucket[T]{Count: len(docs), Docs: docs}
}

func docs[T any](b *Bucket[T]) []T {
	if b == nil {
		return nil
	}
	return b.Docs
}

// VerdictsData is the data of a deliberate response: only verdicts, and
// {} when there are none.
type VerdictsData struct {
	Verdicts []Verdict
	// Encoded are verdicts already encoded as JSON, such as those read
	// from a cache. They follow Verdicts in the response and are written
	// as they are, so each must be one valid JSON object.
	Encoded []json.RawMessage
}

// MarshalJSON writes the verdicts as a bucket, or {} when there are none.
// The bucket is assembled by hand so Encoded verdicts are copied, not
// decoded and encoded again.
func (v VerdictsData) MarshalJSON() ([]byte, error) {
	n := len(v.Verdicts) + len(v.Encoded)
	if n == 0 {
		return []byte("{}"), nil
	}
	docs := make([][]byte, 0, n)
	size := 64
	for _, verdict := range v.Verdicts {
		raw, err := json.Marshal(verdict)
		if err != nil {
			return nil, err
		}
		docs = append(docs, raw)
		size += len(raw) + 1
	}
	for _, raw := range v.Encoded {
		docs = append(docs, raw)
		size += len(raw) + 1
	}

	out := make([]byte, 0, size)
	out = append(out, `{"verdicts":{"count":`...)
	out = strconv.AppendInt(out, int64(n), 10)
	out = append(out, `,"docs":[`...)
	for i, raw := range docs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, raw...)
	}
	return append(out, "]}}"...), nil
}
