/*
 * AuraGuard::FastPath's check_tool, record_result and check_output in C:
 * the same checks, in the same order, raising the same errors, and the
 * same native calls as lib/auraguard/ffi_path.rb (FfiPath), without ffi.
 *
 * Why it exists: a distinct-read pair (a check and the record of its
 * result) costs the engine about 0.5 us; through ffi the Ruby binding adds
 * about 1.2 us, most of it the interpreter running the binding's own checks
 * and ffi's argument conversion (docs/PERFORMANCE.md, "The hot path",
 * Ruby). Here those checks are a few C comparisons.
 *
 * What stays in Ruby: everything that is not the common case. Text that is
 * not an ASCII String, arguments given as a Hash, a call id beyond a
 * Fixnum, every error, a decision with more than an action, a reason and a
 * call id: for each this file calls the Ruby method that handles it
 * (AuraGuard::Arguments, StructDecision, NativeCall), so that the two paths
 * cannot disagree on a message or a rare field.
 *
 * The library is not linked: ffi has loaded it (AuraGuard::Native), and
 * lib/auraguard/c_path.rb hands this file the addresses of the
 * functions it calls, so that the process holds one copy of the library,
 * found one way (AuraGuard::LibraryPath).
 *
 * Every call holds the GVL throughout, as FfiPath's ffi calls do.
 */
#include <ruby.h>
#include <ruby/encoding.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "auraguard.h"

/* The library functions, from AuraGuard::Native's library (NULL until
 * HotPath.bind). */
static __typeof__(&auraguard_call_check_bytes) check_bytes;
static __typeof__(&auraguard_record_result_fast) record_fast;
static __typeof__(&auraguard_string_free) string_free;
static __typeof__(&auraguard_check_output_fast) output_fast;

/* The Ruby side this file calls on or builds. */
static VALUE c_decision, c_raw_json, m_arguments, m_struct_decision, m_native_call;
static VALUE reasons; /* StructDecision::REASONS */
static VALUE sym_allow;
static VALUE s_tool_name, s_tool_arguments, s_ticket_id, s_payload, s_error_code;
static ID id_idle, id_closed, id_fresh_scratch, id_closed_bang, id_free_if_idle;
static ID id_at_action, id_at_reason, id_at_call_id, id_at_ascii;
static ID id_from_json, id_text, id_args_json, id_payload_json, id_side_effect_flag, id_side_effect_executed, id_call_id,
    id_invalid_bang, id_read, id_raise_status, id_to_s, id_ascii, id_json;

/* Scratch's indices into a block (lib/auraguard/scratch.rb). */
enum { BLOCK_CALL = 0, BLOCK_ADDRESS = 1, BLOCK_MEMO_SUMMARY = 2, BLOCK_MEMO_DECISION = 3 };

/* The summary word's low 16 bits of a plain allow: action 0, flags CALL_ID. */
#define PLAIN_ALLOW ((uint64_t)AURAGUARD_CHECK_CALL_ID << 8)

/* A String of ASCII: what the library takes as it is (String#ascii_only?). */
static inline bool ascii_string(VALUE v) {
    return RB_TYPE_P(v, T_STRING) && rb_enc_str_asciionly_p(v);
}

/* RawJSON#ascii: its text when ASCII, else nil (read as the instance
 * variable it is, unless a subclass could answer otherwise). */
static inline VALUE raw_ascii(VALUE raw) {
    return rb_obj_class(raw) == c_raw_json ? rb_ivar_get(raw, id_at_ascii) : rb_funcall(raw, id_ascii, 0);
}

static inline bool has_nul(VALUE text) {
    return !NIL_P(text) && memchr(RSTRING_PTR(text), 0, (size_t)RSTRING_LEN(text)) != NULL;
}

/* ffi's refusal of a NUL byte, worded by Arguments.text for the first text
 * that holds one (the Ruby path's FastPath#refused!). */
static void refuse_nul(VALUE name, VALUE args_json, VALUE ticket_id) {
    rb_funcall(m_arguments, id_text, 2, name, s_tool_name);
    if (!NIL_P(args_json)) rb_funcall(m_arguments, id_text, 2, args_json, s_tool_arguments);
    if (!NIL_P(ticket_id)) rb_funcall(m_arguments, id_text, 2, ticket_id, s_ticket_id);
    rb_raise(rb_eArgError, "string contains null byte");
}

static inline const uint8_t *bytes(VALUE text) {
    return NIL_P(text) ? NULL : (const uint8_t *)RSTRING_PTR(text);
}

