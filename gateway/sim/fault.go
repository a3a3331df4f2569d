package sim

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"time"
)

// Fault is the failure injected into every request from now on. The zero
// value injects nothing.
type Fault struct {
	// Latency delays every response; Jitter adds a uniformly random extra
	// delay up to its value.
	Latency, Jitter time.Duration
	// ErrorRate is the fraction of requests, 0 to 1, that get ErrorStatus
	// (default 503) and the appliance's error envelope.
	ErrorRate   float64
	ErrorStatus int
	// DropConnections closes the connection of every request without a
	// response.
	DropConnections bool
	// Outage closes every new connection as soon as it is accepted, and drops
	// requests on connections already open.
	Outage bool
	// SlowEndpoint, for example "message-tracking/messages", gets SlowDelay on
	// top of Latency.
	SlowEndpoint string
	SlowDelay    time.Duration
}

// SetFault replaces the injected failure.
func (s *Server) SetFault(f Fault) {
	if f.ErrorStatus == 0 {
		f.ErrorStatus = http.StatusServiceUnavailable
	}
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.fault = f
}

func (s *Server) currentFault() Fault {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return s.fault
}

// faultDraw returns a number in [0, 1) for the nth faulted request, from a
// sequence fixed by the seed so error runs repeat.
func (s *Server) faultDraw() float64 {
	s.reqMu.Lock()
	s.faultN++
	n := s.faultN
	s.reqMu.Unlock()
	h := fnv.New64a()
	_, _ = h.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), byte(s.o.Seed)})
	return rand.New(rand.NewPCG(h.Sum64(), n)).Float64()
}

// delay returns the injected delay for endpoint.
func (s *Server) delay(f Fault, endpoint string) time.Duration {
	d := f.Latency
	if f.Jitter > 0 {
		d += time.Duration(s.faultDraw() * float64(f.Jitter))
	}
	if f.SlowEndpoint != "" && f.SlowEndpoint == endpoint {
		d += f.SlowDelay
	}
	return d
}

// sleep waits d or until the client goes away.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
