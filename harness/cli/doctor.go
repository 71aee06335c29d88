package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sessionconf/sessionconf/harness/doctor"
)

func init() {
	register("doctor", "check that a target can be tested: starts, logs in, stores sessions; Redis, Docker, Chromium", doctorCmd)
}

func doctorCmd(args []string, stdout, stderr io.Writer) int {
	var o doctor.Options
	var profiles, suites listFlag
	timeouts := mapFlag{}
	fs := newFlags("doctor", stderr)
	fs.StringVar(&o.Target, "target", "", "target manifest (required)")
	fs.Var(&profiles, "profiles", "profiles to check, comma-separated (default: all the manifest declares)")
	fs.Var(&profiles, "profile", "the old spelling of -profiles")
	fs.Var(&suites, "suites", "suites you will run: http, browser (default: all; only browser needs Chromium, so -suites http skips that check)")
	fs.StringVar(&o.Reports, "reports", "reports", "report directory: the target's logs are kept in its doctor/ (replaced at each doctor run)")
	fs.StringVar(&o.Redis, "redis-provider", "", "Redis provider: auto (default), container, local or external (with SESSIONCONF_REDIS_URL)")
	fs.Var(timeouts, "timeout", "override a wait, e.g. -timeout start=60s (names: start, stop, request)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the state directory (logs, session files) for a look")
	if code, ok := noPositional(fs, args); !ok {
		return code
	}
	if o.Target == "" {
		fmt.Fprintln(stderr, "sessionconf doctor: -target is required (write one with 'sessionconf init')")
		return exitUsage
	}
	o.Profiles, o.Suites, o.Timeouts = profiles, suites, map[string]time.Duration{}
	for k, v := range timeouts {
		d, err := time.ParseDuration(v)
		if _, known := doctor.Timeouts[k]; !known || err != nil || d <= 0 {
			fmt.Fprintf(stderr, "sessionconf doctor: -timeout %s=%s: want start, stop or request and a duration like 30s\n", k, v)
			return exitUsage
		}
		o.Timeouts[k] = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	outcome := doctor.Run(ctx, o, stdout)
	if ctx.Err() != nil {
		return exitInterrupted
	}
	switch outcome {
	case doctor.Healthy:
		return exitOK
	case doctor.Unusable:
		return exitUsage
	}
	return exitFail
}