static inline size_t length(VALUE text) {
    return NIL_P(text) ? 0 : (size_t)RSTRING_LEN(text);
}

/* Handle#take, as FastPath writes it out: a block for this call alone,
 * after which a closed guard raises (having given the block back). `idle`
 * is the guard's @idle. */
static VALUE take(VALUE self, VALUE idle) {
    if (!check_bytes) rb_raise(rb_eRuntimeError, "AuraGuard::HotPath.bind was not called");
    VALUE block = rb_ary_pop(idle);
    if (NIL_P(block)) block = rb_funcall(self, id_fresh_scratch, 0);
    if (RTEST(rb_ivar_get(self, id_closed))) rb_funcall(self, id_closed_bang, 1, block);
    return block;
}

/* Handle#give: the block back; the last call out of a closed guard frees
 * it. */
static void give(VALUE self, VALUE idle, VALUE block) {
    rb_ary_push(idle, block);
    if (RTEST(rb_ivar_get(self, id_closed))) rb_funcall(self, id_free_if_idle, 0);
}

static inline auraguard_call *call_of(VALUE block) {
    return (auraguard_call *)(uintptr_t)NUM2ULL(rb_ary_entry(block, BLOCK_ADDRESS));
}

/* A failed call: its message taken from the block (and released), the
 * block given back, the status's error raised (NativeCall.raise_status). */
static void fail(VALUE self, VALUE idle, VALUE block, auraguard_call *call, auraguard_status status) {
    char *message = call->error;
    call->error = NULL;
    VALUE text = Qnil;
    if (message) {
        text = rb_utf8_str_new_cstr(message);
        string_free(message);
    }
    give(self, idle, block);
    rb_funcall(m_native_call, id_raise_status, 2, INT2NUM(status), text);
    rb_raise(rb_eRuntimeError, "unreachable: raise_status returned");
}

/* Decision.new(:allow, reason, call_id), as Decision#initialize sets a
 * decision read from the struct: @action, @reason and @call_id in that
 * order (the three instance variables Ruby keeps inside the object), then
 * frozen. */
static VALUE plain_allow(VALUE reason, uint64_t call_id) {
    VALUE d = rb_obj_alloc(c_decision);
    rb_ivar_set(d, id_at_action, sym_allow);
    rb_ivar_set(d, id_at_reason, reason);
    rb_ivar_set(d, id_at_call_id, ULL2NUM(call_id));
    return rb_obj_freeze(d);
}

struct general {
    VALUE self, idle, block;
    uint64_t summary;
};

static VALUE read_general(VALUE arg) {
    struct general *g = (struct general *)arg;
    return rb_funcall(m_struct_decision, id_read, 3, g->block, rb_ary_entry(g->block, BLOCK_CALL),
                      ULL2NUM(g->summary));
}

static VALUE give_general(VALUE arg) {
    struct general *g = (struct general *)arg;
    give(g->self, g->idle, g->block);
    return Qnil;
}

/* hot_check(name, args, ticket_id, side_effect): FastPath#check_tool
 * without an event callback. */
static VALUE hot_check(VALUE self, VALUE name, VALUE args, VALUE ticket_id, VALUE side_effect) {
    VALUE tool = ascii_string(name) ? name : rb_funcall(m_arguments, id_text, 2, name, s_tool_name);
    VALUE args_json;
    if (RB_TYPE_P(args, T_STRING)) {
        args_json = rb_enc_str_asciionly_p(args) ? args : rb_funcall(m_arguments, id_text, 2, args, s_tool_arguments);
    } else if (RTEST(rb_obj_is_kind_of(args, c_raw_json))) {
        VALUE ascii = raw_ascii(args);
        args_json = RTEST(ascii) ? ascii : rb_funcall(m_arguments, id_text, 2, rb_funcall(args, id_json, 0), s_tool_arguments);
    } else {
        args_json = rb_funcall(m_arguments, id_args_json, 1, args);
    }
    VALUE ticket = (NIL_P(ticket_id) || ascii_string(ticket_id))
                       ? ticket_id
                       : rb_funcall(m_arguments, id_text, 2, ticket_id, s_ticket_id);
    int32_t flag = NIL_P(side_effect) ? -1 : NUM2INT(rb_funcall(m_arguments, id_side_effect_flag, 1, side_effect));

    VALUE idle = rb_ivar_get(self, id_idle);
    VALUE block = take(self, idle);
    if (has_nul(tool) || has_nul(args_json) || has_nul(ticket)) {
        give(self, idle, block);
        refuse_nul(name, args_json, ticket_id);
    }
    auraguard_call *call = call_of(block);
    auraguard_status status = check_bytes(call, bytes(tool), length(tool), bytes(args_json), length(args_json),
                                          bytes(ticket), length(ticket), flag);
    RB_GC_GUARD(tool);
    RB_GC_GUARD(args_json);
    RB_GC_GUARD(ticket);
    if (status != AURAGUARD_OK) fail(self, idle, block, call, status);

    uint64_t summary = call->summary;
    if ((summary & 0xffff) == PLAIN_ALLOW) {
        VALUE reason = rb_ary_entry(reasons, (long)(summary >> 16 & 0xffff));
        if (!NIL_P(reason)) {
            uint64_t call_id = call->result.call_id;
            give(self, idle, block);
            return plain_allow(reason, call_id);
        }
    } else {
        VALUE memo = rb_ary_entry(block, BLOCK_MEMO_SUMMARY);
        if (!NIL_P(memo) && NUM2ULL(memo) == summary) {
            VALUE decision = rb_ary_entry(block, BLOCK_MEMO_DECISION);
            give(self, idle, block);
            return decision;
        }
    }
    struct general g = {self, idle, block, summary};
    return rb_ensure(read_general, (VALUE)&g, give_general, (VALUE)&g);
}

