package auraguard

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Config mirrors the engine's configuration keys. A nil field is left out of
// the JSON so the engine's default applies; set a field to change it. Scalars
// are pointers for that reason (Int, Float and Bool make them inline), and a
// non-nil empty slice or map is sent as such: SideEffectTools: []string{}
// means "no side-effect tools", while nil keeps the default list.
//
// SecretKey is required unless ShadowMode is true; it keys the argument
// signatures, idempotency keys and the MAC of saved states.
type Config struct {
	SecretKey string `json:"secret_key,omitempty"`

	// Repeats, jitter and sequences.
	ToolLoopWindow               *int     `json:"tool_loop_window"`
	RepeatToolcallThreshold      *int     `json:"repeat_toolcall_threshold"`
	ArgJitterSimilarityThreshold *float64 `json:"arg_jitter_similarity_threshold"`
	ArgJitterRepeatThreshold     *int     `json:"arg_jitter_repeat_threshold"`
	MaxCallsPerTool              *int     `json:"max_calls_per_tool"`
	SequenceRepeatThreshold      *int     `json:"sequence_repeat_threshold"`
	MaxSequenceLength            *int     `json:"max_sequence_length"`
	SequenceDetectionEnabled     *bool    `json:"sequence_detection_enabled"`

	// Errors and quarantine.
	ErrorRetryThreshold  *int     `json:"error_retry_threshold"`
	QuarantineErrorCodes []string `json:"quarantine_error_codes"`

	// Side effects.
	SideEffectMaxExecutedPerRun *int     `json:"side_effect_max_executed_per_run"`
	SideEffectTools             []string `json:"side_effect_tools"`

	// Stalls in assistant messages.
	NoStateChangeThreshold       *int     `json:"no_state_change_threshold"`
	StallTextSimilarityThreshold *float64 `json:"stall_text_similarity_threshold"`
	StallPatternThreshold        *float64 `json:"stall_pattern_threshold"`
	StallPatternStreakThreshold  *int     `json:"stall_pattern_streak_threshold"`
	StallRewriteMaxAttempts      *int     `json:"stall_rewrite_max_attempts"`

	// Cost.
	MaxCostPerRun        *float64   `json:"max_cost_per_run"`
	CostWarningThreshold *float64   `json:"cost_warning_threshold"`
	CostModel            *CostModel `json:"cost_model"`

	// Arguments and caching.
	QueryArgKeysByTool map[string][]string `json:"query_arg_keys_by_tool"`
	NeverCacheTools    []string            `json:"never_cache_tools"`
	CacheTTLSeconds    *float64            `json:"cache_ttl_seconds"`
	ArgIgnoreKeys      map[string][]string `json:"arg_ignore_keys"`

	// Bounds on the run's state.
	MaxCacheEntries       *int `json:"max_cache_entries"`
	MaxUniqueCallsTracked *int `json:"max_unique_calls_tracked"`
	MaxCostEvents         *int `json:"max_cost_events"`

	// Per-tool access rules.
	ToolPolicies map[string]ToolPolicy `json:"tool_policies"`

	// Modes.
	MaxPendingCalls *int  `json:"max_pending_calls"`
	ShadowMode      *bool `json:"shadow_mode"`
	StrictMode      *bool `json:"strict_mode"`

	// Limits against hostile input.
	MaxJSONBytes       *int `json:"max_json_bytes"`
	MaxTextBytes       *int `json:"max_text_bytes"`
	MaxInterventionLog *int `json:"max_intervention_log"`
	MaxLedgerEntries   *int `json:"max_ledger_entries"`
	MaxToolsTracked    *int `json:"max_tools_tracked"`

	// Concurrency is the number of goroutines that may run tools through
	// the guard at once (Run, or CheckTool/RecordResult pairs). It raises
	// MaxPendingCalls to at least this, so that no allowed call is pushed out
	// before its result is recorded; Run refuses with ErrBusy beyond it. Nil
	// means MaxPendingCalls (1 by default). Not sent to the engine.
	Concurrency *int `json:"-"`
	// The idempotency ledger (see ledger.go): where side effects are
	// reserved and recorded, and the run they belong to.
	RunID              *string        `json:"run_id"`
	Ledger             *LedgerStore   `json:"ledger"`
	LedgerLeaseMs      *int           `json:"ledger_lease_ms"`
	LedgerTTLSeconds   *int           `json:"ledger_ttl_s"`
	LedgerOnError      *LedgerOnError `json:"ledger_on_error"`
	LedgerStorePayload *bool          `json:"ledger_store_payload"`

	// Opt-in detection beyond the package (docs/DETECTION.md); nil keeps
	// each off, so the decisions are the package's.
	SameResultThreshold     *int     `json:"same_result_threshold"`
	PollTools               []string `json:"poll_tools"`
	QuarantineCooldownS     *float64 `json:"quarantine_cooldown_s"`
	QuarantineCooldownCalls *int     `json:"quarantine_cooldown_calls"`
	// WarnBeforeEnforce lists the detectors (by reason code, see
	// WarnableDetectors) that warn once before they enforce.
	WarnBeforeEnforce    []string      `json:"warn_before_enforce"`
	SequenceGapTolerance *int          `json:"sequence_gap_tolerance"`
	MaxModelCalls        *int          `json:"max_model_calls"`
	MaxTokensPerRun      *int          `json:"max_tokens_per_run"`
	MaxToolCallsPerRun   *int          `json:"max_tool_calls_per_run"`
	MaxRunSeconds        *float64      `json:"max_run_seconds"`
	MultilingualText     *bool         `json:"multilingual_text"`
	StallPhrases         *StallPhrases `json:"stall_phrases"`
}

