package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

func init() {
	register("completion", "print a shell completion script: sessionconf completion bash|zsh (source it, or put it where your shell loads completions)", completionCmd)
}

// flagValues completes the values of flags that take one of a few words
// or a path.
var flagValues = map[string]string{
	"-target":         "FILE",
	"-known-failing":  "FILE",
	"-reports":        "DIR",
	"-out":            "DIR",
	"-mutants":        "DIR",
	"-summary-md":     "FILE",
	"-rerun-failed":   "FILE",
	"-profiles":       "filesystem redis cookie",
	"-profile":        "filesystem redis cookie",
	"-suites":         "http browser",
	"-redis-provider": "auto container local external",
}

func completionCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("completion", stderr)
	shells, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(shells) != 1 || (shells[0] != "bash" && shells[0] != "zsh") {
		fmt.Fprintln(stderr, "usage: sessionconf completion bash|zsh\n\n  source <(sessionconf completion bash)       # bash, this shell\n  sessionconf completion zsh > \"${fpath[1]}/_sessionconf\"   # zsh")
		return exitUsage
	}
	script := bashCompletion(commandFlags())
	if shells[0] == "zsh" {
		script = "#compdef sessionconf\n# zsh completion for sessionconf, through zsh's bash completion support.\nautoload -U +X bashcompinit && bashcompinit\n" + script
	}
	fmt.Fprint(stdout, script)
	return exitOK
}

// commandFlags lists each command's flags, learnt by asking each command
// for its help (every command builds its flag set with newFlags before
// it does anything).
func commandFlags() map[string][]string {
	out := map[string][]string{}
	for name, c := range commands {
		if strings.HasPrefix(name, "__") {
			continue
		}
		lastFlags = nil
		c.run([]string{"-h"}, io.Discard, io.Discard)
		var names []string
		if lastFlags != nil {
			lastFlags.VisitAll(func(f *flag.Flag) { names = append(names, "-"+f.Name) })
		}
		sort.Strings(names)
		out[name] = names
	}
	out["version"] = nil
	return out
}

func bashCompletion(cmds map[string][]string) string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# bash completion for sessionconf: source <(sessionconf completion bash)\n")
	b.WriteString("_sessionconf() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"${COMP_WORDS[1]}\"\n")
	fmt.Fprintf(&b, "  if [[ $COMP_CWORD -eq 1 ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(names, " "))
	b.WriteString("  case \"$prev\" in\n")
	var keys []string
	for k := range flagValues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := flagValues[k]; v {
		case "FILE":
			fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n", k)
		case "DIR":
			fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n", k)
		default:
			fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", k, v)
		}
	}
	b.WriteString("  esac\n  case \"$cmd\" in\n")
	for _, n := range names {
		words := cmds[n]
		if n == "completion" {
			words = append(slices.Clone(words), "bash", "zsh")
		}
		if len(words) == 0 {
			continue
		}
		fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", n, strings.Join(words, " "))
	}
	b.WriteString("  esac\n}\ncomplete -o default -F _sessionconf sessionconf\n")
	return b.String()
}
