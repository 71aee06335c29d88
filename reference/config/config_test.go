package config_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/config"
)

// env is a getenv over a map.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func load(t *testing.T, args []string, kv ...string) (config.Settings, error) {
	t.Helper()
	return config.Load(args, env(kv...), io.Discard)
}

func mustLoad(t *testing.T, args []string, kv ...string) config.Settings {
	t.Helper()
	s, err := load(t, args, kv...)
	if err != nil {
		t.Fatalf("Load(%q, %q) = %v", args, kv, err)
	}
	return s
}

func wantRefused(t *testing.T, mention string, args []string, kv ...string) {
	t.Helper()
	_, err := load(t, args, kv...)
	if err == nil {
		t.Errorf("Load(%q, %q) accepted it", args, kv)
		return
	}
	if mention != "" && !strings.Contains(err.Error(), mention) {
		t.Errorf("Load(%q, %q) = %q; the message should name %s", args, kv, err, mention)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is more than one line", err)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, nil)
	want := config.Settings{
		Mode:            config.Filesystem,
		FileDir:         "flask_session",
		RedisURL:        "redis://127.0.0.1:6379/0",
		KeyPrefix:       "session:",
		Lifetime:        7 * 24 * time.Hour,
		CleanupInterval: time.Minute,
		Host:            "127.0.0.1",
		Port:            5000,
		AccountsFile:    "",
		ShutdownTimeout: 10 * time.Second,
	}
	if s != want {
		t.Errorf("defaults\n got %+v\nwant %+v", s, want)
	}
	if config.DefaultLifetime != 7*24*time.Hour || config.MaxLifetime != 400*24*time.Hour {
		t.Errorf("DefaultLifetime %v MaxLifetime %v", config.DefaultLifetime, config.MaxLifetime)
	}
}

func TestSessionType(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]config.Mode{
		"filesystem": config.Filesystem, "FileSystem": config.Filesystem, " redis ": config.Redis,
		"redis": config.Redis, "null": config.Cookie, "None": config.Cookie, "cookie": config.Cookie,
	} {
		if s := mustLoad(t, nil, "SESSION_TYPE", v); s.Mode != want {
			t.Errorf("SESSION_TYPE=%q: mode %q, want %q", v, s.Mode, want)
		}
	}
	for _, v := range []string{"memcached", "sqlalchemy", "files", "redis2", "nul"} {
		wantRefused(t, "SESSION_TYPE", nil, "SESSION_TYPE", v)
	}
}

func TestLifetime(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]time.Duration{
		"604800":   7 * 24 * time.Hour, // Flask's seconds
		"2":        2 * time.Second,
		" 60 ":     time.Minute,
		"36h":      36 * time.Hour, // a Go duration
		"2s":       2 * time.Second,
		"1500ms":   1500 * time.Millisecond,
		"90m":      90 * time.Minute,
		"9600h":    400 * 24 * time.Hour, // exactly 400 days
		"34560000": 400 * 24 * time.Hour,
	} {
		if s := mustLoad(t, nil, "PERMANENT_SESSION_LIFETIME", v); s.Lifetime != want {
			t.Errorf("PERMANENT_SESSION_LIFETIME=%q: %v, want %v", v, s.Lifetime, want)
		}
	}
	for _, v := range []string{
		"34560001", "9601h", "401d", "99999999999999999999", "100000000000", // over 400 days or nonsense
		"0", "-5", "-1h", "500ms", "1ns", // not a usable lifetime
		"1.5", "abc", "1 day", "7d", "P7D",
	} {
		wantRefused(t, "PERMANENT_SESSION_LIFETIME", nil, "PERMANENT_SESSION_LIFETIME", v)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	if s := mustLoad(t, nil, "PERMANENT_SESSION_LIFETIME", "20", "SESSION_IDLE_TIMEOUT", "2"); s.IdleTimeout != 2*time.Second {
		t.Errorf("idle %v, want 2s", s.IdleTimeout)
	}
	if s := mustLoad(t, nil, "SESSION_IDLE_TIMEOUT", "30m"); s.IdleTimeout != 30*time.Minute {
		t.Errorf("idle %v, want 30m", s.IdleTimeout)
	}
	for _, v := range []string{"20", "21", "1h", "-1", "x"} {
		wantRefused(t, "SESSION_IDLE_TIMEOUT", nil, "PERMANENT_SESSION_LIFETIME", "20", "SESSION_IDLE_TIMEOUT", v)
	}
}

