package tamper

import (
	"path/filepath"
	"strings"
)

// Hostile returns TOKEN-7's cookie values: attempts to make a session ID
// a path, a glob, a header or a command. Some bytes (NUL, CR/LF, invalid
// UTF-8) cannot go through Go's HTTP client; senders need a raw
// connection.
//
// Every path and command aims at canary, a file the spec plants next to
// the target's store, never at a file of the machine: a vulnerable target
// run as root deletes what a cookie names (one of our mutants deleted
// /etc/passwd that way), and only a file the spec watches shows what
// happened. The command injections touch a file next to the canary.
func Hostile(canary string) []string {
	deep := strings.Repeat("../", 12) + strings.TrimPrefix(filepath.ToSlash(canary), "/")
	pwned := filepath.Join(filepath.Dir(canary), "pwned")
	return []string{
		"../canary.txt", "../../canary.txt", deep, canary,
		`..\..\..\canary.txt`, "%2e%2e%2fcanary.txt", "..%2fcanary.txt", "....//....//canary.txt",
		"a\x00b", "\x00", "../canary.txt\x00.json", strings.Repeat("A", 8192), "\xff\xfe\xfd\xfc",
		"*", "?", "[", "*?[]", "session:*", "a\r\nX-Injected: 1", "~", "$(touch " + pwned + ")", "`touch " + pwned + "`",
		`\\server\share`, "' OR '1'='1",
	}
}
