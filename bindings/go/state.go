package auraguard

/*
#include <auraguard.h>
*/
import "C"

// SaveState returns the run's state as opaque JSON: signatures, counts,
// reasons and costs (no arguments, payloads or text), with a MAC under the
// secret key. Load it with LoadState into a guard with the same key, for
// example to carry a run across a process restart.
func (g *Guard) SaveState() ([]byte, error) {
	var state []byte
	err := g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		var out *C.char
		status := C.auraguard_state_save(p, &out, msg)
		state = takeBytes(out)
		return status
	})
	return state, err
}

// LoadState replaces the run's state with one saved by SaveState. A state
// that is unreadable, of an unknown version, edited, or saved under another
// key is refused with an error matching ErrState, and the guard is left
// unchanged.
func (g *Guard) LoadState(state []byte) error {
	in, err := cString(state, "state")
	if err != nil {
		return err
	}
	return g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		return C.auraguard_state_load(p, in, msg)
	})
}