/* check_output(text): FastPath#check_output, a Decision or nil. `text` is
 * a String Guard#check_output has already checked (Arguments.text); the
 * library checks its UTF-8. */
static VALUE hot_output(VALUE self, VALUE text) {
    Check_Type(text, T_STRING);
    VALUE idle = rb_ivar_get(self, id_idle);
    VALUE block = take(self, idle);
    auraguard_call *call = call_of(block);
    auraguard_decision *details = NULL;
    char *message = NULL;
    auraguard_status status = output_fast(call->guard, (const uint8_t *)RSTRING_PTR(text),
                                          (size_t)RSTRING_LEN(text), &details, &message);
    RB_GC_GUARD(text);
    if (status != AURAGUARD_OK) {
        call->error = message;
        fail(self, idle, block, call, status);
    }
    give(self, idle, block);
    if (!details) return Qnil;
    return rb_funcall(m_struct_decision, id_from_json, 1, ULL2NUM((uintptr_t)details));
}

/* A call id of the common kind (a Fixnum in 1..FIXNUM_MAX) as it is; 0 for
 * none; anything else through Arguments.call_id, which refuses it or
 * passes an Integer up to 2**64-1. */
static uint64_t call_id_of(VALUE call_id) {
    if (NIL_P(call_id)) return 0;
    if (FIXNUM_P(call_id) && FIX2LONG(call_id) > 0) return (uint64_t)FIX2LONG(call_id);
    return NUM2ULL(rb_funcall(m_arguments, id_call_id, 1, call_id));
}

/* hot_record(ok, payload, error_code, side_effect_executed, call_id):
 * FastPath#record_result without an event callback; nil. */
static VALUE hot_record(VALUE self, VALUE ok, VALUE payload, VALUE error_code, VALUE side_effect_executed,
                        VALUE call_id) {
    if (ok != Qtrue && ok != Qfalse)
        rb_funcall(m_arguments, id_invalid_bang, 1, rb_utf8_str_new_cstr("result field `ok` must be true or false"));
    int32_t executed = NIL_P(side_effect_executed)
                           ? -1
                           : NUM2INT(rb_funcall(m_arguments, id_side_effect_executed, 1, side_effect_executed));
    uint64_t id = call_id_of(call_id);
    VALUE payload_json = Qnil;
    if (!NIL_P(payload)) {
        VALUE ascii = RTEST(rb_obj_is_kind_of(payload, c_raw_json)) ? raw_ascii(payload) : Qnil;
        payload_json = RTEST(ascii) ? ascii : rb_funcall(m_arguments, id_payload_json, 1, payload);
    }
    VALUE code = NIL_P(error_code)
                     ? Qnil
                     : rb_funcall(m_arguments, id_text, 2, rb_funcall(error_code, id_to_s, 0), s_error_code);

    VALUE idle = rb_ivar_get(self, id_idle);
    VALUE block = take(self, idle);
    if (has_nul(payload_json)) {
        /* Only an ASCII RawJSON's text is not checked yet. */
        give(self, idle, block);
        rb_funcall(m_arguments, id_text, 2, payload_json, s_payload);
        rb_raise(rb_eArgError, "string contains null byte");
    }
    auraguard_call *call = call_of(block);
    auraguard_status status = record_fast(call->guard, id, ok == Qtrue, bytes(payload_json), length(payload_json),
                                          bytes(code), length(code), executed, &call->error);
    RB_GC_GUARD(payload_json);
    RB_GC_GUARD(code);
    if (status != AURAGUARD_OK) fail(self, idle, block, call, status);
    give(self, idle, block);
    return Qnil;
}

