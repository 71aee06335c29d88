package redisserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStartStopRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Start(ctx, Options{Databases: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := ping(s.Addr); err != nil {
		t.Fatalf("ping after start: %v", err)
	}
	if got, want := s.URL(7), "redis://"+s.Addr+"/7"; got != want {
		t.Errorf("URL(7) = %q, want %q", got, want)
	}
	s.Stop()
	if s.Running() || ping(s.Addr) == nil {
		t.Fatal("server still answers after Stop")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := ping(s.Addr); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if ping(s.Addr) == nil {
		t.Fatal("paused server answered PING")
	}
	s.Resume()
	if err := ping(s.Addr); err != nil {
		t.Fatalf("ping after resume: %v", err)
	}
}

// A Sentinel reads the config file it rewrites as its first argument, on a
// port its peers were told before it started.
func TestSentinelOnFixedPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("sentinel monitor m 127.0.0.1 1 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Start(ctx, Options{Dir: dir, Port: port, ConfigFile: conf, Args: []string{"--sentinel"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if want := "127.0.0.1:" + strconv.Itoa(port); s.Addr != want {
		t.Fatalf("addr %s, want %s", s.Addr, want)
	}
	b, err := os.ReadFile(conf)
	if err != nil || !strings.Contains(string(b), "sentinel myid") {
		t.Fatalf("the Sentinel did not rewrite its config file (%v): %s", err, b)
	}
	if _, err := Start(ctx, Options{Port: port}); err == nil {
		t.Fatal("a second server started on the taken fixed port")
	}
}
