// Package config reads the reference server's settings from the environment
// (the story's Flask names) and from flags that mirror them. Flags win.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sessionconf/sessionconf/reference/store"
)

// Mode is where sessions live.
type Mode string

const (
	Filesystem Mode = "filesystem"
	Redis      Mode = "redis"
	Cookie     Mode = "null" // Flask-Session's name for "signed cookie, no store"
)

// Limits and defaults.
const (
	DefaultLifetime        = 7 * 24 * time.Hour
	MaxLifetime            = 400 * 24 * time.Hour // browsers cap cookies at 400 days (RFC 6265bis)
	DefaultCleanupInterval = time.Minute
	DefaultShutdownTimeout = 10 * time.Second
	MinProductionSecretLen = 32
)

// Settings is everything the server can be told.
type Settings struct {
	Mode            Mode
	FileDir         string
	RedisURL        string
	KeyPrefix       string
	Lifetime        time.Duration
	IdleTimeout     time.Duration // 0: none
	CleanupInterval time.Duration
	SecretKey       string
	Production      bool
	TLSCertFile     string
	TLSKeyFile      string
	Host            string
	Port            int
	AccountsFile    string
	ShutdownTimeout time.Duration
}

// setting is one knob: its env name, flag name, default and what it means.
type setting struct {
	env, flag, def, usage string
}

var settings = []setting{
	{"SESSION_TYPE", "session-type", "filesystem", "where sessions live: filesystem, redis or null (encrypted cookie, no store)"},
	{"SESSION_FILE_DIR", "session-file-dir", "flask_session", "session directory of the filesystem mode"},
	{"REDIS_URL", "redis-url", "redis://127.0.0.1:6379/0", "Redis of the redis mode (redis://, rediss://; Sentinel with ?master_name=, Cluster with ?cluster=true)"},
	{"SESSION_KEY_PREFIX", "session-key-prefix", store.DefaultKeyPrefix, "prefix of every Redis session key"},
	{"PERMANENT_SESSION_LIFETIME", "lifetime", "604800", "absolute session lifetime: seconds or a Go duration (at most 400 days)"},
	{"SESSION_IDLE_TIMEOUT", "idle-timeout", "0", "idle timeout, shorter than the lifetime: seconds or a Go duration (0: none)"},
	{"SESSION_CLEANUP_INTERVAL", "cleanup-interval", "60", "how often expired session files are removed: seconds or a Go duration"},
	{"SECRET_KEY", "secret-key", "", "key of the cookie mode (prefer the environment: flags show in ps)"},
	{"PRODUCTION", "production", "false", "production mode: HTTPS only, Secure __Host- cookie, strong SECRET_KEY required"},
	{"TLS_CERT_FILE", "tls-cert", "", "certificate file (production)"},
	{"TLS_KEY_FILE", "tls-key", "", "private key file (production)"},
	{"HOST", "host", "127.0.0.1", "address to listen on"},
	{"PORT", "port", "5000", "port to listen on (0: pick a free one)"},
	{"ACCOUNTS_FILE", "accounts", "", "accounts fixtures file (JSON, bcrypt hashes; default: the story's two accounts, built in)"},
	{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "10", "how long SIGTERM waits for requests in flight: seconds or a Go duration"},
}

