# frozen_string_literal: true

require_relative "ffi_path"
require_relative "c_path"

module AuraGuard
  # The hot path beneath Guard#check_tool, #record_result and #check_output,
  # as methods of the guard's Handle (mixed in there): CPath's (the gem's C
  # extension, ext/auraguard) when it is loaded, FfiPath's otherwise
  # (AuraGuard.hot_path says which).
  #
  # Guard includes it as well as Handle, so that Guard#check_tool and
  # #record_result are these methods themselves, not a call on to the
  # handle's (a method call of its own per check is some 900 instructions
  # in the interpreter). A guard shares its handle's idle blocks and keeps
  # its own @closed, set before the handle's; with an event callback it
  # goes through the handle's, whose @event_function is always nil.
  module FastPath
    # check_tool's default arguments: none, which the C API reads as {}.
    NO_ARGS = {}.freeze

    include(CPath.loaded? ? CPath : FfiPath)
  end
end
