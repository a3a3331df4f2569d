package ctim

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// idNamespace is the UUID namespace of the relay's deterministic ids,
// itself a name-based UUID of the module path.
var idNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/securex-esa/relay/ctim"))

// TransientID returns a new random transient id for an entity type, such
// as "transient:sighting-<uuid>".
func TransientID(entity string) string {
	return "transient:" + entity + "-" + uuid.NewString()
}

// StableID returns a transient id for an entity type whose UUID is a
// version 5 UUID of the given parts, so the same parts always give the
// same id. Each part is prefixed with its length, so ("ab", "c") and
// ("a", "bc") give different ids.
func StableID(entity string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(0)
		b.WriteString(p)
	}
	return "transient:" + entity + "-" + uuid.NewSHA1(idNamespace, []byte(b.String())).String()
}

// JudgementID returns the id of the judgement a tenant's engine made of an
// observable: stable, so a cached verdict keeps pointing at the same id.
func JudgementID(tenant string, o Observable, engine string) string {
	return StableID("judgement", tenant, string(o.Type), o.Value, engine)
}
