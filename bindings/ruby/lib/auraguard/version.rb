# frozen_string_literal: true

module AuraGuard
  # The gem's version. It tracks the native library's version: the test suite
  # checks it against auraguard_version(), so a gem never ships claiming a
  # library it was not built for.
  VERSION = "0.1.0"
end
