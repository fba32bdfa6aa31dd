# rules for bench: filled in with the bench suite
