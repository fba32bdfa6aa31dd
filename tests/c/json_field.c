/* A tiny JSON field reader for the C tests; see json_field.h. */
#include "json_field.h"

#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* Past the end of the string starting at the quote `p`, or NULL. */
static const char *skip_string(const char *p) {
    for (p++; *p; p++) {
        if (*p == '\\') {
            if (!*++p) return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* Past the end of the value starting at `p` (no leading space), or NULL. */
static const char *skip_value(const char *p) {
    if (*p == '"') return skip_string(p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (*p) {
            if (*p == '"') {
                p = skip_string(p);
                if (!p) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
            p++;
        }
        return NULL;
    }
    /* A number or a literal: runs until a delimiter. */
    const char *start = p;
    while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
           *p != '\r' && *p != '\t')
        p++;
    return p == start ? NULL : p;
}

/* The member `key` (`key_len` bytes) of the object at `p`, or NULL. */
static const char *object_member(const char *p, const char *key, size_t key_len) {
    if (*p != '{') return NULL;
    p = skip_ws(p + 1);
    while (*p == '"') {
        const char *key_end = skip_string(p);
        if (!key_end) return NULL;
        bool match = (size_t)(key_end - p - 2) == key_len && memcmp(p + 1, key, key_len) == 0;
        p = skip_ws(key_end);
        if (*p != ':') return NULL;
        p = skip_ws(p + 1);
        if (match) return p;
        p = skip_value(p);
        if (!p) return NULL;
        p = skip_ws(p);
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
    }
    return NULL;
}

/* Element `index` of the array at `p`, or NULL. */
static const char *array_element(const char *p, long index) {
    if (*p != '[') return NULL;
    p = skip_ws(p + 1);
    if (*p == ']') return NULL;
    for (long i = 0;; i++) {
        if (i == index) return p;
        p = skip_value(p);
        if (!p) return NULL;
        p = skip_ws(p);
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
    }
}

const char *json_raw(const char *json, const char *path, size_t *len) {
    if (!json || !path) return NULL;
    const char *p = skip_ws(json);
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t seg_len = dot ? (size_t)(dot - path) : strlen(path);
        if (*p == '[') {
            char *end = NULL;
            long index = strtol(path, &end, 10);
            if (end != path + seg_len) return NULL;
            p = array_element(p, index);
        } else {
            p = object_member(p, path, seg_len);
        }
        if (!p) return NULL;
        path += seg_len + (dot ? 1 : 0);
    }
    const char *end = skip_value(p);
    if (!end) return NULL;
    if (len) *len = (size_t)(end - p);
    return p;
}

bool json_has(const char *json, const char *path) { return json_raw(json, path, NULL) != NULL; }

bool json_str_eq(const char *json, const char *path, const char *expected) {
    size_t len = 0;
    const char *raw = json_raw(json, path, &len);
    size_t n = strlen(expected);
    return raw && len == n + 2 && raw[0] == '"' && memcmp(raw + 1, expected, n) == 0;
}

bool json_raw_eq(const char *json, const char *path, const char *literal) {
    size_t len = 0;
    const char *raw = json_raw(json, path, &len);
    return raw && len == strlen(literal) && memcmp(raw, literal, len) == 0;
}

double json_num(const char *json, const char *path, double fallback) {
    size_t len = 0;
    const char *raw = json_raw(json, path, &len);
    if (!raw || !(*raw == '-' || (*raw >= '0' && *raw <= '9'))) return fallback;
    char *end = NULL;
    double value = strtod(raw, &end);
    return end == raw + len ? value : fallback;
}

int json_count(const char *json, const char *path) {
    const char *p = json_raw(json, path, NULL);
    if (!p || (*p != '{' && *p != '[')) return -1;
    const char *q = skip_ws(p + 1);
    if (*q == '}' || *q == ']') return 0;
    int count = 0;
    for (;;) {
        if (*p == '{') {
            q = skip_string(q);
            if (!q) return -1;
            q = skip_ws(q);
            if (*q != ':') return -1;
            q = skip_ws(q + 1);
        }
        q = skip_value(q);
        if (!q) return -1;
        count++;
        q = skip_ws(q);
        if (*q != ',') return count;
        q = skip_ws(q + 1);
    }
}
