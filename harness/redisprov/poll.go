package redisprov

import (
	"context"
	"fmt"
	"time"
)

// pollUntil calls check every pollInterval until it returns nil. When ctx
// ends first, the error names what was awaited and what the last check
// saw before the deadline (a check cut short by the deadline itself says
// nothing about the servers).
func pollUntil(ctx context.Context, what string, check func(ctx context.Context) error) error {
	var last error
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil || last == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting until %s: %w; last seen: %v", what, ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}
