package auraguard

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrBusy is returned by Run, before anything is checked, when as many Run
// calls as the guard's concurrency are already in flight on it: one more
// could push an allowed call out of the engine's pending calls, and its
// result would be lost. Raise Config.Concurrency to the number of
// goroutines that run tools through the guard at once.
var ErrBusy = errors.New("auraguard: guard busy")

// defaultPendingCalls is the engine's max_pending_calls when none is given.
const defaultPendingCalls = 1

// applyConcurrency sizes max_pending_calls for cfg.Concurrency.
func applyConcurrency(cfg *Config) error {
	if cfg.Concurrency == nil {
		return nil
	}
	n := *cfg.Concurrency
	if n < 1 {
		return &Error{Status: StatusConfig, Message: fmt.Sprintf("Concurrency must be at least 1, got %d", n)}
	}
	if cfg.MaxPendingCalls == nil || *cfg.MaxPendingCalls < n {
		cfg.MaxPendingCalls = Int(n)
	}
	return nil
}

// pendingCapacity reads max_pending_calls from a configuration the engine
// accepted.
func pendingCapacity(config []byte) int {
	var c struct {
		MaxPendingCalls *int `json:"max_pending_calls"`
	}
	if json.Unmarshal(config, &c) != nil || c.MaxPendingCalls == nil || *c.MaxPendingCalls < 1 {
		return defaultPendingCalls
	}
	return *c.MaxPendingCalls
}

// enterRun takes one of the guard's Run slots, or fails with ErrBusy.
func (g *Guard) enterRun() error {
	if n := g.runs.Add(1); n > int64(g.capacity) {
		g.runs.Add(-1)
		return fmt.Errorf("%w: %d Run calls already in flight and the guard's concurrency "+
			"(max_pending_calls) is %d; set Config.Concurrency to the number of goroutines that share it",
			ErrBusy, n-1, g.capacity)
	}
	return nil
}

func (g *Guard) leaveRun() { g.runs.Add(-1) }
