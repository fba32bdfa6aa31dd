# frozen_string_literal: true

# Ruby binding for libauraguard, reliability middleware for tool-using AI
# agents. See AuraGuard::Guard.
require_relative "auraguard/version"
require_relative "auraguard/errors"
require_relative "auraguard/native"
require_relative "auraguard/decision"
require_relative "auraguard/guard"
require_relative "auraguard/run"
require_relative "auraguard/ledger"

module AuraGuard
  # The version of the loaded native library, e.g. "0.1.0".
  def self.native_version
    Native.auraguard_version
  end
end
