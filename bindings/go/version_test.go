package auraguard

import "testing"

func TestVersionMatchesTheNativeLibrary(t *testing.T) {
	if native := NativeVersion(); Version != native {
		t.Fatalf("binding Version %q, native auraguard_version() %q", Version, native)
	}
}
