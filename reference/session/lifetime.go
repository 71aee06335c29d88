package session

import "time"

// Policy decides how long a session lives. The server checks it on every
// request, whatever the cookie's own expiry says, because clients replay
// cookies as long as they like.
type Policy interface {
	// Start fills the times of a record created now.
	Start(r Record, now time.Time) Record
	// Valid reports whether r may still be used at now.
	Valid(r Record, now time.Time) bool
	// Refresh returns r updated for a request at now, and whether anything
	// changed that must be written back.
	Refresh(r Record, now time.Time) (Record, bool)
	// StoreDeadline is when the store may forget r: the earlier of the
	// absolute deadline and the idle deadline.
	StoreDeadline(r Record) time.Time
}

// Lifetime is the production Policy: an absolute lifetime fixed at login,
// and optionally an idle timeout that a request resets (never beyond the
// absolute deadline).
type Lifetime struct {
	Absolute time.Duration
	Idle     time.Duration // 0: no idle timeout
}

// Start sets the deadline to a whole second, because cookie Expires has a
// resolution of one second. Rounding up means the session never ends before
// its lifetime; the cookie's Max-Age is rounded down, so the cookie never
// outlives the record.
func (l Lifetime) Start(r Record, now time.Time) Record {
	r.AuthenticatedAt = now.UTC()
	deadline := now.Add(l.Absolute)
	if t := deadline.Truncate(time.Second); !t.Equal(deadline) {
		deadline = t.Add(time.Second)
	}
	r.Deadline = deadline.UTC()
	r.LastSeen = r.AuthenticatedAt
	return r
}

func (l Lifetime) Valid(r Record, now time.Time) bool {
	if !now.Before(r.Deadline) {
		return false
	}
	return l.Idle <= 0 || now.Before(r.LastSeen.Add(l.Idle))
}

// Refresh records the request in LastSeen when there is an idle timeout.
// Every request writes: an idle timeout is opt-in, and a throttle would
// make the idle deadline depend on when the last write happened.
func (l Lifetime) Refresh(r Record, now time.Time) (Record, bool) {
	if l.Idle <= 0 || !now.After(r.LastSeen) {
		return r, false
	}
	r.LastSeen = now.UTC()
	return r, true
}

func (l Lifetime) StoreDeadline(r Record) time.Time {
	if l.Idle <= 0 {
		return r.Deadline
	}
	return minTime(r.Deadline, r.LastSeen.Add(l.Idle))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
