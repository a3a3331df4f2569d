package ctim_test

import (
	"bytes"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func jsonschemaUnmarshal(doc []byte) (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(doc))
}
