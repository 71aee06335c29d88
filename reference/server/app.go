// Package server is the reference login app: the story's Flask routes, on
// net/http, with every session promise kept.
package server

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/sessionconf/sessionconf/reference/accounts"
	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

// Routes of the story's app.
const (
	LoginPath     = "/organizer/login"
	DashboardPath = "/organizer/"
	LogoutPath    = "/organizer/logout"
	HealthPath    = "/healthz"
	ReadyPath     = "/readyz"
	StylePath     = "/static/style.css"
)

// maxFormBytes bounds a login form; anything bigger is not a login.
const maxFormBytes = 16 << 10

// retryAfterSeconds is what a 503 asks clients to wait.
const retryAfterSeconds = 1

// App serves the routes.
type App struct {
	Sessions *session.Manager
	Accounts *accounts.Book
	Log      *slog.Logger
	// ErrorPage answers a failed request. The default says nothing about
	// the cause: details go to the log, never to the client.
	ErrorPage func(w http.ResponseWriter, r *http.Request, status int, err error)

	pages sync.Map // dashboardPage -> rendered []byte
}

// Handler returns the app's routes.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LoginPath, a.loginForm)
	mux.HandleFunc("POST "+LoginPath, a.login)
	mux.HandleFunc("GET "+DashboardPath+"{$}", a.dashboard)
	mux.HandleFunc("POST "+LogoutPath, a.logout)
	mux.HandleFunc("GET "+HealthPath, a.health)
	mux.HandleFunc("GET "+ReadyPath, a.ready)
	mux.HandleFunc("GET "+StylePath, style)
	mux.Handle("GET /{$}", http.RedirectHandler(DashboardPath, http.StatusSeeOther))
	return mux
}

// private marks a response that depends on the session cookie: no cache may
// keep it or hand it to someone else.
func private(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie")
}

func (a *App) loginForm(w http.ResponseWriter, r *http.Request) {
	private(w)
	render(w, http.StatusOK, "login", loginPage{})
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	private(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		render(w, http.StatusBadRequest, "login", loginPage{Message: "The form could not be read."})
		return
	}
	email := r.PostForm.Get("email")
	acct, ok := a.Accounts.Authenticate(email, r.PostForm.Get("password"))
	if !ok {
		render(w, http.StatusUnauthorized, "login", loginPage{Email: email, Message: "Invalid email or password."})
		return
	}
	if err := a.Sessions.Login(w, r, acct.Email); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, DashboardPath, http.StatusSeeOther)
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	private(w)
	rec, ok, err := a.Sessions.Current(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	acct, known := a.Accounts.Lookup(rec.Email)
	if !ok || !known {
		http.Redirect(w, r, LoginPath, http.StatusSeeOther)
		return
	}
	a.writeDashboard(w, acct)
}

// writeDashboard sends the dashboard of acct. The page depends on the
// account alone, so it is rendered once per account and then served from
// memory: template execution was a quarter of a dashboard request's cost.
func (a *App) writeDashboard(w http.ResponseWriter, acct accounts.Account) {
	key := dashboardPage{Name: acct.Name, Email: acct.Email}
	page, ok := a.pages.Load(key)
	if !ok {
		var buf bytes.Buffer
		if err := pages.ExecuteTemplate(&buf, "dashboard", key); err != nil {
			a.Log.Error("dashboard template", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		page, _ = a.pages.LoadOrStore(key, buf.Bytes())
	}
	body := page.([]byte)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	private(w)
	if err := a.Sessions.Logout(w, r); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, LoginPath, http.StatusSeeOther)
}

// health is liveness: it answers as long as the process serves HTTP and
// never touches the store, so an outage does not get the server restarted.
func (a *App) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// ready is readiness: whether sessions can be served right now.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.Sessions.Backend.Ping(r.Context()); err != nil {
		a.Log.Warn("readiness: store unavailable", "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable","store":"unavailable"}` + "\n"))
		return
	}
	w.Write([]byte(`{"status":"ready","store":"ok"}` + "\n"))
}

func style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(styleCSS))
}

// fail answers a request whose session could not be served: 503 with
// Retry-After when the store is unavailable (it will be back), 500 for
// anything else. Never a pretended success, never a detail.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away (or the server is shutting down) and the
		// store call was cancelled with it: nobody to answer, nothing wrong
		// with the store.
		a.Log.Info("request cancelled before it finished", "method", r.Method, "path", r.URL.Path)
		return
	}
	status := http.StatusInternalServerError
	if errors.Is(err, store.ErrUnavailable) {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	a.Log.Error("session request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	if a.ErrorPage != nil {
		a.ErrorPage(w, r, status, err)
		return
	}
	render(w, status, "error", "Your session could not be loaded. Please try again in a moment.")
}
