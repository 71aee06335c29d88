package session_test

import (
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/session"
)

func TestLifetimeStart(t *testing.T) {
	t.Parallel()
	l := session.Lifetime{Absolute: 2 * time.Hour}
	for _, now := range []time.Time{
		time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),           // on a whole second
		time.Date(2030, 1, 2, 3, 4, 5, 1, time.UTC),           // just after one
		time.Date(2030, 1, 2, 3, 4, 5, 999_999_999, time.UTC), // just before one
		time.Date(2030, 1, 2, 3, 4, 5, 500_000_000, time.FixedZone("CEST", 2*3600)),
	} {
		r := l.Start(session.Record{Version: 1, Email: email}, now)
		end := now.Add(l.Absolute)
		if r.Deadline.Location() != time.UTC || r.AuthenticatedAt.Location() != time.UTC {
			t.Errorf("times are not UTC: %v %v", r.Deadline, r.AuthenticatedAt)
		}
		if r.Deadline.Nanosecond() != 0 {
			t.Errorf("now %v: deadline %v is not a whole second (cookie Expires has 1 s resolution)", now, r.Deadline)
		}
		// The session lives its whole lifetime, and less than a second more.
		if r.Deadline.Before(end) || !r.Deadline.Before(end.Add(time.Second)) {
			t.Errorf("now %v: deadline %v, want in [%v, +1s)", now, r.Deadline, end)
		}
		if !r.AuthenticatedAt.Equal(now) || !r.LastSeen.Equal(now) {
			t.Errorf("now %v: authenticated %v last seen %v, want both now", now, r.AuthenticatedAt, r.LastSeen)
		}
		if r.Email != email || r.Version != 1 {
			t.Errorf("Start lost the record's fields: %+v", r)
		}
	}
}

func TestLifetimeValidAbsolute(t *testing.T) {
	t.Parallel()
	l := session.Lifetime{Absolute: time.Hour}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r := l.Start(session.Record{Version: 1, Email: email}, now)
	cases := []struct {
		at   time.Time
		want bool
	}{
		{now, true},
		{r.Deadline.Add(-time.Nanosecond), true},
		{r.Deadline, false},
		{r.Deadline.Add(time.Second), false},
		{now.Add(400 * 24 * time.Hour), false},
	}
	for _, c := range cases {
		if got := l.Valid(r, c.at); got != c.want {
			t.Errorf("Valid at %v (deadline %v) = %v, want %v", c.at, r.Deadline, got, c.want)
		}
	}
	if _, changed := l.Refresh(r, now.Add(time.Minute)); changed {
		t.Error("Refresh without an idle timeout asked for a write")
	}
	if got := l.StoreDeadline(r); !got.Equal(r.Deadline) {
		t.Errorf("StoreDeadline = %v, want the absolute deadline %v", got, r.Deadline)
	}
}

func TestLifetimeIdle(t *testing.T) {
	t.Parallel()
	l := session.Lifetime{Absolute: 10 * time.Minute, Idle: 2 * time.Minute}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r := l.Start(session.Record{Version: 1, Email: email}, now)

	if !l.Valid(r, now.Add(2*time.Minute-time.Nanosecond)) {
		t.Error("invalid before the idle timeout")
	}
	if l.Valid(r, now.Add(2*time.Minute)) {
		t.Error("still valid after an idle timeout with no request")
	}
	if got := l.StoreDeadline(r); !got.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("StoreDeadline = %v, want the idle deadline %v", got, now.Add(2*time.Minute))
	}
	if _, changed := l.Refresh(r, now); changed {
		t.Error("Refresh at the instant of the last request asked for a write")
	}

	// A request every minute keeps the session alive, up to the absolute
	// deadline and not beyond.
	at := now
	for at.Before(r.Deadline) {
		if !l.Valid(r, at) {
			t.Fatalf("invalid at %v though a request came a minute before", at)
		}
		next, changed := l.Refresh(r, at)
		if at.After(r.LastSeen) && !changed {
			t.Fatalf("Refresh at %v did not record the request", at)
		}
		if changed {
			if !next.LastSeen.Equal(at) || !next.Deadline.Equal(r.Deadline) || !next.AuthenticatedAt.Equal(r.AuthenticatedAt) {
				t.Fatalf("Refresh changed more than LastSeen: %+v -> %+v", r, next)
			}
			if sd := l.StoreDeadline(next); sd.After(r.Deadline) || !sd.After(at) {
				t.Fatalf("StoreDeadline %v after a refresh at %v with deadline %v", sd, at, r.Deadline)
			}
		}
		r = next
		at = at.Add(time.Minute)
	}
	if l.Valid(r, r.Deadline) {
		t.Error("refreshes extended the session beyond its absolute deadline")
	}
	// Close to the end, the absolute deadline is the store's deadline.
	late := r
	late.LastSeen = r.Deadline.Add(-30 * time.Second)
	if got := l.StoreDeadline(late); !got.Equal(r.Deadline) {
		t.Errorf("StoreDeadline near the end = %v, want the absolute deadline %v", got, r.Deadline)
	}
}
