# frozen_string_literal: true

module AuraGuard
  # Base of every error this gem raises. `status` is the native status as a
  # symbol (e.g. :config) when the error came from libauraguard, nil otherwise.
  class Error < StandardError
    attr_reader :status

    def initialize(message = nil, status: nil)
      super(message)
      @status = status
    end
  end

  # AURAGUARD_ERR_INVALID_ARGUMENT: malformed JSON, bad UTF-8, an oversized
  # input, an unknown call_id, an out-of-range value.
  class InvalidArgumentError < Error; end

  # AURAGUARD_ERR_CONFIG: the configuration was rejected; the message names the key.
  class ConfigError < Error; end

  # AURAGUARD_ERR_MISUSE: strict mode saw check_tool/record_result out of order.
  class MisuseError < Error; end

  # AURAGUARD_ERR_STATE: a saved state was unreadable, of an unknown version or
  # failed its MAC check; the guard was left unchanged.
  class StateError < Error; end

  # AURAGUARD_ERR_INTERNAL: the library caught a panic. Please report it.
  class InternalError < Error; end

  # AURAGUARD_ERR_LEDGER: the idempotency ledger's store did not answer
  # (server down, disk full, timeout); nothing was changed.
  class LedgerError < Error; end

  # The guard was used after #close.
  class ClosedError < Error; end

  # The native library could not be found or loaded.
  class LibraryNotFound < Error; end

  # Raised by Guard#run when the guard does not let the call execute. The
  # decision says what the agent should do instead (rewrite, escalate, ...).
  class Denied < Error
    attr_reader :decision

    def initialize(tool, decision)
      super("#{tool}: #{decision.action} (#{decision.reason})")
      @decision = decision
    end
  end

  # Native status codes (auraguard_status) and the class raised for each.
  STATUS_ERRORS = {
    1 => [:invalid_argument, InvalidArgumentError],
    2 => [:config, ConfigError],
    3 => [:misuse, MisuseError],
    4 => [:state, StateError],
    5 => [:internal, InternalError],
    6 => [:ledger, LedgerError]
  }.freeze
end
