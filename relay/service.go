package relay

import "encoding/json"

// TriggerRequest is the body of /respond/trigger after its shape was checked:
// the three fixed keys are non-empty strings. Params holds every other key
// exactly as sent, because they come back from the client untrusted and the
// action decides which keys it accepts.
type TriggerRequest struct {
	ActionID        string
	ObservableType  string
	ObservableValue string
	Params          map[string]json.RawMessage
}

// Trigger outcomes.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
)

// TriggerResult is the outcome of a trigger: a status and the errors or
// warnings that explain it.
type TriggerResult struct {
	Status string
	Errors []*Error
}