func TestOtherSettings(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, nil, "PORT", "0", "SESSION_CLEANUP_INTERVAL", "5s", "SHUTDOWN_TIMEOUT", "3",
		"SESSION_FILE_DIR", "/var/lib/sessions", "SESSION_KEY_PREFIX", "app:", "HOST", "0.0.0.0")
	if s.Port != 0 || s.CleanupInterval != 5*time.Second || s.ShutdownTimeout != 3*time.Second ||
		s.FileDir != "/var/lib/sessions" || s.KeyPrefix != "app:" || s.Host != "0.0.0.0" {
		t.Errorf("settings not honoured: %+v", s)
	}
	for _, p := range []string{"abc", "-1", "65536", "5000x"} {
		wantRefused(t, "PORT", nil, "PORT", p)
	}
	wantRefused(t, "SESSION_CLEANUP_INTERVAL", nil, "SESSION_CLEANUP_INTERVAL", "0")
	wantRefused(t, "PRODUCTION", nil, "PRODUCTION", "maybe")
	wantRefused(t, "REDIS_URL", nil, "SESSION_TYPE", "redis", "REDIS_URL", "http://127.0.0.1:6379")
	// A bad REDIS_URL does not matter when Redis is not used.
	mustLoad(t, nil, "SESSION_TYPE", "filesystem", "REDIS_URL", "http://127.0.0.1:6379")
	if s := mustLoad(t, nil, "SESSION_TYPE", "redis", "REDIS_URL", "rediss://u:p@h:6380/3"); s.RedisURL != "rediss://u:p@h:6380/3" {
		t.Errorf("REDIS_URL = %q", s.RedisURL)
	}
}

func TestProduction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, f := range []string{cert, key} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	strong := strings.Repeat("k", config.MinProductionSecretLen)
	ok := mustLoad(t, nil, "PRODUCTION", "true", "SECRET_KEY", strong, "TLS_CERT_FILE", cert, "TLS_KEY_FILE", key)
	if !ok.Production || ok.SecretKey != strong {
		t.Errorf("production settings: %+v", ok)
	}
	if config.MinProductionSecretLen < 32 {
		t.Errorf("MinProductionSecretLen = %d, want at least 32", config.MinProductionSecretLen)
	}
	wantRefused(t, "SECRET_KEY", nil, "PRODUCTION", "1", "TLS_CERT_FILE", cert, "TLS_KEY_FILE", key)
	wantRefused(t, "SECRET_KEY", nil, "PRODUCTION", "yes", "SECRET_KEY", strong[1:], "TLS_CERT_FILE", cert, "TLS_KEY_FILE", key)
	wantRefused(t, "TLS", nil, "PRODUCTION", "on", "SECRET_KEY", strong)
	wantRefused(t, "TLS", nil, "PRODUCTION", "true", "SECRET_KEY", strong, "TLS_CERT_FILE", cert)
	wantRefused(t, "missing.pem", nil, "PRODUCTION", "true", "SECRET_KEY", strong, "TLS_CERT_FILE", cert, "TLS_KEY_FILE", filepath.Join(dir, "missing.pem"))
	// Development needs neither.
	mustLoad(t, nil, "PRODUCTION", "false")
}

func TestFlagsOverrideEnv(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, []string{"-session-type", "filesystem", "-port=6001", "-lifetime", "2h", "-session-file-dir", "/flagdir"},
		"SESSION_TYPE", "redis", "PORT", "6000", "PERMANENT_SESSION_LIFETIME", "60", "SESSION_FILE_DIR", "/envdir")
	if s.Mode != config.Filesystem || s.Port != 6001 || s.Lifetime != 2*time.Hour || s.FileDir != "/flagdir" {
		t.Errorf("flags did not win over env: %+v", s)
	}
	// A flag alone, and env alone, each work.
	if s := mustLoad(t, []string{"-idle-timeout", "5m"}); s.IdleTimeout != 5*time.Minute {
		t.Errorf("-idle-timeout: %v", s.IdleTimeout)
	}
	if s := mustLoad(t, nil, "PORT", "6000"); s.Port != 6000 {
		t.Errorf("PORT from env: %d", s.Port)
	}
	// Flags are checked like env.
	wantRefused(t, "SESSION_TYPE", []string{"-session-type", "mongodb"})
}

