using System;

namespace AuraGuard
{
    // CheckTool, RecordResult and CheckOutput through the hot-path C API (see
    // Guard.FastNative.cs). A plain decision is read from the struct the library
    // filled; a cache decision from the cached-result accessor, its JSON written by
    // Decision only when asked for; only decisions with rare fields (escalation
    // packet, injected text, finalized output) are read from the library's JSON.
    public sealed partial class Guard
    {
        // A details handle's cached result is read into the start of the thread's text
        // buffer, not a local: Mono zeroes a struct local on every call through a helper
        // that costs as much as the rest of the method.
        private static readonly unsafe int ResultBytes = sizeof(CachedFields);

        /// <summary>A check whose arguments are <paramref name="argsJson"/>, or the UTF-8
        /// bytes <paramref name="argsUtf8"/> when that is not null (null both: none).</summary>
        private unsafe Decision CheckToolFast(string tool, string argsJson, byte[] argsUtf8, string ticketId, int flag,
            HandlerFaults faults)
        {
            int reserved = ResultBytes;
            byte[] buf = TextBuffer(reserved + (argsUtf8 == null ? 0 : argsUtf8.Length), tool, argsJson, ticketId);
            Decision decision = null;
            byte* error = null;
            GuardStatus status;
            fixed (byte* p = buf)
            {
                byte* text = p + reserved;
                int room = buf.Length - reserved;
                int toolLen = Utf8Text.Encode(tool, text, room, "tool");
                byte* args = text + toolLen;
                int argsLen = argsUtf8 != null ? Utf8Text.Copy(argsUtf8, args)
                    : argsJson == null ? 0 : Utf8Text.Encode(argsJson, args, room - toolLen, "args");
                byte* ticket = args + argsLen;
                int ticketLen = ticketId == null ? 0 : Utf8Text.Encode(ticketId, ticket, room - toolLen - argsLen, "ticketId");
                CallBlock block;
                IntPtr guard = EnterCall();
                try
                {
                    block = TakeBlock(guard);
                    // "" is text of length 0 (a non-NULL pointer); null is absent (NULL). An
                    // empty ticket means the run itself, as NULL does.
                    status = CallNative.auraguard_call_check_bytes(block.Fields, text, (void*)toolLen,
                        argsJson == null && argsUtf8 == null ? null : args, (void*)argsLen, ticketLen == 0 ? null : ticket, (void*)ticketLen,
                        flag);
                }
                finally
                {
                    LeaveCall();
                }
                // Read before the block goes back and the event handlers run: either may
                // start another call that writes the block or the buffer.
                CallFields* f = block.Fields;
                if (status == GuardStatus.Ok)
                {
                    CheckResult* r = &f->Result;
                    if (r->Flags == FlagKept) decision = FromKept(block, f);
                    else if (r->Details == null) decision = FromResult(r);
                    else decision = FromDetails(r, (CachedFields*)p);
                }
                else
                {
                    error = f->Error;
                    f->Error = null;
                }
                GiveBack(block);
            }
            DeliverEvents(faults);
            CheckFast(status, error);
            return decision;
        }

        /// <summary>A plain cache hit whose cached result the block keeps; its reason is a
        /// fixed code.</summary>
        private static unsafe Decision FromKept(CallBlock block, CallFields* f)
        {
            CachedFields* c = &f->Cached;
            if (block.MadeFor != f->KeptCount) // the count is 1 and up once a result is kept
            {
                block.PayloadJson = Utf8Text.Decode(c->PayloadJson, (int)c->PayloadLen);
                block.ErrorCode = c->ErrorCode == null ? null : Utf8Text.Decode(c->ErrorCode, (int)c->ErrorCodeLen);
                block.MadeFor = f->KeptCount;
            }
            var cached = new CachedResult(c->Ok != 0, block.PayloadJson, block.ErrorCode, c->Cached != 0,
                c->SideEffectExecuted != 0, c->PayloadKept != 0);
            return new Decision(ReasonCache.Static(f->Result.Reason, (int)f->Result.ReasonLen), cached);
        }

        private static unsafe Decision FromResult(CheckResult* r)
        {
            string key = null;
            if ((r->Flags & FlagIdempotencyKey) != 0) key = Utf8Text.Decode(r->IdempotencyKey, 32);
            return new Decision(r->Action >= 0 && r->Action <= 5 ? (GuardAction)(r->Action + 1) : GuardAction.Unknown,
                ReasonCache.Static(r->Reason, (int)r->ReasonLen),
                (r->Flags & FlagCallId) != 0 ? r->CallId : (ulong?)null, key,
                (r->Flags & FlagLease) != 0 ? r->LeaseMs : (ulong?)null,
                (r->Flags & FlagRetryAfter) != 0 ? r->RetryAfterMs : (ulong?)null);
        }

