package story

import (
	"context"
	"fmt"
	"net/url"

	"github.com/sessionconf/sessionconf/harness/visitor"
)

// Token is a CSRF token as the story found it.
type Token struct {
	Source string // "input", "meta" or "cookie"; "" when the target wants none
	Name   string // the input, meta tag or cookie it came from
	Value  string
}

// wantsToken reports whether the manifest names a CSRF token.
func (s Story) wantsToken() bool {
	return s.M.Form.CSRFField != "" || s.M.CSRF.Meta != "" || s.M.CSRF.Cookie != ""
}

// tokenOnPage reports whether the token is read from a page (an input or
// a meta tag), rather than from a cookie the visitor holds.
func (s Story) tokenOnPage() bool { return s.M.Form.CSRFField != "" || s.M.CSRF.Meta != "" }

// tokenFrom finds the token on page (an answer already received) or in
// v's jar. A token read from a cookie is URL-decoded, as the scripts
// that echo it (Axios, Angular) decode document.cookie.
func (s Story) tokenFrom(page *visitor.Response, v *visitor.Visitor) (Token, bool) {
	switch {
	case s.M.Form.CSRFField != "":
		if page == nil {
			return Token{}, false
		}
		val, ok := ParsePage(page.Body).Hidden(s.M.Form.CSRFField)
		return Token{Source: "input", Name: s.M.Form.CSRFField, Value: val}, ok
	case s.M.CSRF.Meta != "":
		if page == nil {
			return Token{}, false
		}
		val, ok := ParsePage(page.Body).Metas[s.M.CSRF.Meta]
		return Token{Source: "meta", Name: s.M.CSRF.Meta, Value: val}, ok && val != ""
	case s.M.CSRF.Cookie != "":
		val, ok := v.Cookie(s.M.CSRF.Cookie)
		if dec, err := url.QueryUnescape(val); err == nil {
			val = dec
		}
		return Token{Source: "cookie", Name: s.M.CSRF.Cookie, Value: val}, ok && val != ""
	}
	return Token{}, true
}

// missing says what was not found, and where the manifest says to look.
func (s Story) missing(where string) (error, string) {
	switch {
	case s.M.Form.CSRFField != "":
		return fmt.Errorf("%s has no hidden input %q with a value", where, s.M.Form.CSRFField), "form.csrf_field names the hidden input that carries the CSRF token"
	case s.M.CSRF.Meta != "":
		return fmt.Errorf(`%s has no <meta name=%q content="...">`, where, s.M.CSRF.Meta), "csrf.meta names the meta tag that carries the CSRF token"
	}
	return fmt.Errorf("%s set no %q cookie", where, s.M.CSRF.Cookie), "csrf.cookie names the cookie that carries the CSRF token"
}

// fetchToken loads path (following one redirect: a logged-in visitor
// sent from the login page to the dashboard finds the token there) and
// reads the token. A page that answers 5xx is returned as failed.
func (s Story) fetchToken(ctx context.Context, v *visitor.Visitor, step, path string) (Token, *visitor.Response, error) {
	r, err := v.Get(ctx, path)
	if err != nil {
		return Token{}, nil, &StepError{Step: step, Err: err}
	}
	if r.Status >= 500 {
		return Token{}, r, nil
	}
	if tok, ok := s.tokenFrom(r, v); ok {
		return tok, r, nil
	}
	if loc := r.Location(); r.Status >= 300 && r.Status < 400 && loc != "" {
		if u, err := url.Parse(loc); err == nil && u.Host == "" && u.Path != "" {
			if next, err := v.Get(ctx, u.RequestURI()); err == nil && next.Status < 500 {
				if tok, ok := s.tokenFrom(next, v); ok {
					return tok, next, nil
				}
				r = next
			}
		}
	}
	if r.Status >= 400 {
		return Token{}, r, &StepError{Step: step, Response: r, Err: Refusal{r.Status}, Fix: "routes: is the path right?"}
	}
	err, fix := s.missing(fmt.Sprintf("GET %s (%d)", path, r.Status))
	return Token{}, r, &StepError{Step: step, Response: r, Err: err, Fix: fix}
}

// attach puts the token where the target reads it: the form field it
// came from, or the header the manifest names.
func (s Story) attach(tok Token, fields map[string]any, opts []visitor.Option) []visitor.Option {
	switch tok.Source {
	case "input":
		fields[tok.Name] = tok.Value
	case "meta", "cookie":
		opts = append(opts, visitor.WithHeader(s.M.CSRF.Header, tok.Value))
	}
	return opts
}

// fromPage adds the headers a browser sends with a form it submits from
// page: Origin and Referer. CSRF middleware checks them over HTTPS
// (Django refuses a POST without a Referer there).
func fromPage(v *visitor.Visitor, page string, opts []visitor.Option) []visitor.Option {
	return append(opts, visitor.WithHeader("Origin", v.Origin()), visitor.WithHeader("Referer", v.URL(page)))
}
