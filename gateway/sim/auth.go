package sim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type loginRequest struct {
	Data *struct {
		UserName   *string `json:"userName"`
		Passphrase *string `json:"passphrase"`
	} `json:"data"`
}

// login implements POST {prefix}/login: both fields are base64 of the
// UTF-8 text, and a missing field is a 404 as on the appliance.
func (s *Server) login(c *call) {
	var req loginRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid JSON in request body.")
		return
	}
	if req.Data == nil || req.Data.UserName == nil || req.Data.Passphrase == nil {
		writeError(c.w, http.StatusNotFound, msgUnsupported)
		return
	}
	user, errU := base64.StdEncoding.DecodeString(*req.Data.UserName)
	pass, errP := base64.StdEncoding.DecodeString(*req.Data.Passphrase)
	if errU != nil || errP != nil || !s.checkPassword(string(user), string(pass)) {
		writeError(c.w, http.StatusUnauthorized, msgBadLogin)
		return
	}
	token, err := s.issueToken(string(user))
	if err != nil {
		writeError(c.w, http.StatusInternalServerError, "Token generation failed.")
		return
	}
	data := map[string]any{
		"userName": string(user), "is2FactorRedirectRequired": "false", "role": "Administrator", "jwtToken": token,
	}
	if c.api == "sma" {
		// The manager lists notification addresses; the gateway omits the key.
		data["email"] = []string{}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"data": data})
}

func (s *Server) checkPassword(user, pass string) bool {
	want, ok := s.o.Users[user]
	return ok && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

// issueToken signs an HS256 token with the claims an appliance token
// carries, plus the epoch that ExpireTokens moves past.
func (s *Server) issueToken(user string) (string, error) {
	cookie := make([]byte, 16)
	if _, err := rand.Read(cookie); err != nil {
		return "", err
	}
	s.mu.Lock()
	epoch := s.tokenEpoch
	exp := s.now().Add(s.o.TokenTTL)
	s.mu.Unlock()
	claims := jwt.MapClaims{
		"userName": user, "is2FactorCheckRequired": false, "cookie": hex.EncodeToString(cookie),
		"user": "NONEUQ", "exp": exp.Unix(), "simEpoch": epoch,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.tokenKey)
}

// authenticate checks the jwtToken header, or else Basic credentials, and
// writes the 401 itself when neither is valid.
func (s *Server) authenticate(c *call) bool {
	if token := c.r.Header.Get("jwtToken"); token != "" {
		user, msg := s.checkToken(token)
		if msg != "" {
			writeError(c.w, http.StatusUnauthorized, msg)
			return false
		}
		c.user = user
		return true
	}
	user, pass, ok := c.r.BasicAuth()
	if !ok || !s.checkPassword(user, pass) {
		writeError(c.w, http.StatusUnauthorized, msgUnauthorized)
		return false
	}
	c.user = user
	return true
}

// checkToken returns the token's user, or the 401 message when the token
// is not valid.
func (s *Server) checkToken(token string) (string, string) {
	s.mu.Lock()
	now, epoch := s.now(), s.tokenEpoch
	s.mu.Unlock()
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return s.tokenKey, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if errors.Is(err, jwt.ErrTokenExpired) {
		return "", msgExpiredToken
	}
	if err != nil {
		return "", msgInvalidToken
	}
	if e, _ := claims["simEpoch"].(float64); int(e) != epoch {
		return "", msgExpiredToken
	}
	user, _ := claims["userName"].(string)
	if _, ok := s.o.Users[user]; !ok {
		return "", msgInvalidToken
	}
	return user, ""
}
