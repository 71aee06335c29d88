package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/reference/accounts"
	"github.com/sessionconf/sessionconf/reference/config"
	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

// Options replace parts of the server as it is built. The refserver binary
// uses none of them; they exist so the self-test can build the reference
// with exactly one fault (fixtures/mutants), the way a real app gets one:
// a wrapper that drops writes, a cookie without HttpOnly, no rotation.
// Every nil field means the production part.
type Options struct {
	WrapStore    func(store.Store) store.Store
	Tokens       session.TokenSource
	Key          session.KeyFunc
	AcceptToken  func(token string) bool // which presented tokens reach the store (default session.WellFormed)
	Rotation     session.Rotation
	Policy       func(session.Lifetime) session.Policy
	Cookie       func(*session.CookieSpec)
	NewSealer    func(secret []byte) (session.Sealer, error)
	RedisOptions func(*redis.UniversalOptions)
	Middleware   func(http.Handler) http.Handler
	ErrorPage    func(w http.ResponseWriter, r *http.Request, status int, err error)
}

// Main runs the server with settings from os.Args and the environment and
// returns the exit status: 0 after a clean shutdown, 2 for bad settings, 1
// for anything else.
func Main(opts Options) int {
	s, err := config.Load(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		if errors.Is(err, flagHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "refserver: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := Run(ctx, s, opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "refserver: %v\n", err)
		return 1
	}
	return 0
}

// Run serves until ctx is done, then stops accepting connections, lets the
// requests in flight finish (at most s.ShutdownTimeout) and returns.
func Run(ctx context.Context, s config.Settings, opts Options, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	book, err := accounts.Load(s.AccountsFile)
	if err != nil {
		return err
	}
	backend, janitor, err := openBackend(s, opts, stdout, log)
	if err != nil {
		return err
	}
	defer backend.Close()

	cookie := session.DefaultCookie(s.Production)
	if opts.Cookie != nil {
		opts.Cookie(&cookie)
	}
	var policy session.Policy = session.Lifetime{Absolute: s.Lifetime, Idle: s.IdleTimeout}
	if opts.Policy != nil {
		policy = opts.Policy(session.Lifetime{Absolute: s.Lifetime, Idle: s.IdleTimeout})
	}
	rotation := opts.Rotation
	if rotation == nil {
		rotation = session.StrictRotation{}
	}
	app := &App{
		Sessions: &session.Manager{
			Backend: backend, Policy: policy, Cookie: cookie, Rotation: rotation,
			Now: time.Now, Log: log,
		},
		Accounts:  book,
		Log:       log,
		ErrorPage: opts.ErrorPage,
	}
	handler := app.Handler()
	if opts.Middleware != nil {
		handler = opts.Middleware(handler)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if s.Production {
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if janitor != nil {
		go runJanitor(ctx, janitor, s.CleanupInterval, log)
	}
	served := make(chan error, 1)
	go func() {
		if s.Production {
			served <- srv.ServeTLS(ln, s.TLSCertFile, s.TLSKeyFile)
		} else {
			served <- srv.Serve(ln)
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(stdout, "listening on %s://%s\n", scheme, net.JoinHostPort(s.Host, strconv.Itoa(port)))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown: requests still running were cut off", "err", err)
	}
	return nil
}

// openBackend builds the session backend the settings ask for. It does not
// require Redis to answer: a server that starts during an outage serves 503
// until Redis is back, and says so on its readiness endpoint.
func openBackend(s config.Settings, opts Options, stdout io.Writer, log *slog.Logger) (session.Backend, store.Sweeper, error) {
	var st store.Store
	switch s.Mode {
	case config.Filesystem:
		fs, created, err := store.OpenFile(s.FileDir)
		if err != nil {
			return nil, nil, err
		}
		if created {
			fmt.Fprintf(stdout, "Created session directory: %s/\n", s.FileDir)
		}
		st = fs
	case config.Redis:
		ropts, err := store.ParseRedisURL(s.RedisURL)
		if err != nil {
			return nil, nil, err
		}
		if opts.RedisOptions != nil {
			opts.RedisOptions(ropts)
		}
		st = store.NewRedis(redis.NewUniversalClient(ropts), s.KeyPrefix)
	case config.Cookie:
		b, err := cookieBackend(s, opts, stdout)
		return b, nil, err
	default:
		return nil, nil, fmt.Errorf("unknown session mode %q", s.Mode)
	}
	if opts.WrapStore != nil {
		st = opts.WrapStore(st)
	}
	backend := session.NewServerBackend(st)
	if opts.Tokens != nil {
		backend.Tokens = opts.Tokens
	}
	if opts.Key != nil {
		backend.Key = opts.Key
	}
	if opts.AcceptToken != nil {
		backend.Accept = opts.AcceptToken
	}
	janitor, _ := st.(store.Sweeper)
	return backend, janitor, nil
}

func cookieBackend(s config.Settings, opts Options, stdout io.Writer) (session.Backend, error) {
	secret := []byte(s.SecretKey)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret)
		fmt.Fprintln(stdout, "SECRET_KEY is not set: cookie sessions use a random key and will not survive a restart")
	}
	newSealer := opts.NewSealer
	if newSealer == nil {
		newSealer = func(secret []byte) (session.Sealer, error) { return session.NewAESGCM(secret) }
	}
	sealer, err := newSealer(secret)
	if err != nil {
		return nil, err
	}
	return &session.CookieBackend{Sealer: sealer}, nil
}

// runJanitor removes expired session files every interval, so the
// directory does not grow without bound.
func runJanitor(ctx context.Context, j store.Sweeper, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := j.Sweep(ctx, now); err != nil {
				log.Warn("janitor: sweep failed", "err", err)
			} else if n > 0 {
				log.Info("janitor: removed expired sessions", "count", n)
			}
		}
	}
}
