package auraguard

/*
#include <auraguard.h>
*/
import "C"

import "encoding/json"

// Stats are the counters of a run.
type Stats struct {
	RunID                string            `json:"run_id"`
	ToolCallsExecuted    uint64            `json:"tool_calls_executed"`
	ToolCallsFailed      uint64            `json:"tool_calls_failed"`
	ToolCallsCached      uint64            `json:"tool_calls_cached"`
	ToolCallsDenied      uint64            `json:"tool_calls_denied"`
	Blocks               uint64            `json:"blocks"`
	CacheHits            uint64            `json:"cache_hits"`
	RewriteDecisions     uint64            `json:"rewrite_decisions"`
	Escalations          uint64            `json:"escalations"`
	CostSpentUSD         float64           `json:"cost_spent_usd"`
	ReportedTokenCostUSD float64           `json:"reported_token_cost_usd"`
	CostLimitUSD         *float64          `json:"cost_limit_usd"`     // nil: no budget
	CostRemainingUSD     *float64          `json:"cost_remaining_usd"` // nil: no budget
	QuarantinedTools     map[string]string `json:"quarantined_tools"`  // tool → why
	UniqueToolCalls      uint64            `json:"unique_tool_calls"`
	StallStreak          uint64            `json:"stall_streak"`
	ShadowMode           bool              `json:"shadow_mode"`
	ShadowWouldDeny      uint64            `json:"shadow_would_deny"`
	MissedResults        uint64            `json:"missed_results"`
	PendingCalls         uint64            `json:"pending_calls"`
	InterventionsCount   uint64            `json:"interventions_count"`
	LedgerErrors         uint64            `json:"ledger_errors"`     // failed ledger store operations
	PayloadsNotKept      uint64            `json:"payloads_not_kept"` // results booked without their payload
}

// ReportData is the report of a run as data.
type ReportData struct {
	Stats         Stats                  `json:"stats"`
	ByPrimitive   map[string]uint64      `json:"by_primitive"` // primitive → interventions
	ByTool        map[string]uint64      `json:"by_tool"`      // tool → interventions
	SideEffects   map[string]SideEffects `json:"side_effects"` // tool → counts
	Quarantines   map[string]string      `json:"quarantines"`  // tool → why
	TopReasons    []ReasonCount          `json:"top_reasons"`  // most frequent first
	Efficiency    float64                `json:"efficiency"`   // executed / (executed + denied)
	LogRetained   uint64                 `json:"log_retained"`
	Interventions []Intervention         `json:"interventions"`
	CostEvents    []CostEvent            `json:"cost_events"`
}

// SideEffects counts one tool's side effects.
type SideEffects struct {
	Attempted uint64 `json:"attempted"`
	Executed  uint64 `json:"executed"`
}

// ReasonCount is how often one reason occurred.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  uint64 `json:"count"`
}

// Intervention is one logged decision other than a plain allow.
type Intervention struct {
	RunID   string `json:"run_id"`
	Tool    string `json:"tool"` // empty for an assistant message
	Action  string `json:"action"`
	Reason  string `json:"reason"`
	ArgsSig string `json:"args_sig"`
}

// CostEvent is one entry of the run's cost log.
type CostEvent struct {
	RunID     string  `json:"run_id"`
	Kind      string  `json:"kind"`
	Tool      string  `json:"tool"`
	AmountUSD float64 `json:"amount_usd"`
	SpentUSD  float64 `json:"spent_usd"`
}

// Stats returns the run's counters.
func (g *Guard) Stats() (Stats, error) {
	var s Stats
	err := g.readJSON(func(p *C.auraguard_guard, out **C.char, msg **C.char) C.auraguard_status {
		return C.auraguard_stats_json(p, out, msg)
	}, &s)
	return s, err
}

// ReportData returns the run's report: interventions by primitive and by
// tool, side effects, quarantines, top reasons, efficiency, and the recent
// interventions and cost events.
func (g *Guard) ReportData() (ReportData, error) {
	var r ReportData
	err := g.readJSON(func(p *C.auraguard_guard, out **C.char, msg **C.char) C.auraguard_status {
		return C.auraguard_report_json(p, out, msg)
	}, &r)
	return r, err
}

// ReportJSON returns the run's report as the library writes it: the JSON
// that ReportData decodes, fields unknown to this version included.
func (g *Guard) ReportJSON() ([]byte, error) {
	var raw []byte
	err := g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		var out *C.char
		status := C.auraguard_report_json(p, &out, msg)
		raw = takeBytes(out)
		return status
	})
	return raw, err
}

// Report returns the run's report as text for a person.
func (g *Guard) Report() (string, error) {
	var text string
	err := g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		var out *C.char
		status := C.auraguard_report_text(p, &out, msg)
		text = takeString(out)
		return status
	})
	return text, err
}

// readJSON runs a native call that returns JSON and decodes it into v.
func (g *Guard) readJSON(fn func(p *C.auraguard_guard, out **C.char, msg **C.char) C.auraguard_status, v any) error {
	var raw []byte
	err := g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		var out *C.char
		status := fn(p, &out, msg)
		raw = takeBytes(out)
		return status
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &Error{Status: StatusInternal, Message: "unreadable JSON from the library: " + err.Error()}
	}
	return nil
}