// Load reads settings from args (without the program name) and getenv.
func Load(args []string, getenv func(string) string, usageOut io.Writer) (Settings, error) {
	fs := flag.NewFlagSet("refserver", flag.ContinueOnError)
	// The flag package would print its error and the whole usage for a
	// mistyped flag; the caller prints the error as one line instead, and
	// the usage goes out only when asked for (-h).
	fs.SetOutput(io.Discard)
	vals := make(map[string]*string, len(settings))
	for _, s := range settings {
		vals[s.env] = fs.String(s.flag, "", fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, s.def))
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(usageOut, "Usage: refserver [flags]\n\nSettings come from the environment; a flag overrides its variable.")
			fs.SetOutput(usageOut)
			fs.PrintDefaults()
		}
		return Settings{}, err
	}
	if fs.NArg() > 0 {
		return Settings{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	get := func(env string) string {
		if v := *vals[env]; v != "" {
			return v
		}
		if v := getenv(env); v != "" {
			return v
		}
		for _, s := range settings {
			if s.env == env {
				return s.def
			}
		}
		panic("config: unknown setting " + env)
	}
	return parse(get)
}

func parse(get func(string) string) (Settings, error) {
	var s Settings
	var err error
	if s.Mode, err = parseMode(get("SESSION_TYPE")); err != nil {
		return s, err
	}
	s.FileDir = get("SESSION_FILE_DIR")
	s.RedisURL = get("REDIS_URL")
	s.KeyPrefix = get("SESSION_KEY_PREFIX")
	s.SecretKey = get("SECRET_KEY")
	s.TLSCertFile, s.TLSKeyFile = get("TLS_CERT_FILE"), get("TLS_KEY_FILE")
	s.Host = get("HOST")
	s.AccountsFile = get("ACCOUNTS_FILE")

	if s.Lifetime, err = parseDuration("PERMANENT_SESSION_LIFETIME", get("PERMANENT_SESSION_LIFETIME")); err != nil {
		return s, err
	}
	if s.Lifetime < time.Second || s.Lifetime > MaxLifetime {
		return s, fmt.Errorf("PERMANENT_SESSION_LIFETIME: %v is outside 1s..400 days (browsers cap cookies at 400 days)", s.Lifetime)
	}
	if s.IdleTimeout, err = parseDuration("SESSION_IDLE_TIMEOUT", get("SESSION_IDLE_TIMEOUT")); err != nil {
		return s, err
	}
	if s.IdleTimeout < 0 || (s.IdleTimeout > 0 && s.IdleTimeout >= s.Lifetime) {
		return s, fmt.Errorf("SESSION_IDLE_TIMEOUT: %v must be 0 (none) or shorter than the lifetime %v", s.IdleTimeout, s.Lifetime)
	}
	if s.CleanupInterval, err = parseDuration("SESSION_CLEANUP_INTERVAL", get("SESSION_CLEANUP_INTERVAL")); err != nil {
		return s, err
	}
	if s.CleanupInterval <= 0 {
		return s, errors.New("SESSION_CLEANUP_INTERVAL: must be positive")
	}
	if s.ShutdownTimeout, err = parseDuration("SHUTDOWN_TIMEOUT", get("SHUTDOWN_TIMEOUT")); err != nil {
		return s, err
	}
	if s.Production, err = parseBool("PRODUCTION", get("PRODUCTION")); err != nil {
		return s, err
	}
	if s.Port, err = strconv.Atoi(get("PORT")); err != nil || s.Port < 0 || s.Port > 65535 {
		return s, fmt.Errorf("PORT: %q is not a port number (0-65535)", get("PORT"))
	}
	if s.Mode == Filesystem && s.FileDir == "" {
		return s, errors.New("SESSION_FILE_DIR: empty")
	}
	if s.Mode == Redis {
		if _, err := store.ParseRedisURL(s.RedisURL); err != nil {
			return s, err
		}
	}
	if s.Production {
		if err := checkProduction(s); err != nil {
			return s, err
		}
	}
	return s, nil
}

func checkProduction(s Settings) error {
	if len(s.SecretKey) < MinProductionSecretLen {
		return fmt.Errorf("PRODUCTION: SECRET_KEY must be set to at least %d random characters", MinProductionSecretLen)
	}
	if s.TLSCertFile == "" || s.TLSKeyFile == "" {
		return errors.New("PRODUCTION: TLS_CERT_FILE and TLS_KEY_FILE are required (production serves HTTPS only)")
	}
	for _, f := range []string{s.TLSCertFile, s.TLSKeyFile} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("PRODUCTION: %v", err)
		}
	}
	return nil
}

func parseMode(v string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "filesystem":
		return Filesystem, nil
	case "redis":
		return Redis, nil
	case "null", "none", "cookie":
		return Cookie, nil
	}
	return "", fmt.Errorf("SESSION_TYPE: unknown session type %q (want filesystem, redis or null)", v)
}

// parseDuration accepts whole seconds (Flask's PERMANENT_SESSION_LIFETIME)
// or a Go duration ("36h", "2s").
func parseDuration(name, v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > int64(MaxLifetime/time.Second)*10 {
			return 0, fmt.Errorf("%s: %s seconds is too long", name, v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is neither seconds nor a duration like 36h or 2s", name, v)
	}
	return d, nil
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not true or false", name, v)
}