// WarnableDetectors are the reason codes Config.WarnBeforeEnforce accepts.
var WarnableDetectors = []string{
	"identical_toolcall_loop", "arg_jitter_loop", "same_result_loop", "sequence_loop", "max_calls_per_tool",
}

// StallPhrases adds phrases to the three parts of the stall score.
type StallPhrases struct {
	Apology      []string `json:"apology,omitempty"`
	StillWorking []string `json:"still_working,omitempty"`
	Nuisance     []string `json:"nuisance,omitempty"`
}

// CostModel prices tool calls and tokens in USD; nil fields keep the defaults.
type CostModel struct {
	DefaultToolCallCost  *float64           `json:"default_tool_call_cost,omitempty"`
	ToolCostByName       map[string]float64 `json:"tool_cost_by_name,omitempty"`
	InputTokenCostPer1K  *float64           `json:"input_token_cost_per_1k,omitempty"`
	OutputTokenCostPer1K *float64           `json:"output_token_cost_per_1k,omitempty"`
}

// Access says who may call a tool under a ToolPolicy.
type Access string

// The accesses a ToolPolicy may give.
const (
	AccessAllow Access = "allow" // the default
	AccessDeny  Access = "deny"  // always blocked
	AccessHuman Access = "human" // escalated to a person
)

// ToolPolicy is one tool's entry in Config.ToolPolicies; empty fields keep
// the defaults.
type ToolPolicy struct {
	Access      Access   `json:"access,omitempty"`
	MaxCalls    *int     `json:"max_calls,omitempty"`
	Risk        string   `json:"risk,omitempty"`
	RequireArgs []string `json:"require_args,omitempty"`
	DenyReason  string   `json:"deny_reason,omitempty"`
	// LeaseMs overrides Config.LedgerLeaseMs for this tool's side effects.
	LeaseMs *int `json:"lease_ms,omitempty"`
}

// Int returns a pointer to v, for Config fields.
func Int(v int) *int { return &v }

// Float returns a pointer to v, for Config fields.
func Float(v float64) *float64 { return &v }

// Bool returns a pointer to v, for Config fields.
func Bool(v bool) *bool { return &v }

// MarshalJSON writes the configuration object the engine reads, leaving out
// every nil field so that the engine's default applies to it. (A nil pointer,
// slice or map encodes as null; dropping the nulls is what omitempty cannot
// do without also dropping deliberately empty lists.) Only the fields that
// are set are encoded, each by encoding/json: a guard per agent run is
// common, and encoding all sixty fields, reading the result back into a map
// to drop the nulls and encoding the map again took most of New's time.
func (c Config) MarshalJSON() ([]byte, error) {
	v := reflect.ValueOf(c)
	out := append(make([]byte, 0, 256), '{')
	for _, f := range configFieldsOf() {
		field := v.Field(f.index)
		if f.skip(field) {
			continue
		}
		value, err := json.Marshal(field.Interface())
		if err != nil {
			return nil, err
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(append(append(out, f.key...), ':'), value...)
	}
	return append(out, '}'), nil
}

// configField is one Config field that becomes a key: its index, its key
// as JSON text with the quotes, and whether it is left out when empty
// (omitempty) as well as when nil.
type configField struct {
	index     int
	key       []byte
	omitEmpty bool
}

// skip says whether the field's value is left out of the JSON.
func (f configField) skip(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return f.omitEmpty && v.IsZero()
}

var configFields struct {
	once   sync.Once
	fields []configField
}

// configFieldsOf reads Config's fields and their json tags, once.
func configFieldsOf() []configField {
	configFields.once.Do(func() {
		t := reflect.TypeOf(Config{})
		for i := 0; i < t.NumField(); i++ {
			name, options, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "-" || !t.Field(i).IsExported() {
				continue
			}
			key, _ := json.Marshal(name)
			configFields.fields = append(configFields.fields,
				configField{index: i, key: key, omitEmpty: strings.Contains(","+options+",", ",omitempty,")})
		}
	})
	return configFields.fields
}
