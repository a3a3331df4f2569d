package sim

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Server is a simulated AsyncOS API v2.0 serving both the ESA and the SMA
// prefix from one dataset.
type Server struct {
	o   Options
	log *slog.Logger
	// routes is built once by New and only read afterwards.
	routes map[routeKey]route

	mu         sync.Mutex // guards the dataset and everything below it
	apps       []appliance
	recs       []*record
	index      map[string]map[int64]*record // serial → MID → message
	quarantine map[int64]*record            // quarantine MID → message still held
	dicts      map[string]*dictionary
	batches    []*batch
	privileges []string
	advance    time.Duration
	tokenKey   []byte
	// tokenEpoch invalidates every token issued before it; ExpireTokens
	// bumps it.
	tokenEpoch int

	reqMu   sync.Mutex // guards the request log and the fault settings
	reqs    []Request
	fault   Fault
	faultN  uint64
	tls     *certs
	servers []*http.Server
}

// New builds a simulator and its dataset. It returns an error when
// Options.DataFile cannot be loaded or the certificates cannot be generated.
func New(o Options) (*Server, error) {
	o = o.withDefaults()
	s := &Server{
		o: o, log: o.Logger.With("component", "gatewaysim"),
		privileges: append([]string(nil), o.Privileges...),
		dicts:      map[string]*dictionary{},
		tokenKey:   make([]byte, 32),
	}
	if _, err := rand.Read(s.tokenKey); err != nil {
		return nil, fmt.Errorf("generate token key: %w", err)
	}
	if err := s.loadDataset(); err != nil {
		return nil, err
	}
	for name, words := range o.Dictionaries {
		s.dicts[name] = newDictionary(name, words)
	}
	c, err := newCerts()
	if err != nil {
		return nil, err
	}
	s.tls = c
	s.routes = s.routeTable()
	return s, nil
}

func (s *Server) loadDataset() error {
	if s.o.DataFile != "" {
		apps, recs, err := readDataFile(s.o.DataFile)
		if err != nil {
			return err
		}
		s.apps, s.recs = apps, recs
	} else {
		s.apps = append([]appliance(nil), defaultAppliances...)
		s.recs = generate(s.o)
	}
	s.index = map[string]map[int64]*record{}
	s.quarantine = map[int64]*record{}
	for _, r := range s.recs {
		serial := s.apps[r.Appliance].Serial
		if s.index[serial] == nil {
			s.index[serial] = map[int64]*record{}
		}
		for _, m := range r.MIDs {
			s.index[serial][m] = r
		}
		if r.QuarantineMID != 0 {
			s.quarantine[r.QuarantineMID] = r
		}
	}
	return nil
}

// now is the simulator clock: Options.Now moved on by Advance.
func (s *Server) now() time.Time {
	return s.o.Now().Add(s.advance)
}

// Advance moves the simulator clock forward by d. Remediation progress and
// token expiry follow it, which lets tests with an injected clock step time.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance += d
}

// Stories returns the named story messages.
func (s *Server) Stories() Stories {
	s.mu.Lock()
	defer s.mu.Unlock()
	return collectStories(s.recs, s.apps)
}

// SetPrivileges replaces the privileges of every account.
func (s *Server) SetPrivileges(p []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privileges = append([]string(nil), p...)
}

// ExpireTokens invalidates every session token issued so far, so requests
// that carry one get 401 "ExpiredSignatureError.".
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenEpoch++
}

// Handler returns the HTTP handler serving both API prefixes.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

// Start serves plain HTTP on addr ("" means 127.0.0.1:0) and returns the
// base URL, for example "http://127.0.0.1:41234".
func (s *Server) Start(addr string) (string, error) {
	return s.listen(addr, false)
}

// StartTLS serves HTTPS on addr ("" means 127.0.0.1:0) with a certificate
// for 127.0.0.1, ::1 and localhost signed by the CA that CAPEM returns.
func (s *Server) StartTLS(addr string) (string, error) {
	return s.listen(addr, true)
}

// CAPEM returns the PEM of the CA that signed the HTTPS certificate.
func (s *Server) CAPEM() []byte {
	return append([]byte(nil), s.tls.caPEM...)
}

func (s *Server) listen(addr string, useTLS bool) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	var wrapped net.Listener = &outageListener{Listener: ln, s: s}
	scheme := "http"
	if useTLS {
		wrapped = tls.NewListener(wrapped, &tls.Config{
			Certificates: []tls.Certificate{s.tls.leaf}, MinVersion: tls.VersionTLS12,
		})
		scheme = "https"
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.reqMu.Lock()
	s.servers = append(s.servers, srv)
	s.reqMu.Unlock()
	go func() {
		if err := srv.Serve(wrapped); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve failed", "err", err)
		}
	}()
	base := scheme + "://" + ln.Addr().String()
	s.log.Info("listening", "url", base)
	return base, nil
}

// Close stops every listener and closes open connections.
func (s *Server) Close() error {
	s.reqMu.Lock()
	servers := s.servers
	s.servers = nil
	s.reqMu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// outageListener closes every accepted connection while a full outage is
// injected, so clients see the connection reset before any HTTP exchange.
type outageListener struct {
	net.Listener
	s *Server
}

func (l *outageListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !l.s.currentFault().Outage {
			return c, nil
		}
		_ = c.Close()
	}
}

// splitPrefix returns the API flavour ("esa" or "sma") and the resource
// path after the prefix.
func splitPrefix(path string) (api, rest string, ok bool) {
	for _, a := range []string{"esa", "sma"} {
		prefix := "/" + a + "/api/v2.0"
		if path == prefix || path == prefix+"/" {
			return a, "", true
		}
		if strings.HasPrefix(path, prefix+"/") {
			return a, strings.TrimSuffix(strings.TrimPrefix(path, prefix+"/"), "/"), true
		}
	}
	return "", "", false
}

// endpointOf names a resource path for the request counters, folding
// dictionary names away.
func endpointOf(path string) string {
	_, rest, ok := splitPrefix(path)
	if !ok {
		return strings.Trim(path, "/")
	}
	if strings.HasPrefix(rest, "config/dictionaries/") {
		if strings.HasSuffix(rest, "/words") {
			return "config/dictionaries/words"
		}
		return "config/dictionaries"
	}
	return rest
}
