package auraguard

import (
	"strings"
	"testing"
)

// Reasons read out of a details handle are kept by text, a few and short
// ones only; every reason comes back as its text, kept or not.
func TestReasonTextKeepsFewShortReasons(t *testing.T) {
	var texts []string
	for i := 0; i < 2*maxKeptReasons; i++ {
		texts = append(texts, "reason_"+strings.Repeat("x", i))
	}
	texts = append(texts, "policy_deny:"+strings.Repeat("why ", 40))
	for round := 0; round < 2; round++ {
		for _, text := range texts {
			b := []byte(text)
			got := reasonText(b)
			b[0] = '#' // the handle's memory is freed after the call
			if got != text {
				t.Fatalf("reasonText = %q, want %q", got, text)
			}
		}
	}
	kept := keptReasons.list.Load()
	if kept == nil || len(*kept) > maxKeptReasons {
		t.Fatalf("kept reasons: %v", kept)
	}
	for _, s := range *kept {
		if len(s) > maxKeptReasonLen {
			t.Fatalf("a long reason was kept: %q", s)
		}
	}
}
