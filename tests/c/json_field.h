/*
 * A tiny JSON field reader for the C tests: find a value by path and look at
 * it, without an external JSON library. It reads well-formed JSON such as
 * the engine writes; it is not a validator.
 *
 * A path is a dot-separated list of object keys and array indexes, e.g.
 * "cached_result.cached" or "top_reasons.0.reason". "" is the whole value.
 */
#ifndef AURAGUARD_TEST_JSON_FIELD_H
#define AURAGUARD_TEST_JSON_FIELD_H

#include <stdbool.h>
#include <stddef.h>

/* The raw text of the value at `path` (pointer into `json`, length in
 * `*len`), or NULL when there is no such value. */
const char *json_raw(const char *json, const char *path, size_t *len);

/* Whether the value at `path` exists. */
bool json_has(const char *json, const char *path);

/* Whether the value at `path` is the string `expected` (no escapes in it). */
bool json_str_eq(const char *json, const char *path, const char *expected);

/* Whether the raw value at `path` is exactly `literal` ("true", "null", "3"). */
bool json_raw_eq(const char *json, const char *path, const char *literal);

/* The value at `path` as a number, or `fallback` when absent or not a number. */
double json_num(const char *json, const char *path, double fallback);

/* The number of members of the object or elements of the array at `path`,
 * or -1 when it is neither. */
int json_count(const char *json, const char *path);

#endif
