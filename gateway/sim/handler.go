package sim

import (
	"io"
	"net/http"
	"slices"
	"strings"
)

// maxBody caps request bodies. Larger bodies get a 413, as on the appliance.
const maxBody = 1 << 20

// call is one authenticated API request being handled.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	api  string // "esa" or "sma"
	path string // resource path after the prefix
	q    query
	body []byte
	user string
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	entry := Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
		Body: body, Endpoint: endpointOf(r.URL.Path),
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		entry.Status = rec.status
		s.logRequest(entry)
		s.log.Debug("request", "method", r.Method, "endpoint", entry.Endpoint, "status", rec.status)
	}()

	f := s.currentFault()
	if f.Outage || f.DropConnections {
		// The server closes the connection without writing a response.
		panic(http.ErrAbortHandler)
	}
	sleep(r.Context(), s.delay(f, entry.Endpoint))
	if f.ErrorRate > 0 && s.faultDraw() < f.ErrorRate {
		writeError(rec, f.ErrorStatus, http.StatusText(f.ErrorStatus)+".")
		return
	}
	if len(body) > maxBody {
		writeError(rec, http.StatusRequestEntityTooLarge, "Request body too large.")
		return
	}
	s.route(rec, r, body)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	api, rest, ok := splitPrefix(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	if r.Method == http.MethodOptions {
		setHeaders(w)
		w.WriteHeader(http.StatusOK)
		return
	}
	c := &call{w: w, r: r, api: api, path: rest, q: parseQuery(r.URL.RawQuery), body: body}
	if rest == "login" && r.Method == http.MethodPost {
		s.login(c)
		return
	}
	if !s.authenticate(c) {
		return
	}
	handle, privilege := s.lookup(api, r.Method, rest)
	if handle == nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	if privilege != "" && !s.hasPrivilege(privilege) {
		writeError(w, http.StatusForbidden, msgNoPermission)
		return
	}
	handle(c)
}

func (s *Server) hasPrivilege(p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.privileges, p)
}

// route is one resource: its handler and the privilege it needs, empty
// when any account may call it.
type route struct {
	handle    func(*call)
	privilege string
}

// routeKey names a resource by API flavour ("" for both), method and path.
type routeKey struct{ api, method, path string }

func (s *Server) routeTable() map[routeKey]route {
	return map[routeKey]route{
		{"", "GET", "login/privileges"}:                     {s.listPrivileges, ""},
		{"", "GET", "message-tracking/messages"}:            {s.search, "e_message_tracking_messages"},
		{"", "GET", "message-tracking/details"}:             {s.details, "e_message_tracking_detail"},
		{"", "GET", "message-tracking/amp-details"}:         {s.ampDetails, "e_message_tracking_amp_details"},
		{"", "GET", "message-tracking/url-details"}:         {s.urlDetails, "e_message_tracking_url_details"},
		{"", "GET", "message-tracking/remediation-details"}: {s.remediationDetails, "e_remediation"},
		{"", "GET", "quarantine/messages"}:                  {s.searchQuarantineMessages, "e_quarantine_spam"},
		{"", "GET", "quarantine/messages/details"}:          {s.quarantineDetails, "e_quarantine_spam"},
		{"", "POST", "quarantine/messages"}:                 {s.releaseQuarantineMessages, "e_quarantine_spam"},
		{"", "DELETE", "quarantine/messages"}:               {s.deleteQuarantineMessages, "e_quarantine_spam"},
		// Remediation submit exists only on the manager, health only on the gateway.
		{"sma", "POST", "remediation"}: {s.submitRemediation, "e_remediation"},
		{"esa", "GET", "health"}:       {s.health, ""},
	}
}

// lookup returns the handler of a resource and the privilege it needs.
func (s *Server) lookup(api, method, path string) (func(*call), string) {
	if strings.HasPrefix(path, "config/dictionaries") && api == "esa" {
		return s.dictionaryRoute(method, path)
	}
	if rt, ok := s.routes[routeKey{"", method, path}]; ok {
		return rt.handle, rt.privilege
	}
	if rt, ok := s.routes[routeKey{api, method, path}]; ok {
		return rt.handle, rt.privilege
	}
	return nil, ""
}

func (s *Server) listPrivileges(c *call) {
	s.mu.Lock()
	p := append([]string{}, s.privileges...)
	s.mu.Unlock()
	writeJSON(c.w, http.StatusOK, map[string]any{"data": p})
}

func (s *Server) health(c *call) {
	writeJSON(c.w, http.StatusOK, map[string]any{"data": map[string]any{
		"percentage_cpu_load": 7, "percentage_ram_utilization": 31, "percentage_swap_utilization": 0,
		"resource_conservation": 0, "messages_in_pvo_quarantines": 12, "messages_in_workqueue": 0,
		"percentage_queue_utilization": 0, "percentage_diskio": 2,
	}})
}
