package sim

import "net/http"

// Request is one request the simulator received, as it arrived.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// Status is the HTTP status returned, 0 when the connection was dropped.
	Status int
	// Endpoint is the resource path after the API prefix, for example
	// "message-tracking/messages", "login" or "config/dictionaries/words".
	Endpoint string
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		r.Header = r.Header.Clone()
		r.Body = append([]byte(nil), r.Body...)
		out[i] = r
	}
	return out
}

// Count returns how many requests reached endpoint, whatever their status.
func (s *Server) Count(endpoint string) int {
	return s.CountStatus(endpoint, -1)
}

// CountStatus returns how many requests to endpoint ended with status; a
// negative status counts them all and 0 counts dropped connections.
func (s *Server) CountStatus(endpoint string, status int) int {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.Endpoint == endpoint && (status < 0 || r.Status == status) {
			n++
		}
	}
	return n
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.reqs = nil
}

func (s *Server) logRequest(r Request) {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.reqs = append(s.reqs, r)
}
