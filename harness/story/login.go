package story

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// Attempt is one login as the story makes it.
type Attempt struct {
	// Page is the login page the token was read from (nil when the
	// target wants no token from a page).
	Page *visitor.Response
	// Response is the login's answer; when the login page itself failed
	// with a 5xx, that answer: no credentials were sent.
	Response *visitor.Response
	Token    Token
}

// StoppedAtPage reports whether the login page failed with a 5xx, so the
// credentials were never posted.
func (a Attempt) StoppedAtPage() bool { return a.Page != nil && a.Response == a.Page }

// Login posts acct's credentials through v the way the target takes them,
// reading the CSRF token first when it wants one. It returns whatever the
// target answered, success or not; the error is a step the harness could
// not take (no answer, the login page refused, no token where the
// manifest says).
func (s Story) Login(ctx context.Context, v *visitor.Visitor, acct manifest.Account) (Attempt, error) {
	var a Attempt
	m := s.M
	if s.tokenOnPage() || (s.wantsToken() && !s.hasCookieToken(v)) {
		tok, page, err := s.fetchToken(ctx, v, "the login page", m.Routes.Login)
		if err != nil {
			return a, err
		}
		a.Page, a.Token = page, tok
		if page.Status >= 500 {
			a.Response = page
			return a, nil
		}
	} else if s.wantsToken() {
		a.Token, _ = s.tokenFrom(nil, v)
	}
	fields := map[string]any{m.Form.Email: acct.Email, m.Form.Password: acct.Password}
	var opts []visitor.Option
	if s.LoginTimeout > 0 {
		opts = append(opts, visitor.WithTimeout(s.LoginTimeout))
	}
	opts = s.attach(a.Token, fields, opts)
	opts = fromPage(v, m.Routes.Login, opts)
	var r *visitor.Response
	var err error
	if m.Form.Encoding == "json" {
		r, err = v.DoJSON(ctx, http.MethodPost, m.Routes.Login, fields, opts...)
	} else {
		r, err = v.PostForm(ctx, m.Routes.Login, formOf(fields), opts...)
	}
	if err != nil {
		return a, &StepError{Step: "the login", Err: err}
	}
	a.Response = r
	return a, nil
}

func (s Story) hasCookieToken(v *visitor.Visitor) bool {
	_, ok := s.tokenFrom(nil, v)
	return ok
}

// RefusalFix says what in the manifest shapes a login or logout the
// target refused with status.
func (s Story) RefusalFix(step string, status int) string {
	switch {
	case status == http.StatusNotFound:
		if step == "the logout" {
			return "routes.logout is not a route of the app"
		}
		return "routes.login is not a route of the app"
	case status == http.StatusMethodNotAllowed && step == "the logout":
		return "routes.logout_method (POST, GET or DELETE) or routes.logout_override does not match the app"
	case status == http.StatusUnauthorized && step == "the login":
		return "the app did not take the credentials: check accounts, form.email and form.password"
	case (status == http.StatusForbidden || status == 419 || status == http.StatusUnprocessableEntity || status == http.StatusBadRequest) && !s.wantsToken():
		return "the app may want a CSRF token: declare it (form.csrf_field, csrf.meta or csrf.cookie with csrf.header)"
	case status == http.StatusForbidden || status == 419 || status == http.StatusUnprocessableEntity:
		return "the CSRF token the harness sent was not accepted: check form.csrf_field / csrf.* and, for the logout, routes.logout_page"
	case status == http.StatusUnsupportedMediaType || (status == http.StatusBadRequest && step == "the login"):
		return "check form.encoding (form or json) and the field names"
	}
	return "check the routes and form fields of the manifest (`sessionconf doctor` shows what the app answers)"
}

func formOf(fields map[string]any) url.Values {
	f := url.Values{}
	for k, v := range fields {
		f.Set(k, v.(string))
	}
	return f
}
