// Package cli is the sessionconf command: run the suites against a target
// without knowing Ginkgo's flags, list the requirements, render SPEC.md.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sessionconf/sessionconf/harness/version"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // a requirement failed, errored or xpassed, or nothing ran
	exitUsage = 2 // bad arguments or a bad manifest: nothing was run
	// exitInterrupted is a run ended by Ctrl-C or SIGTERM, after its specs
	// stopped their targets and its containers were removed (128+SIGINT).
	exitInterrupted = 130
)

// command is one sub-command.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	commands[name] = command{summary, run}
}

// Main runs the command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version.String())
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sessionconf: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "sessionconf: conformance suite for persistent login sessions\n\nUsage: sessionconf <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		if !strings.HasPrefix(n, "__") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "version", "print the version")
	fmt.Fprintln(w, "\nRun 'sessionconf <command> -h' for a command's flags.")
}

// lastFlags is the flag set the latest newFlags made: the completion
// command reads each command's flags by asking it for its help.
var lastFlags *flag.FlagSet

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sessionconf "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	lastFlags = fs
	return fs
}

// parse parses args, flags and positional arguments in any order
// (`init x.yaml -force`), and returns the positional ones; ok is false
// when parsing ended the command (-h, or an error), with the exit status
// to use.
func parse(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, 0, true
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), 0, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// noPositional parses args for a command that takes only flags.
func noPositional(fs *flag.FlagSet, args []string) (int, bool) {
	pos, code, ok := parse(fs, args)
	if !ok {
		return code, false
	}
	if len(pos) > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), pos[0])
		return exitUsage, false
	}
	return 0, true
}

// listFlag is a comma-separated flag value.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// mapFlag collects name=value pairs.
type mapFlag map[string]string

func (m mapFlag) String() string {
	var s []string
	for k, v := range m {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (m mapFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", v)
	}
	m[k] = val
	return nil
}
