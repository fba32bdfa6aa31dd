package providers_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

// The README's snippet is example_test.go as it is, and it works: every
// call of a response gets its tool message, the broken one too.
func TestReadmeSnippet(t *testing.T) {
	snippet, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(snippet)+"```\n") {
		t.Fatal("README.md does not show bindings/go/providers/example_test.go as it is")
	}
	completion, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "fixtures", "providers", "openai_chat_malformed.json"))
	if err != nil {
		t.Fatal(err)
	}
	guard, err := auraguard.New(auraguard.Config{SecretKey: "readme"})
	if err != nil {
		t.Fatal(err)
	}
	defer guard.Close()
	msgs, err := answerTurn(context.Background(), guard, completion)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	var first, second map[string]string
	json.Unmarshal(msgs[0], &first)
	json.Unmarshal(msgs[1], &second)
	if first["content"] != `{"status":"delivered"}` || !strings.Contains(second["content"], "not valid JSON") {
		t.Fatalf("messages %v / %v", first, second)
	}
}
