package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/securex-esa/relay/api"
)

// requiredClaims are the claims without which the relay rejects a token.
var requiredClaims = []string{api.ClaimGatewayURL, api.ClaimGatewayUser, api.ClaimGatewayPassword}

// secretClaims are the claims the platform's form must mask.
var secretClaims = []string{api.ClaimGatewayPassword, api.ClaimESAConfigPassword}

// integerClaims are the claims the relay parses as integers.
var integerClaims = []string{api.ClaimEntitiesLimit, api.ClaimLookbackDays}

var supportedAPIs = []string{
	"health", "deliberate/observables", "observe/observables",
	"refer/observables", "respond/observables", "respond/trigger",
}

var capabilityIDs = []string{"health", "deliberate", "observe", "refer", "respond"}

// claimFieldPrefix starts the key of every form field that becomes a token
// claim, because the platform puts form field custom_<NAME> into claim <NAME>.
const claimFieldPrefix = "custom_"

type moduleType struct {
	Title              string               `json:"title"`
	DefaultName        string               `json:"default_name"`
	ShortDescription   string               `json:"short_description"`
	Description        string               `json:"description"`
	Tips               string               `json:"tips"`
	ExternalReferences []json.RawMessage    `json:"external_references"`
	ConfigurationSpec  []configurationField `json:"configuration_spec"`
	Capabilities       []capability         `json:"capabilities"`
	Properties         moduleTypeProperties `json:"properties"`
}

type configurationField struct {
	Key      string        `json:"key"`
	Type     string        `json:"type"`
	Label    string        `json:"label"`
	Tooltip  string        `json:"tooltip"`
	Required bool          `json:"required"`
	Options  []fieldOption `json:"options"`
}

type fieldOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type capability struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

type moduleTypeProperties struct {
	URL           string   `json:"url"`
	SupportedAPIs []string `json:"supported-apis"`
	AuthType      string   `json:"auth-type"`
	TokenAlg      string   `json:"configuration-token-alg"`
	TokenKey      string   `json:"configuration-token-key"`
	TokenAudience string   `json:"configuration-token-audience"`
	JWKSHost      string   `json:"custom_jwks_host"`
}

func loadModuleType(t *testing.T, path string) moduleType {
	t.Helper()

	data, err := os.ReadFile(path)
	require.NoError(t, err)

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var mt moduleType
	require.NoError(t, dec.Decode(&mt), "decode %s", path)
	return mt
}

func TestModuleTypeSchema(t *testing.T) {
	compiler := jsonschema.NewCompiler()
	schema, err := compiler.Compile("testdata/module_type.schema.json")
	require.NoError(t, err)

	for _, path := range []string{"module_type.json", "module_type.hs256.json"} {
		t.Run(path, func(t *testing.T) {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			doc, err := jsonschema.UnmarshalJSON(f)
			require.NoError(t, err)

			require.NoError(t, schema.Validate(doc))
		})
	}
}

func TestModuleTypeClaims(t *testing.T) {
	for _, path := range []string{"module_type.json", "module_type.hs256.json"} {
		t.Run(path, func(t *testing.T) {
			mt := loadModuleType(t, path)

			var declared []string
			for _, field := range mt.ConfigurationSpec {
				claim, ok := strings.CutPrefix(field.Key, claimFieldPrefix)
				if !ok {
					require.Equal(t, "url", field.Key, "form field %s is neither url nor a claim", field.Key)
					require.True(t, field.Required, "the relay's URL is required")
					continue
				}
				declared = append(declared, claim)
			}

			require.ElementsMatch(t, api.ClaimNames, declared, "form fields and the relay's claims differ")
		})
	}
}

func TestModuleTypeClaimFields(t *testing.T) {
	mt := loadModuleType(t, "module_type.json")

	for _, field := range mt.ConfigurationSpec {
		claim, ok := strings.CutPrefix(field.Key, claimFieldPrefix)
		if !ok {
			continue
		}
		t.Run(claim, func(t *testing.T) {

			require.NotEmpty(t, field.Label)
			require.NotEmpty(t, field.Tooltip)
			require.Equal(t, slices.Contains(requiredClaims, claim), field.Required, "required flag")
			if slices.Contains(secretClaims, claim) {
				require.Equal(t, "password", field.Type, "a secret field must be masked")
			}
			if slices.Contains(integerClaims, claim) {
				require.Equal(t, "integer", field.Type)
			}
		})
	}
}

func TestModuleTypeGatewayAPIOptions(t *testing.T) {
	mt := loadModuleType(t, "module_type.json")

	idx := slices.IndexFunc(mt.ConfigurationSpec, func(f configurationField) bool {
		return f.Key == claimFieldPrefix+api.ClaimGatewayAPI
	})
	require.GreaterOrEqual(t, idx, 0)

	var values []string
	for _, option := range mt.ConfigurationSpec[idx].Options {
		values = append(values, option.Value)
	}
	require.ElementsMatch(t, []string{"sma", "esa"}, values)
}

func TestModuleTypeVariantsShareForm(t *testing.T) {
	rs256 := loadModuleType(t, "module_type.json")
	hs256 := loadModuleType(t, "module_type.hs256.json")

	require.Equal(t, rs256.ConfigurationSpec, hs256.ConfigurationSpec)
	require.Equal(t, rs256.Capabilities, hs256.Capabilities)
	require.Equal(t, rs256.Properties.SupportedAPIs, hs256.Properties.SupportedAPIs)
}

func TestModuleTypeAPIsAndCapabilities(t *testing.T) {
	mt := loadModuleType(t, "module_type.json")

	require.ElementsMatch(t, supportedAPIs, mt.Properties.SupportedAPIs, "tiles stay out until dashboard tiles exist")

	var ids []string
	for _, c := range mt.Capabilities {
		ids = append(ids, c.ID)
		require.NotEmpty(t, c.Description, "capability %s", c.ID)
	}
	require.ElementsMatch(t, capabilityIDs, ids)
}

func TestModuleTypeRS256Auth(t *testing.T) {
	props := loadModuleType(t, "module_type.json").Properties

	require.Equal(t, "configuration-token", props.AuthType)
	require.Equal(t, "RS256", props.TokenAlg)
	require.Contains(t, api.DefaultJWKSHosts, props.JWKSHost, "the relay trusts this key server by default")
	require.Empty(t, props.TokenKey, "an RS256 module type carries no shared key")
	require.Equal(t, props.URL, props.TokenAudience, "the relay compares aud with RELAY_AUDIENCE, its public URL")
}

func TestModuleTypeHS256Auth(t *testing.T) {
	props := loadModuleType(t, "module_type.hs256.json").Properties

	require.Equal(t, "configuration-token", props.AuthType)
	require.Equal(t, "HS256", props.TokenAlg)
	require.Empty(t, props.JWKSHost)
	require.Contains(t, props.TokenKey, "REPLACE", "the shipped key must be a placeholder, never a usable secret")
	require.GreaterOrEqual(t, len(props.TokenKey), 32, "the relay requires RELAY_JWT_SECRET of at least 32 bytes")
	require.Equal(t, props.URL, props.TokenAudience)
}
