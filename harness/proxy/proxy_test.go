package proxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func backend(name string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Backend", name)
		w.Write([]byte(name + ":" + r.Header.Get("Cookie") + ":" + string(body)))
	}))
}

func TestAlternatesAndSkipsADownBackend(t *testing.T) {
	a, b := backend("a"), backend("b")
	defer a.Close()
	p, err := New(time.Second, a.URL, b.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var got []string
	for range 4 {
		req, _ := http.NewRequest("POST", p.URL+"/x", strings.NewReader("form"))
		req.Header.Set("Cookie", "session=1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = append(got, string(body))
	}
	if strings.Join(got, " ") != "a:session=1:form b:session=1:form a:session=1:form b:session=1:form" {
		t.Errorf("round robin with headers and body: %v", got)
	}
	b.Close() // "restarting"
	for range 3 {
		resp, err := http.Get(p.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Backend") != "a" {
			t.Errorf("with b down every request must reach a, got %q (%d)", resp.Header.Get("X-Backend"), resp.StatusCode)
		}
	}
	if s := p.Served(); s[strings.TrimPrefix(a.URL, "http://")] != 5 {
		t.Errorf("served: %v", s)
	}
}

// TestRetriesWhileEveryBackendIsDown is the rolling restart's race: the
// request finds a not yet back and b already stopping; it must wait for a
// moment and go round again rather than answer 502.
func TestRetriesWhileEveryBackendIsDown(t *testing.T) {
	a, b := backend("a"), backend("b")
	addr := a.Listener.Addr().String()
	a.Close()
	b.Close()
	p, err := New(time.Second, "http://"+addr, b.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	go func() {
		time.Sleep(200 * time.Millisecond) // a comes back on its port
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		a2 := httptest.NewUnstartedServer(a.Config.Handler)
		a2.Listener = ln
		a2.Start()
		t.Cleanup(a2.Close)
	}()
	resp, err := http.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Backend") != "a" {
		t.Errorf("got %d from %q, want 200 from a once it is back", resp.StatusCode, resp.Header.Get("X-Backend"))
	}

	// Down for longer than the retry window: 502, not a hang.
	start := time.Now()
	p2, _ := New(time.Second, b.URL)
	defer p2.Close()
	resp, err = http.Get(p2.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || time.Since(start) > 3*retryWindow {
		t.Errorf("every backend down: %d after %v, want 502 within about %v", resp.StatusCode, time.Since(start), retryWindow)
	}
}
