package redisserver

import (
	"context"
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
