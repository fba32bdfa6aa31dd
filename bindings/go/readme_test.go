package auraguard

import (
	"os"
	"strings"
	"testing"
)

// The README shows the quickstart verbatim; this keeps the two the same.
func TestReadmeEmbedsTheQuickstart(t *testing.T) {
	quickstart, err := os.ReadFile("../../examples/go/quickstart.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(quickstart)+"```\n") {
		t.Fatal("README.md does not embed examples/go/quickstart.go verbatim")
	}
}
