package auraguard

import (
	"bytes"
	"testing"
)

// newCachedResult keeps small payloads in the struct's own allocation: the
// copy must be exact at every length, and an append must never write into
// memory the payload shares with anything.
func TestNewCachedResultCopiesEveryLength(t *testing.T) {
	src := bytes.Repeat([]byte("ab€東"), 200)
	for n := 0; n <= 600; n++ {
		payload := src[:n]
		c := newCachedResult(payload)
		if !bytes.Equal(c.Payload, payload) || c.Payload == nil {
			t.Fatalf("length %d: payload %q", n, c.Payload)
		}
		if n > 0 && &c.Payload[0] == &payload[0] {
			t.Fatalf("length %d: the payload is not a copy", n)
		}
		if cap(c.Payload) != n {
			t.Fatalf("length %d: capacity %d lets an append write past the payload", n, cap(c.Payload))
		}
		other := newCachedResult(payload)
		grown := append(c.Payload, "tail"...)
		grown[0] = '#'
		if !bytes.Equal(other.Payload, payload) || (n > 0 && c.Payload[0] == '#') {
			t.Fatalf("length %d: an append reached another payload or the original", n)
		}
	}
}
