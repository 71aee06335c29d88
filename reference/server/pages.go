package server

import (
	"html/template"
	"net/http"
)

// The pages carry the ids the browser suite drives: #email, #password,
// #submit on the login form, #welcome and #logout on the dashboard.
var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.}} · Organizer</title>
<link rel="stylesheet" href="/static/style.css"></head><body>{{end}}

{{define "login"}}{{template "head" "Log in"}}
<main>
<h1>Organizer login</h1>
{{if .Message}}<p id="error" role="alert">{{.Message}}</p>{{end}}
<form method="post" action="/organizer/login">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" value="{{.Email}}" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button id="submit" type="submit">Log in</button>
</form>
</main></body></html>
{{end}}

{{define "dashboard"}}{{template "head" "Dashboard"}}
<main>
<h1 id="welcome">Welcome, {{.Name}}</h1>
<p>You are logged in as <span id="user-email">{{.Email}}</span>.</p>
<form method="post" action="/organizer/logout">
  <button id="logout" type="submit">Log out</button>
</form>
</main></body></html>
{{end}}

{{define "error"}}{{template "head" "Unavailable"}}
<main>
<h1>Sorry, something went wrong</h1>
<p>{{.}}</p>
</main></body></html>
{{end}}
`))

const styleCSS = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin-top:1rem}input{width:100%;padding:.4rem}button{margin-top:1rem;padding:.4rem 1rem}
#error{color:#a00}`

type loginPage struct {
	Email, Message string
}

type dashboardPage struct {
	Name, Email string
}

func render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pages.ExecuteTemplate(w, name, data)
}
