// Package story acts out the story every spec is made of, against any
// target: open the login page, log in, look at the dashboard, log out. It
// knows the shapes real frameworks give each step, as the target's
// manifest declares them:
//
//   - a CSRF token from a hidden input of the form, a <meta> tag, or a
//     cookie echoed in a request header, sent with the login and with the
//     logout;
//   - a login posted as a form or as JSON;
//   - a logout by POST, GET, DELETE, or a POST carrying a method override
//     (_method=delete);
//   - a logged-in state shown by an HTML page or by a JSON answer.
//
// And it decides what an answer means: logged in, logged out, another
// user, a server error.
//
// It knows nothing of Ginkgo. The suites' conform.T wraps it with
// assertions and evidence, and `sessionconf doctor` with hints, so both
// send the same requests and agree on what "logged in" means.
package story

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// Story is the story as one target tells it.
type Story struct {
	M *manifest.Manifest
	// LoginTimeout bounds a login's POST, which hashes a password (0: the
	// visitor's own timeout).
	LoginTimeout time.Duration
}

// New returns the story of m.
func New(m *manifest.Manifest) Story { return Story{M: m} }

// State is what an answer of the state page says about the visitor.
type State string

const (
	Authenticated State = "authenticated"
	Anonymous     State = "anonymous"
	OtherUser     State = "another user's session"
	ServerError   State = "server error"
	Unexpected    State = "unexpected answer"
)

// Marker is what the state page shows when acct is logged in.
func (s Story) Marker(acct manifest.Account) (string, error) {
	m, err := manifest.Expand(s.M.LoggedInMarker, acct)
	if err != nil {
		return "", fmt.Errorf("logged_in_marker: %w", err)
	}
	if m == "" {
		return "", errors.New("logged_in_marker: renders empty, so every page would show it")
	}
	return m, nil
}

// StatePath is the page that tells whether a visitor is logged in.
func (s Story) StatePath() string { return s.M.Routes.StatePath }

// StateOf classifies an answer of the state page for acct: logged in
// (200 showing acct's marker), another user (any account's marker but
// acct's), anonymous (a redirect, 401, 403, or a 200 showing no user), a
// server error (5xx), or unexpected (a marker on an error page, other
// statuses).
func (s Story) StateOf(r *visitor.Response, acct manifest.Account) (State, error) {
	if r.Status >= 500 {
		return ServerError, nil
	}
	shown, err := s.shown(r)
	if err != nil {
		return "", err
	}
	shows, other, err := s.Shows(shown, acct)
	if err != nil {
		return "", err
	}
	if other {
		return OtherUser, nil
	}
	switch {
	case r.Status == http.StatusOK && shows:
		return Authenticated, nil
	case shows:
		return Unexpected, nil // the name on an error or redirect page
	case r.Status >= 300 && r.Status < 400, r.Status == 401, r.Status == 403, r.Status == http.StatusOK:
		return Anonymous, nil
	}
	return Unexpected, nil
}

// Shows reports whose logged-in marker text shows: acct's, or another
// account's. The browser suite asks it of the page a person sees.
func (s Story) Shows(text string, acct manifest.Account) (mine, other bool, err error) {
	own, err := s.Marker(acct)
	if err != nil {
		return false, false, err
	}
	for _, o := range s.M.Accounts {
		if o.Email == acct.Email {
			continue
		}
		m, err := s.Marker(o)
		if err != nil {
			return false, false, err
		}
		// A marker that does not tell accounts apart cannot show a mix-up.
		if m != own && !strings.Contains(own, m) && strings.Contains(text, m) {
			return false, true, nil
		}
	}
	return strings.Contains(text, own), false, nil
}

// shown is the text of r in which a marker counts: the whole body, or
// the value at state.json_path of a JSON answer.
func (s Story) shown(r *visitor.Response) (string, error) {
	if s.M.State.JSONPath == "" {
		return r.Body, nil
	}
	return jsonText(r.Body, s.M.State.JSONPath), nil
}

// StepError is a step of the story the harness could not take: no answer,
// a refusal (4xx), or a page without the token the manifest promised. It
// is about the harness's requests and the manifest that shapes them, not a
// verdict on the target's promises.
type StepError struct {
	Step     string            // "the login page", "the login", "the logout page", "the logout"
	Response *visitor.Response // the answer, if there was one
	Err      error
	Fix      string // what in the manifest decides the step
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v", e.Step, e.Err)
	if e.Fix != "" {
		fmt.Fprintf(&b, " (%s)", e.Fix)
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// Refusal is an answer of 400 or more the target gave a step.
type Refusal struct{ Status int }

func (r Refusal) Error() string {
	return fmt.Sprintf("refused with %d %s", r.Status, http.StatusText(r.Status))
}

// Describe renders an answer for messages: status, redirect and, for
// pages and errors, the start of its text.
func Describe(r *visitor.Response) string {
	s := fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))
	if loc := r.Location(); loc != "" {
		s += " -> " + loc
	}
	if r.Status >= 400 || (r.Status < 300 && r.Status != http.StatusNoContent) {
		s += fmt.Sprintf(" (body: %s)", Excerpt(r.Body, 160))
	}
	return s
}
