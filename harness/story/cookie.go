package story

import (
	"errors"
	"strings"

	"github.com/sessionconf/sessionconf/harness/visitor"
)

// SessionCookieName is the session cookie's name: the manifest's, or (with
// cookie.name auto) the cookie a login answer sets. Among several, the
// first whose name says "sess"; never the CSRF token's cookie.
func (s Story) SessionCookieName(login *visitor.Response, production bool) (string, error) {
	declared := s.M.Cookie.Name
	if production {
		declared = s.M.Cookie.ProductionName
	}
	if declared != "auto" {
		return declared, nil
	}
	var names []string
	for _, c := range login.SetCookies {
		if c.Value != "" && !visitor.IsDeletion(c) && c.Name != s.M.CSRF.Cookie {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return "", errors.New("the login answer set no cookie, so the session cookie's name cannot be learnt from it (" + Describe(login) + ")")
	}
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), "sess") {
			return n, nil
		}
	}
	return names[0], nil
}
