package auraguard

/*
#include <stdint.h>
#include <auraguard.h>

extern void auraguardGoEvent(char *event_json, uintptr_t sink);

// The library hands the callback a void *; the Go side holds a cgo.Handle,
// an integer. Converting between them in C keeps Go free of integer-to-
// pointer conversions.
static void auraguard_go_event(const char *event_json, void *user_data) {
	auraguardGoEvent((char *)event_json, (uintptr_t)user_data);
}

static auraguard_status auraguard_go_listen(auraguard_guard *guard, uintptr_t sink, char **error_out) {
	return auraguard_set_event_callback(guard, auraguard_go_event, (void *)sink, error_out);
}
*/
import "C"

// listen registers the native callback that feeds g.events, once per guard.
func (g *Guard) listen() error {
	return g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		return C.auraguard_go_listen(p, C.uintptr_t(g.eventHandle), msg)
	})
}
