package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// dataFile is the JSON form of a dataset that Options.DataFile loads and
// WriteData writes.
type dataFile struct {
	Appliances []appliance `json:"appliances"`
	Messages   []*record   `json:"messages"`
}

// WriteData writes the current dataset as JSON, in the form Options.DataFile
// loads. Remediation batches are not included.
func (s *Server) WriteData(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(dataFile{Appliances: s.apps, Messages: s.recs}); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	return nil
}

func readDataFile(path string) ([]appliance, []*record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read dataset: %w", err)
	}
	var df dataFile
	if err := json.Unmarshal(b, &df); err != nil {
		return nil, nil, fmt.Errorf("parse dataset %s: %w", path, err)
	}
	if len(df.Appliances) == 0 {
		return nil, nil, fmt.Errorf("dataset %s: no appliances; add at least one to \"appliances\"", path)
	}
	for i, r := range df.Messages {
		if r == nil || r.Appliance < 0 || r.Appliance >= len(df.Appliances) {
			return nil, nil, fmt.Errorf("dataset %s: message %d: appliance index out of range", path, i)
		}
		if !r.Rejected && len(r.MIDs) == 0 {
			return nil, nil, fmt.Errorf("dataset %s: message %d: no MIDs; every message needs \"mids\"", path, i)
		}
	}
	return df.Appliances, df.Messages, nil
}
