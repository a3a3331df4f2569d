// Package ctim holds the CTIM entities the relay returns (sightings,
// judgements, verdicts, indicators and relationships), the bundle that
// groups them, their identifiers and CTIM's string and time limits.
package ctim

import "github.com/securex-esa/relay/observables"

// SchemaVersion is the CTIM release whose schemas the entities follow.
const SchemaVersion = "1.3.29"

// Observable is a typed value inside an entity. Targets and sensor
// coordinates may carry types the relay does not enrich, such as hostname.
type Observable = observables.Observable

// Disposition is CTIM's numeric disposition.
type Disposition int

// The CTIM dispositions.
const (
	Clean      Disposition = 1
	Malicious  Disposition = 2
	Suspicious Disposition = 3
	Common     Disposition = 4
	Unknown    Disposition = 5
)

// Name returns the disposition name CTIM pairs with the number.
func (d Disposition) Name() string {
	switch d {
	case Clean:
		return "Clean"
	case Malicious:
		return "Malicious"
	case Suspicious:
		return "Suspicious"
	case Common:
		return "Common"
	default:
		return "Unknown"
	}
}

// Levels of confidence and severity (CTIM's HighMedLow and Severity lists).
const (
	LevelCritical = "Critical" // severity only
	LevelHigh     = "High"
	LevelMedium   = "Medium"
	LevelLow      = "Low"
	LevelInfo     = "Info"
	LevelNone     = "None"
	LevelUnknown  = "Unknown"
)

// ValidTime is the period during which a judgement or verdict holds.
type ValidTime struct {
	StartTime string `json:"start_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`
}

// ObservedTime is when a sighting was made.
type ObservedTime struct {
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time,omitempty"`
}

// Sighting records that a sensor saw observables.
type Sighting struct {
	ID               string       `json:"id"`
	Type             string       `json:"type"`
	SchemaVersion    string       `json:"schema_version"`
	Source           string       `json:"source,omitempty"`
	SourceURI        string       `json:"source_uri,omitempty"`
	Title            string       `json:"title,omitempty"`
	ShortDescription string       `json:"short_description,omitempty"`
	Description      string       `json:"description,omitempty"`
	Confidence       string       `json:"confidence"`
	Count            int          `json:"count"`
	Internal         bool         `json:"internal"`
	Severity         string       `json:"severity,omitempty"`
	Resolution       string       `json:"resolution,omitempty"`
	Sensor           string       `json:"sensor,omitempty"`
	Timestamp        string       `json:"timestamp,omitempty"`
	ExternalIDs      []string     `json:"external_ids,omitempty"`
	ObservedTime     ObservedTime `json:"observed_time"`
	Observables      []Observable `json:"observables,omitempty"`
	Targets          []Target     `json:"targets,omitempty"`
	Relations        []Relation   `json:"relations,omitempty"`
	Data             *DataTable   `json:"data,omitempty"`
}

// Target is one element of a sighting's targets: what was targeted and
// the observables that identify it.
type Target struct {
	Type         string       `json:"type"`
	Observables  []Observable `json:"observables"`
	ObservedTime ObservedTime `json:"observed_time"`
}

// Relation links two observables inside a sighting: source relation related.
type Relation struct {
	Origin    string     `json:"origin"`
	OriginURI string     `json:"origin_uri,omitempty"`
	Relation  string     `json:"relation"`
	Source    Observable `json:"source"`
	Related   Observable `json:"related"`
}

// DataTable is the table a sighting carries in its data field.
type DataTable struct {
	Columns  []Column `json:"columns"`
	Rows     [][]any  `json:"rows"`
	RowCount int      `json:"row_count"`
}

// Column defines one data table column; Type is a CTIM column type such as
// "string", "integer" or "observable".
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Judgement is a source's disposition of one observable.
type Judgement struct {
	ID              string      `json:"id"`
	Type            string      `json:"type"`
	SchemaVersion   string      `json:"schema_version"`
	Source          string      `json:"source"`
	SourceURI       string      `json:"source_uri,omitempty"`
	Observable      Observable  `json:"observable"`
	Disposition     Disposition `json:"disposition"`
	DispositionName string      `json:"disposition_name"`
	Priority        int         `json:"priority"`
	Confidence      string      `json:"confidence"`
	Severity        string      `json:"severity"`
	ValidTime       ValidTime   `json:"valid_time"`
	Reason          string      `json:"reason,omitempty"`
}

// Verdict is the disposition the platform shows for an observable, taken
// from one judgement.
type Verdict struct {
	Type            string      `json:"type"`
	Disposition     Disposition `json:"disposition"`
	DispositionName string      `json:"disposition_name"`
	Observable      Observable  `json:"observable"`
	JudgementID     string      `json:"judgement_id,omitempty"`
	ValidTime       ValidTime   `json:"valid_time"`
}

// Indicator describes a pattern of interest.
type Indicator struct {
	ID            string    `json:"id"`
	Type          string    `json:"type"`
	SchemaVersion string    `json:"schema_version"`
	Producer      string    `json:"producer"`
	Title         string    `json:"title,omitempty"`
	ValidTime     ValidTime `json:"valid_time"`
}

// Relationship links two entities by id.
type Relationship struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	SchemaVersion    string `json:"schema_version"`
	RelationshipType string `json:"relationship_type"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// NewVerdict builds the verdict that follows judgement j.
func NewVerdict(j Judgement) Verdict {
	return Verdict{
		Type:            "verdict",
		Disposition:     j.Disposition,
		DispositionName: j.Disposition.Name(),
		Observable:      j.Observable,
		JudgementID:     j.ID,
		ValidTime:       j.ValidTime,
	}
}
