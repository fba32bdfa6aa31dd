// Package providers connects the guard to the tool calls of the three
// provider APIs agents use, on their JSON as it comes over the wire:
// OpenAI Chat Completions, OpenAI Responses and Anthropic Messages.
//
// A provider rejects a transcript in which a tool call has no result, so
// every call the model made must be answered, also the ones the guard did
// not let run. The helpers here read the calls out of a response, ask the
// guard about each one and give back the tool result to send for a call
// that did not run (a cached payload, or an error result that tells the
// model why), and RunTurn does the whole turn: it runs the allowed calls,
// records their results and returns the tool-result messages in the
// provider's shape, in the order of the calls.
//
// The package has no dependencies beyond the core binding; the typed
// helpers for the official SDKs live in their own modules
// (bindings/go/openaiguard, bindings/go/anthropicguard) and build on this one.
package providers