func TestArgumentsRefused(t *testing.T) {
	t.Parallel()
	wantRefused(t, "serve", []string{"serve"})
	wantRefused(t, "extra", []string{"-port", "5001", "extra"})
	wantRefused(t, "-no-such-flag", []string{"-no-such-flag"})
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	_, err := config.Load([]string{"-h"}, env(), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(-h) = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"SESSION_TYPE", "SESSION_FILE_DIR", "REDIS_URL", "PERMANENT_SESSION_LIFETIME", "SECRET_KEY", "PORT", "-session-type"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("usage does not mention %s:\n%s", name, out.String())
		}
	}
	// A mistake prints nothing but the error the caller turns into one line.
	out.Reset()
	if _, err := config.Load([]string{"-bogus"}, env(), &out); err == nil || out.Len() != 0 {
		t.Errorf("Load(-bogus) = %v and wrote %q; want an error and no usage dump", err, out.String())
	}
}

// ---- the built binary ----

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// refserver builds the binary once for this package's tests.
func refserver(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "refserver-config-test-*")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "refserver")
		out, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", binPath, "github.com/sessionconf/sessionconf/reference/cmd/refserver").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// run starts the binary in an empty directory with only the given
// environment and returns its exit status, stdout and stderr.
func run(t *testing.T, args []string, kv ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(refserver(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for i := 0; i+1 < len(kv); i += 2 {
		cmd.Env = append(cmd.Env, kv[i]+"="+kv[i+1])
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("refserver %q did not exit; stderr %q", args, stderr.String())
	}
	if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
		t.Errorf("refserver %q with bad settings left %d entries in its directory", args, len(entries))
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func TestBinaryRefusesBadSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args    []string
		env     []string
		mention string
	}{
		{nil, []string{"SESSION_TYPE", "mongodb"}, "SESSION_TYPE"},
		{nil, []string{"PERMANENT_SESSION_LIFETIME", "500d"}, "PERMANENT_SESSION_LIFETIME"},
		{nil, []string{"PERMANENT_SESSION_LIFETIME", "34560001"}, "400 days"},
		{nil, []string{"PRODUCTION", "true"}, "SECRET_KEY"},
		{nil, []string{"PRODUCTION", "true", "SECRET_KEY", strings.Repeat("s", 40)}, "TLS"},
		{nil, []string{"SESSION_IDLE_TIMEOUT", "8d"}, "SESSION_IDLE_TIMEOUT"},
		{[]string{"-no-such-flag"}, nil, "no-such-flag"},
		{[]string{"serve"}, nil, "serve"},
	}
	for _, c := range cases {
		code, stdout, stderr := run(t, c.args, c.env...)
		if code != 2 {
			t.Errorf("%q %q: exit status %d, want 2; stderr %q", c.args, c.env, code, stderr)
		}
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "refserver: ") || !strings.Contains(lines[0], c.mention) {
			t.Errorf("%q %q: stderr %q, want one line starting refserver: and naming %s", c.args, c.env, stderr, c.mention)
		}
		if stdout != "" {
			t.Errorf("%q %q: stdout %q, want nothing", c.args, c.env, stdout)
		}
	}
}

func TestBinaryHelp(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"-h", "-help", "--help"} {
		code, stdout, stderr := run(t, []string{h})
		if code != 0 {
			t.Errorf("%s: exit status %d, want 0; stderr %q", h, code, stderr)
		}
		if !strings.Contains(stdout+stderr, "PERMANENT_SESSION_LIFETIME") {
			t.Errorf("%s: the usage does not list the settings: %q", h, stdout+stderr)
		}
	}
}
