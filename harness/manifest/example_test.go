package manifest_test

import (
	"fmt"

	"github.com/sessionconf/sessionconf/harness/manifest"
)

// Everything a manifest leaves out is the story's default.
func ExampleParse() {
	m, err := manifest.Parse([]byte(`
name: my-app
profiles: [filesystem, cookie]
process:
  command: [gunicorn, -b, "127.0.0.1:{{.Port}}", app:app]
csrf: {cookie: csrftoken, header: X-CSRFToken}
`), "my-app.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Routes.Login, m.Routes.Logout, m.Routes.LogoutMethod, m.Routes.StatePath)
	fmt.Println(*m.Settings.Lifetime, m.SwitchSource(), m.CSRF.Header)
	// Output:
	// /organizer/login /organizer/logout POST /organizer/
	// PERMANENT_SESSION_LIFETIME filesystem X-CSRFToken
}
