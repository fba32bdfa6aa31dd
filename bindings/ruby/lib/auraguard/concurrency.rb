# frozen_string_literal: true

require "json"
require_relative "errors"

module AuraGuard
  # Raised by Guard#run, before anything is checked, when as many #run calls
  # as the guard's concurrency are already in flight on it: one more could
  # push an allowed call out of the engine's pending calls and lose its
  # result. Create the guard with `concurrency:` set to the number of
  # threads that run tools through it.
  class BusyError < Error; end

  # Sizes max_pending_calls for a number of threads, and counts #run calls.
  module Concurrency
    module_function

    # The configuration with max_pending_calls raised to `concurrency`.
    def apply(config, concurrency)
      return config if concurrency.nil?
      unless concurrency.is_a?(Integer) && concurrency >= 1
        raise ConfigError.new("concurrency must be an Integer of at least 1, got #{concurrency.inspect}", status: :config)
      end

      pending = config[:max_pending_calls] || config["max_pending_calls"]
      return config if pending.is_a?(Integer) && pending >= concurrency

      config.reject { |k, _| k.to_s == "max_pending_calls" }.merge(max_pending_calls: concurrency)
    end

    # max_pending_calls of a configuration the engine accepted, given as the
    # Hash it was written from: read there rather than parsed back out of
    # the JSON (a parse was a twelfth of making a guard).
    def capacity_of(config)
      value = config.fetch(:max_pending_calls) { config["max_pending_calls"] }
      value.is_a?(Integer) && value >= 1 ? value : 1
    end

    # max_pending_calls of a configuration the engine accepted, as JSON text.
    def capacity(config_json)
      value = JSON.parse(config_json)["max_pending_calls"]
      value.is_a?(Integer) && value >= 1 ? value : 1
    rescue JSON::ParserError, TypeError, NoMethodError
      1
    end
  end
end
