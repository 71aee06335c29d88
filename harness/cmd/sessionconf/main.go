// Command sessionconf runs the conformance suites against a target and
// reads their results. `sessionconf help` lists the commands.
package main

import (
	"os"

	"github.com/sessionconf/sessionconf/harness/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
