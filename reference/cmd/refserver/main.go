// Command refserver is the sessionconf reference login server: the story's
// Flask app (routes /organizer/login, /organizer/, /organizer/logout) with
// filesystem, Redis and encrypted-cookie sessions that keep every
// requirement of suites/SPEC.md. Settings come from the environment
// (SESSION_TYPE, SESSION_FILE_DIR, REDIS_URL, PERMANENT_SESSION_LIFETIME, ...)
// or the flags that mirror it; run with -h to list them.
package main

import (
	"os"

	"github.com/sessionconf/sessionconf/reference/server"
)

func main() {
	os.Exit(server.Main(server.Options{}))
}
