package auraguard

/*
#include <auraguard.h>
*/
import "C"

// LedgerStore selects where the idempotency ledger lives (Config.Ledger):
// build it with MemoryLedger, SQLiteLedger or RedisLedger.
type LedgerStore struct {
	Kind   string `json:"kind"`
	Path   string `json:"path,omitempty"`
	URL    string `json:"url,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	// TimeoutMs bounds one store operation (default 2000).
	TimeoutMs *int `json:"timeout_ms,omitempty"`
}

// MemoryLedger is the default store: this guard only, gone with the process.
func MemoryLedger() *LedgerStore { return &LedgerStore{Kind: "memory"} }

// SQLiteLedger is a store in the SQLite file at path, shared by every
// process of one machine that opens it.
func SQLiteLedger(path string) *LedgerStore { return &LedgerStore{Kind: "sqlite", Path: path} }

// RedisLedger is a store on a Redis server shared by many machines; an
// empty prefix keeps the default "auraguard:".
func RedisLedger(url, prefix string) *LedgerStore {
	return &LedgerStore{Kind: "redis", URL: url, Prefix: prefix}
}

// LedgerOnError says what a side-effect call gets when the store fails.
type LedgerOnError string

// The choices for Config.LedgerOnError.
const (
	// FailClosed blocks side-effect calls with ledger_unavailable (the default).
	FailClosed LedgerOnError = "fail_closed"
	// FailOpen allows them, with an event and the ledger_errors counter.
	FailOpen LedgerOnError = "fail_open"
)

// OnError returns a pointer to v, for Config.LedgerOnError.
func OnError(v LedgerOnError) *LedgerOnError { return &v }

// String returns a pointer to v, for Config fields such as RunID.
func String(v string) *string { return &v }

// LedgerOutcome is an operator's finding about a side effect whose outcome
// was unknown.
type LedgerOutcome int

// The outcomes LedgerResolve takes.
const (
	// LedgerNotExecuted: it did not happen; the next identical call may run.
	LedgerNotExecuted LedgerOutcome = 0
	// LedgerExecuted: it happened; later identical calls are replayed.
	LedgerExecuted LedgerOutcome = 1
)

// StatusLedger: the ledger's store did not answer.
const StatusLedger Status = 6

// ErrLedger: the ledger's store did not answer (server down, disk full,
// timeout); nothing was changed.
var ErrLedger = &Error{Status: StatusLedger, Message: "ledger store unavailable"}

// LedgerResolve settles a side effect escalated as
// side_effect_outcome_unknown, after checking the downstream system:
// idempotencyKey is the decision's IdempotencyKey. The resolution is written
// to the guard's store, so every guard sharing it follows it.
func (g *Guard) LedgerResolve(idempotencyKey string, outcome LedgerOutcome) error {
	key, err := cString([]byte(idempotencyKey), "idempotency key")
	if err != nil {
		return err
	}
	return g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		return C.auraguard_ledger_resolve(p, key, C.auraguard_ledger_outcome(outcome), msg)
	})
}
