# frozen_string_literal: true

module AuraGuard
  # The idempotency ledger: where side effects are reserved and recorded.
  # Pass one of these as the `ledger:` configuration key, e.g.
  #   AuraGuard::Guard.new(secret_key: "k", ledger: AuraGuard::Ledger.sqlite("/var/lib/app/ledger.db"))
  module Ledger
    # Outcomes for Guard#ledger_resolve.
    OUTCOMES = { not_executed: 0, executed: 1 }.freeze
    # Values of the `ledger_on_error:` key.
    FAIL_CLOSED = "fail_closed"
    FAIL_OPEN = "fail_open"

    module_function

    # This guard's memory only (the default).
    def memory(timeout_ms: nil)
      store(kind: "memory", timeout_ms: timeout_ms)
    end

    # A SQLite file shared by every process of one machine that opens it.
    def sqlite(path, timeout_ms: nil)
      store(kind: "sqlite", path: path, timeout_ms: timeout_ms)
    end

    # A Redis server shared by many machines (prefix nil: "auraguard:").
    def redis(url, prefix: nil, timeout_ms: nil)
      store(kind: "redis", url: url, prefix: prefix, timeout_ms: timeout_ms)
    end

    def store(**fields)
      fields.compact.freeze
    end
    private_class_method :store
  end

  module Native
    attach_function :auraguard_ledger_resolve, %i[pointer string int pointer], :int
  end

  class Guard
    # Settles a side effect escalated as side_effect_outcome_unknown, after
    # checking the downstream system: `idempotency_key` is the decision's
    # idempotency_key, `outcome` :executed (later calls are replayed) or
    # :not_executed (the next call may run). Written to the guard's store,
    # so every guard sharing it follows it. Raises LedgerError when the store
    # does not answer.
    def ledger_resolve(idempotency_key, outcome)
      key = Arguments.text(idempotency_key, "idempotency_key")
      code = Ledger::OUTCOMES.fetch(outcome) do
        Arguments.invalid!("outcome must be :executed or :not_executed, got #{outcome.inspect}")
      end
      call_status(:auraguard_ledger_resolve, key, code)
    end
  end
end
