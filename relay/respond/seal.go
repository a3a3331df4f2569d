package respond

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/securex-esa/relay/gateway"
)

// sealInfo separates this key from anything else derived from the state key.
const sealInfo = "securex-esa relay: poller credential sets v1"

func deriveSealKey(stateKey []byte) []byte {
	key, err := hkdf.Key(sha256.New, stateKey, nil, sealInfo, 32)
	if err != nil {
		// hkdf.Key fails only for key lengths over 255 hash blocks, and
		// this one is a single block.
		panic(fmt.Sprintf("respond: derive seal key: %v", err))
	}
	return key
}

// sealedConfig is a gateway.Config with its password in the clear, which
// exists only inside the AES-GCM envelope.
type sealedConfig struct {
	BaseURL  string      `json:"base_url"`
	API      gateway.API `json:"api"`
	User     string      `json:"user"`
	Password string      `json:"password"`
	CAPEM    string      `json:"ca_pem,omitempty"`
}

// sealConfig encrypts cfg under the seal key. The additional data aad
// binds the ciphertext to its job, so that it cannot be moved to another.
func (s *Service) sealConfig(cfg gateway.Config, aad string) ([]byte, error) {
	plain, err := json.Marshal(sealedConfig{
		BaseURL: cfg.BaseURL, API: cfg.API, User: cfg.User,
		Password: cfg.Password.Reveal(), CAPEM: cfg.CAPEM,
	})
	if err != nil {
		return nil, fmt.Errorf("encode credential set: %w", err)
	}
	aead, err := s.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal credential set: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, []byte(aad)), nil
}

var errUnseal = errors.New("sealed credential set does not decrypt under the state key")

func (s *Service) openConfig(sealed []byte, aad string) (gateway.Config, error) {
	aead, err := s.aead()
	if err != nil {
		return gateway.Config{}, err
	}
	if len(sealed) < aead.NonceSize() {
		return gateway.Config{}, errUnseal
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(aad))
	if err != nil {
		return gateway.Config{}, errUnseal
	}
	var c sealedConfig
	if err := json.Unmarshal(plain, &c); err != nil {
		return gateway.Config{}, fmt.Errorf("decode credential set: %w", err)
	}
	return gateway.Config{BaseURL: c.BaseURL, API: c.API, User: c.User,
		Password: gateway.Secret(c.Password), CAPEM: c.CAPEM}, nil
}

func (s *Service) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(s.sealKey)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return cipher.NewGCM(block)
}
