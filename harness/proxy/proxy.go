// Package proxy is a small round-robin reverse proxy, the load balancer in
// front of a scaled-out deployment: every request goes to the next
// instance, so consecutive requests of one browser land on different
// servers, and an instance that is restarting is skipped the way nginx's
// proxy_next_upstream skips it.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// retryWindow is how long a request keeps going round the backends when
// all of them failed retryably; retryPause is the pause between rounds.
const (
	retryWindow = time.Second
	retryPause  = 50 * time.Millisecond
)

// RoundRobin proxies to its backends in turn.
type RoundRobin struct {
	URL string // the proxy's own address

	srv      *httptest.Server
	backends []*url.URL
	next     atomic.Uint64
	client   *http.Client

	mu     sync.Mutex
	served map[string]int
}

// New starts a proxy on 127.0.0.1 in front of backends (base URLs).
// backendTimeout is how long it waits for a backend's response headers
// before an idempotent request moves on to the next backend.
func New(backendTimeout time.Duration, backends ...string) (*RoundRobin, error) {
	p := &RoundRobin{served: map[string]int{}}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			return nil, err
		}
		p.backends = append(p.backends, u)
	}
	if len(p.backends) == 0 {
		return nil, errors.New("proxy: no backends")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true // a restarted backend must not get requests on a dead connection
	// A backend that accepted the connection but hangs (a container being
	// stopped behind docker-proxy) is given up like nginx's
	// proxy_read_timeout, and an idempotent request moves on.
	tr.ResponseHeaderTimeout = backendTimeout
	p.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy.
func (p *RoundRobin) Close() { p.srv.Close() }

// Served returns how many requests each backend answered.
func (p *RoundRobin) Served() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.served))
	for k, v := range p.served {
		out[k] = v
	}
	return out
}

func (p *RoundRobin) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "proxy: reading the request: "+err.Error(), http.StatusBadGateway)
		return
	}
	first := int(p.next.Add(1) - 1)
	var lastErr error
	// When every backend failed in a way that is safe to retry, go round
	// again for a moment (HAProxy's retries): in a rolling restart a request
	// can find the first instance not yet back and the second already
	// stopping, one moment apart.
	deadline := time.Now().Add(retryWindow)
	for {
		retry := true
		for i := range p.backends {
			b := p.backends[(first+i)%len(p.backends)]
			resp, err := p.forward(r.Context(), b, r, body)
			if err != nil {
				lastErr = err
				// Like nginx's proxy_next_upstream: a connection refused (the
				// instance is restarting) is retried on the next instance, and
				// so is any failure of an idempotent request (the instance shut
				// down with the request in its accept queue).
				if refused(err) || r.Method == http.MethodGet || r.Method == http.MethodHead {
					continue
				}
				retry = false
				break
			}
			defer resp.Body.Close()
			p.mu.Lock()
			p.served[b.Host]++
			p.mu.Unlock()
			for k, vs := range resp.Header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			w.WriteHeader(resp.StatusCode)
			io.Copy(w, resp.Body)
			return
		}
		if !retry || !time.Now().Before(deadline) || r.Context().Err() != nil {
			break
		}
		time.Sleep(retryPause)
	}
	http.Error(w, fmt.Sprintf("proxy: no backend answered: %v", lastErr), http.StatusBadGateway)
}

func (p *RoundRobin) forward(ctx context.Context, b *url.URL, r *http.Request, body []byte) (*http.Response, error) {
	u := *r.URL
	u.Scheme, u.Host = b.Scheme, b.Host
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytesReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	return p.client.Do(req)
}

func refused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || (errors.As(err, &op) && op.Op == "dial")
}

func bytesReader(b []byte) io.Reader {
	if len(b) == 0 {
		return http.NoBody
	}
	return bytes.NewReader(b)
}