static void *function_at(VALUE address) {
    void *f = (void *)(uintptr_t)NUM2ULL(address);
    if (!f) rb_raise(rb_eArgError, "a library function's address is 0");
    return f;
}

/* AuraGuard::HotPath.bind(check_bytes, record_fast, string_free,
 * output_fast): the addresses of auraguard_call_check_bytes,
 * auraguard_record_result_fast, auraguard_string_free and
 * auraguard_check_output_fast in the library ffi loaded; the Ruby classes
 * this file builds or calls, looked up now that they are defined. */
static VALUE hot_bind(VALUE mod, VALUE check, VALUE record, VALUE free_string, VALUE output) {
    check_bytes = (__typeof__(check_bytes))function_at(check);
    record_fast = (__typeof__(record_fast))function_at(record);
    string_free = (__typeof__(string_free))function_at(free_string);
    output_fast = (__typeof__(output_fast))function_at(output);
    c_decision = rb_path2class("AuraGuard::Decision");
    c_raw_json = rb_path2class("AuraGuard::RawJSON");
    m_arguments = rb_path2class("AuraGuard::Arguments");
    m_struct_decision = rb_path2class("AuraGuard::StructDecision");
    m_native_call = rb_path2class("AuraGuard::NativeCall");
    reasons = rb_const_get(m_struct_decision, rb_intern("REASONS"));
    return mod;
}

/* A frozen String held by a static variable. */
static void frozen(VALUE *var, const char *text) {
    *var = rb_obj_freeze(rb_utf8_str_new_cstr(text));
}

void Init_hot_path(void) {
    VALUE m_auraguard = rb_define_module("AuraGuard");
    VALUE m_hot = rb_define_module_under(m_auraguard, "HotPath");
    rb_define_module_function(m_hot, "bind", hot_bind, 4);
    rb_define_private_method(m_hot, "hot_check", hot_check, 4);
    rb_define_private_method(m_hot, "hot_record", hot_record, 5);
    rb_define_method(m_hot, "check_output", hot_output, 1);

    /* Every object a static variable holds, kept alive and in place:
     * registered addresses are marked as pinned, so GC.compact never moves
     * them behind this file's back. */
    VALUE *statics[] = {&c_decision, &c_raw_json, &m_arguments, &m_struct_decision, &m_native_call, &reasons,
                        &s_tool_name, &s_tool_arguments, &s_ticket_id, &s_payload, &s_error_code};
    for (size_t i = 0; i < sizeof statics / sizeof statics[0]; i++) {
        *statics[i] = Qnil;
        rb_gc_register_address(statics[i]);
    }
    sym_allow = ID2SYM(rb_intern("allow"));
    frozen(&s_tool_name, "tool name");
    frozen(&s_tool_arguments, "tool arguments");
    frozen(&s_ticket_id, "ticket_id");
    frozen(&s_payload, "payload");
    frozen(&s_error_code, "error_code");
    id_idle = rb_intern("@idle");
    id_closed = rb_intern("@closed");
    id_fresh_scratch = rb_intern("fresh_scratch");
    id_closed_bang = rb_intern("closed!");
    id_free_if_idle = rb_intern("free_if_idle");
    id_at_action = rb_intern("@action");
    id_at_reason = rb_intern("@reason");
    id_at_call_id = rb_intern("@call_id");
    id_at_ascii = rb_intern("@ascii");
    id_from_json = rb_intern("from_json");
    id_text = rb_intern("text");
    id_args_json = rb_intern("args_json");
    id_payload_json = rb_intern("payload_json");
    id_side_effect_flag = rb_intern("side_effect_flag");
    id_side_effect_executed = rb_intern("side_effect_executed");
    id_call_id = rb_intern("call_id");
    id_invalid_bang = rb_intern("invalid!");
    id_read = rb_intern("read");
    id_raise_status = rb_intern("raise_status");
    id_to_s = rb_intern("to_s");
    id_ascii = rb_intern("ascii");
    id_json = rb_intern("json");
}
