package server_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/accounts"
	"github.com/sessionconf/sessionconf/reference/server"
	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

// BenchmarkDashboard is the server's own cost of an authenticated
// dashboard with the file store, without the network (make bench measures
// it end to end with wrk).
func BenchmarkDashboard(b *testing.B) {
	st, _, err := store.OpenFile(filepath.Join(b.TempDir(), "s"))
	if err != nil {
		b.Fatal(err)
	}
	book, err := accounts.Load(accountsFile)
	if err != nil {
		b.Fatal(err)
	}
	app := &server.App{
		Sessions: &session.Manager{
			Backend: session.NewServerBackend(st), Policy: session.Lifetime{Absolute: time.Hour},
			Cookie: session.DefaultCookie(false), Rotation: session.StrictRotation{}, Now: time.Now,
			Log: slog.New(slog.DiscardHandler),
		},
		Accounts: book, Log: slog.New(slog.DiscardHandler),
	}
	h := app.Handler()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, server.LoginPath, nil))
	lr := httptest.NewRequest(http.MethodPost, server.LoginPath, nil)
	lr.PostForm = credentials(userEmail, userPassword)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, lr)
	c := w.Result().Cookies()[0]
	req := httptest.NewRequest(http.MethodGet, server.DashboardPath, nil)
	req.AddCookie(c)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
	// CPU time per request, which a busy machine disturbs less than ns/op.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
