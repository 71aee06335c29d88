package story

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/sessionconf/sessionconf/harness/visitor"
)

// Logout is a logout request ready to send: its token was read (from the
// logout page, a cookie) when it was prepared.
type Logout struct {
	s      Story
	Method string // what is sent: POST, GET or DELETE
	Token  Token
	Page   *visitor.Response // the page the token came from, if any
}

// PrepareLogout reads what the logout needs: the CSRF token from
// routes.logout_page (or, when that page no longer shows one because the
// session is gone, from the login page), or from the token cookie. A GET
// logout carries no token.
func (s Story) PrepareLogout(ctx context.Context, v *visitor.Visitor) (Logout, error) {
	l := Logout{s: s, Method: s.M.Routes.LogoutMethod}
	if l.Method == http.MethodGet || !s.wantsToken() {
		return l, nil
	}
	if !s.tokenOnPage() && s.hasCookieToken(v) {
		l.Token, _ = s.tokenFrom(nil, v)
		return l, nil
	}
	tok, page, err := s.fetchToken(ctx, v, "the logout page", s.M.Routes.LogoutPage)
	if err != nil && s.M.Routes.LogoutPage != s.M.Routes.Login {
		// A logged-out visitor's dashboard redirects to the login page;
		// frameworks whose token does not depend on the session (Django,
		// Rails' per-form tokens) show it there too.
		if t2, p2, err2 := s.fetchToken(ctx, v, "the login page (for the logout's token)", s.M.Routes.Login); err2 == nil && p2.Status < 500 {
			tok, page, err = t2, p2, nil
		}
	}
	if err != nil {
		return l, err
	}
	l.Token, l.Page = tok, page
	return l, nil
}

// Send sends the logout through v and returns the answer, whatever it is;
// the error is no answer at all.
func (l Logout) Send(ctx context.Context, v *visitor.Visitor, opts ...visitor.Option) (*visitor.Response, error) {
	m := l.s.M
	var r *visitor.Response
	var err error
	switch l.Method {
	case http.MethodGet:
		r, err = v.Get(ctx, m.Routes.Logout, opts...)
	default:
		fields := map[string]any{}
		if o := m.Routes.LogoutOverride; o != "" {
			k, val, _ := strings.Cut(o, "=")
			fields[k] = val
		}
		opts = l.s.attach(l.Token, fields, opts)
		opts = fromPage(v, m.Routes.LogoutPage, opts)
		var form url.Values
		if len(fields) > 0 || l.Method == http.MethodPost {
			form = formOf(fields)
		}
		r, err = v.Do(ctx, l.Method, m.Routes.Logout, form, opts...)
	}
	if err != nil {
		return nil, &StepError{Step: "the logout", Err: err}
	}
	return r, nil
}

// Logout prepares and sends a logout.
func (s Story) Logout(ctx context.Context, v *visitor.Visitor) (*visitor.Response, error) {
	l, err := s.PrepareLogout(ctx, v)
	if err != nil {
		return nil, err
	}
	return l.Send(ctx, v)
}
