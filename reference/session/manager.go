package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Rotation is what a login does with the session the client presented.
type Rotation interface {
	// Login stores r as a freshly authenticated session and returns the token
	// the client gets. presented is the cookie sent with the login ("" if
	// none).
	Login(ctx context.Context, b Backend, presented string, r Record, deadline time.Time) (string, error)
}

// StrictRotation is the production Rotation: the presented session, whatever
// it was, is destroyed and the new one gets a token the server just made.
// No session fixation, and a pre-login token is worthless after login.
type StrictRotation struct{}

func (StrictRotation) Login(ctx context.Context, b Backend, presented string, r Record, deadline time.Time) (string, error) {
	if presented != "" {
		if err := b.Destroy(ctx, presented); err != nil {
			return "", err
		}
	}
	return b.Create(ctx, r, deadline)
}

// Manager ties a Backend, a lifetime Policy and the cookie together: it is
// the only code that reads or writes the session cookie.
type Manager struct {
	Backend  Backend
	Policy   Policy
	Cookie   CookieSpec
	Rotation Rotation
	Now      func() time.Time
	Log      *slog.Logger
}

// Current returns the session of r. ok is false for anonymous visitors
// (including every kind of invalid cookie, which is also asked to be
// deleted). err is set only when the backend failed, so the caller can
// answer 503 instead of pretending the visitor is anonymous.
func (m *Manager) Current(w http.ResponseWriter, r *http.Request) (rec Record, ok bool, err error) {
	token := m.Cookie.Read(r)
	if token == "" {
		return Record{}, false, nil
	}
	ctx := r.Context()
	rec, err = m.Backend.Open(ctx, token)
	if errors.Is(err, ErrNoSession) {
		if err != ErrNoSession { // wrapped: there was a record, and it was unreadable
			m.Log.Warn("unreadable session record treated as no session", "err", err)
		}
		m.Cookie.Delete(w)
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	now := m.Now()
	if !m.Policy.Valid(rec, now) {
		if err := m.Backend.Destroy(ctx, token); err != nil {
			m.Log.Warn("could not delete expired session", "err", err)
		}
		m.Cookie.Delete(w)
		return Record{}, false, nil
	}
	if next, changed := m.Policy.Refresh(rec, now); changed {
		deadline := m.Policy.StoreDeadline(next)
		newToken, err := m.Backend.Update(ctx, token, next, deadline)
		if errors.Is(err, ErrNoSession) {
			// Logged out while this request was on its way: stay logged out.
			m.Cookie.Delete(w)
			return Record{}, false, nil
		}
		if err != nil {
			return Record{}, false, err
		}
		m.Cookie.Set(w, newToken, deadline, now)
		rec = next
	}
	return rec, true, nil
}

// Login starts an authenticated session for email and sets its cookie.
func (m *Manager) Login(w http.ResponseWriter, r *http.Request, email string) error {
	now := m.Now()
	rec := m.Policy.Start(Record{Version: recordVersion, Email: email}, now)
	deadline := m.Policy.StoreDeadline(rec)
	token, err := m.Rotation.Login(r.Context(), m.Backend, m.Cookie.Read(r), rec, deadline)
	if err != nil {
		return err
	}
	m.Cookie.Set(w, token, deadline, now)
	return nil
}

// Logout destroys the session of r and deletes its cookie. When the backend
// cannot destroy the record, it returns the error and leaves the cookie, so
// the user is not told they are logged out while the session lives on.
func (m *Manager) Logout(w http.ResponseWriter, r *http.Request) error {
	if token := m.Cookie.Read(r); token != "" {
		if err := m.Backend.Destroy(r.Context(), token); err != nil {
			return err
		}
	}
	m.Cookie.Delete(w)
	return nil
}