        /// <summary>A decision that came with a details handle, which is freed here.</summary>
        private static unsafe Decision FromDetails(CheckResult* r, CachedFields* c)
        {
            try
            {
                // A cache decision with no other field: every one the engine makes. Its
                // JSON is the reason and these fields (Decision writes it when asked).
                if (r->Action == NativeCache && (r->Flags & ~FlagDetails) == 0
                    && FastNative.auraguard_decision_cached_result(r->Details, c) != 0)
                {
                    var cached = new CachedResult(c->Ok != 0,
                        Utf8Text.Decode(c->PayloadJson, (int)c->PayloadLen),
                        c->ErrorCode == null ? null : Utf8Text.Decode(c->ErrorCode, (int)c->ErrorCodeLen),
                        c->Cached != 0, c->SideEffectExecuted != 0, c->PayloadKept != 0);
                    return new Decision(ReasonCache.Owned(r->Reason, (int)r->ReasonLen), cached);
                }
                return Decision.Parse(FromUtf8(FastNative.auraguard_decision_json(r->Details)));
            }
            finally
            {
                FastNative.auraguard_decision_free(r->Details);
            }
        }

        /// <summary>A record whose payload is <paramref name="payloadJson"/>, or the UTF-8
        /// bytes <paramref name="payloadUtf8"/> when that is not null (null both: none).</summary>
        private unsafe void RecordResultFast(bool ok, string payloadJson, byte[] payloadUtf8, string errorCode,
            bool? sideEffectExecuted, ulong? callId, HandlerFaults faults)
        {
            if (callId.HasValue && callId.Value == 0)
                throw new AuraGuardException(GuardStatus.InvalidArgument,
                    "call_id 0 does not await a result (never issued, already recorded, or dropped as missed)");
            byte[] buf = TextBuffer(payloadUtf8 == null ? 0 : payloadUtf8.Length, payloadJson, errorCode, null);
            int executed = sideEffectExecuted.HasValue ? (sideEffectExecuted.Value ? 1 : 0) : -1;
            byte* error = null;
            GuardStatus status;
            bool hasPayload = payloadJson != null || payloadUtf8 != null;
            fixed (byte* p = buf)
            {
                int payloadLen = payloadUtf8 != null ? Utf8Text.Copy(payloadUtf8, p)
                    : payloadJson == null ? 0 : Utf8Text.Encode(payloadJson, p, buf.Length, "payload");
                byte* code = p + payloadLen;
                int codeLen = errorCode == null ? 0 : Utf8Text.Encode(errorCode, code, buf.Length - payloadLen, "errorCode");
                IntPtr guard = EnterCall();
                try
                {
                    status = FastNative.auraguard_record_result_fast(guard, callId ?? 0, ok ? (byte)1 : (byte)0,
                        hasPayload ? p : null, (void*)payloadLen,
                        errorCode == null ? null : code, (void*)codeLen, executed, &error);
                }
                finally
                {
                    LeaveCall();
                }
            }
            DeliverEvents(faults);
            CheckFast(status, error);
        }

        private unsafe Decision CheckOutputFast(string text)
        {
            byte[] buf = TextBuffer(0, text, null, null);
            void* decision = null;
            byte* error = null;
            GuardStatus status;
            fixed (byte* p = buf)
            {
                int textLen = Utf8Text.Encode(text, p, buf.Length, "text");
                IntPtr guard = EnterCall();
                try
                {
                    status = FastNative.auraguard_check_output_fast(guard, p, (void*)textLen, &decision, &error);
                }
                finally
                {
                    LeaveCall();
                }
            }
            // Read (and freed) before the event handlers run, so that one that throws
            // leaves nothing behind. On failure the library wrote no decision.
            Decision answer = decision == null ? null : FromHandle(decision);
            DeliverEvents(null);
            CheckFast(status, error);
            return answer;
        }

        /// <summary>A decision handle read from its JSON, then freed.</summary>
        private static unsafe Decision FromHandle(void* decision)
        {
            try
            {
                return Decision.Parse(FromUtf8(FastNative.auraguard_decision_json(decision)));
            }
            finally
            {
                FastNative.auraguard_decision_free(decision);
            }
        }
    }
}
