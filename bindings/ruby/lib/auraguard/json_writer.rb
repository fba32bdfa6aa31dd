# frozen_string_literal: true

require "json"

module AuraGuard
  # JSON.generate(value) without its new JSON::State per call: making the
  # state costs more than writing a small Hash of tool arguments or a
  # payload. A state that finished writing is back at depth 0, as a new one
  # starts, and waits in a pool to be reused; one whose writing raised may
  # be left deeper and is dropped. A pool rather than one per thread: a
  # value's #to_json may write JSON again (a guard call of its own) while
  # the outer state is in use.
  module JsonWriter
    POOL = Thread::Queue.new
    POOL.push(JSON::State.new)

    module_function

    def generate(value)
      state = begin
        POOL.pop(true)
      rescue ThreadError
        JSON::State.new
      end
      json = state.generate(value)
      POOL.push(state)
      json
    end
  end
end
