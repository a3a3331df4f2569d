package enrich

import (
	"encoding/json"
	"fmt"

	"github.com/securex-esa/relay/relay"
	"github.com/securex-esa/relay/relay/ctim"
)

// capSightings keeps sightings while their encoded size fits in budget,
// taking one of each observable in turn so that every observable keeps
// its newest sightings. It returns the kept sightings and how many were
// left out.
func capSightings(perTarget [][]ctim.Sighting, budget int) ([]ctim.Sighting, int) {
	var kept []ctim.Sighting
	left := 0
	used := 0
	for round := 0; ; round++ {
		more := false
		for _, list := range perTarget {
			if round >= len(list) {
				continue
			}
			more = true
			size := encodedSize(list[round]) + 1 // the comma between documents
			if used+size > budget {
				left++
				continue
			}
			used += size
			kept = append(kept, list[round])
		}
		if !more {
			return kept, left
		}
	}
}

// encodedSize is the length of v's JSON encoding, 0 when it cannot be
// encoded.
func encodedSize(v any) int {
	data, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(data)
}

func tooLargeWarning(left, limit int) *relay.Error {
	return relay.NewWarning(relay.CodeResponseTooLarge, fmt.Sprintf(
		"%d sightings were left out to keep the response under %d bytes. Ask for fewer observables or lower CTR_ENTITIES_LIMIT.",
		left, limit))
}
