package story_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sessionconf/sessionconf/harness/evidence"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/story"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// The story logs in the way the manifest says the app wants it: here a
// Django-like form whose hidden csrfmiddlewaretoken must come back.
func ExampleStory_Login() {
	app := http.NewServeMux()
	app.HandleFunc("GET /accounts/login/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t&amp;1">`+
			`<input name="username"><input type="password" name="password"></form>`)
	})
	app.HandleFunc("POST /accounts/login/", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("csrfmiddlewaretoken") != "t&1" {
			http.Error(w, "CSRF", http.StatusForbidden)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s1", Path: "/"})
		http.Redirect(w, r, "/dashboard/", http.StatusFound)
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	m, _ := manifest.Parse([]byte(`
name: django-like
process: {command: [x]}
routes: {login: /accounts/login/, dashboard: /dashboard/}
form: {email: username, csrf_field: csrfmiddlewaretoken}
`), "app.yaml")
	s := story.New(m)
	v := visitor.New("john", srv.URL, evidence.NewJournal(), 5*time.Second)
	a, err := s.Login(context.Background(), v, m.Accounts[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	name, _ := s.SessionCookieName(a.Response, false)
	fmt.Println(a.Response.Status, a.Token.Source, a.Token.Value, name)
	// Output: 302 input t&1 sessionid
}

// StateOf tells logged in from logged out the same way for the suites and
// for doctor.
func ExampleStory_StateOf() {
	m, _ := manifest.Parse([]byte("name: x\nprocess: {command: [x]}\n"), "x.yaml")
	s := story.New(m)
	for _, r := range []*visitor.Response{
		{Status: 200, Body: "<h1>Welcome, John Smith</h1>"},
		{Status: 302, Header: http.Header{"Location": {"/organizer/login"}}},
		{Status: 200, Body: "Welcome, Jane Doe"},
		{Status: 503},
	} {
		st, _ := s.StateOf(r, m.Accounts[0])
		fmt.Println(st)
	}
	// Output:
	// authenticated
	// anonymous
	// another user's session
	// server error
}
