# frozen_string_literal: true

require "timeout"
require "socket"

module AuraGuard
  # How Guard#run records a failed tool call: the error class the guard's
  # retry and quarantine rules read ("timeout", "connection_error", "429",
  # "503", ...) and whether the side effect may have happened (:unknown,
  # :not_executed or :executed). A side-effect tool whose outcome is
  # :unknown is recorded as executed, so the guard never allows it again.
  Failure = Struct.new(:code, :outcome) do
    def to_s
      "#{code} (#{outcome})"
    end
  end

  # Raised by a tool to say exactly how it failed: `error_code` is recorded,
  # and `side_effect_executed` (true, false or nil for "unknown") decides
  # whether a side-effect tool may run again.
  class ToolFailed < StandardError
    attr_reader :error_code, :side_effect_executed

    def initialize(message = nil, error_code:, side_effect_executed: nil)
      super(message || "tool failed: #{error_code}")
      @error_code = error_code.to_s
      @side_effect_executed = side_effect_executed
    end
  end

  # The mapping from Ruby's common failures to the guard's classes that
  # Guard#run uses unless Guard#error_classifier= replaces it:
  #
  # - an exception answering #error_code and/or #side_effect_executed
  #   (ToolFailed does) comes first;
  # - Net::OpenTimeout: timeout, not executed; Timeout::Error (Net::ReadTimeout,
  #   Net::WriteTimeout) and Errno::ETIMEDOUT: timeout, unknown;
  # - Errno::ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL and
  #   SocketError (a name that does not resolve): connection_error, not executed;
  # - Errno::ECONNRESET, EPIPE, ECONNABORTED, EOFError: connection_error, unknown;
  # - Net::HTTP's response errors (Net::HTTPExceptions) and anything exposing
  #   an HTTP status (#response with #code or #status, #status, #http_status,
  #   #response_status): the status ("503"), not executed;
  # - Interrupt, SignalException and a block left early: cancelled, unknown;
  # - otherwise the cause is tried, then "error", unknown.
  module ErrorClassifier
    NOT_EXECUTED_ERRNO = %w[ECONNREFUSED EHOSTUNREACH ENETUNREACH EADDRNOTAVAIL].freeze
    UNKNOWN_ERRNO = %w[ECONNRESET EPIPE ECONNABORTED].freeze

    module_function

    def classify(error)
      failure = known(error, 0)
      code = error.respond_to?(:error_code) ? error.error_code : nil
      failure = Failure.new(code.to_s, failure.outcome) unless code.nil? || code.to_s.empty?
      if error.respond_to?(:side_effect_executed) && !error.side_effect_executed.nil?
        failure = Failure.new(failure.code, error.side_effect_executed ? :executed : :not_executed)
      end
      failure
    end

    def known(error, depth)
      found = by_class(error) || by_status(error)
      return found if found
      return known(error.cause, depth + 1) if error.cause && depth < 8

      Failure.new("error", :unknown)
    end

    def by_class(error)
      return Failure.new("timeout", :not_executed) if defined?(Net::OpenTimeout) && error.is_a?(Net::OpenTimeout)
      return Failure.new("timeout", :unknown) if error.is_a?(Timeout::Error) || errno?(error, "ETIMEDOUT")
      return Failure.new("connection_error", :not_executed) if error.is_a?(SocketError)
      return Failure.new("connection_error", :not_executed) if NOT_EXECUTED_ERRNO.any? { |n| errno?(error, n) }
      return Failure.new("connection_error", :unknown) if error.is_a?(EOFError)
      return Failure.new("connection_error", :unknown) if UNKNOWN_ERRNO.any? { |n| errno?(error, n) }
      return Failure.new("cancelled", :unknown) if error.is_a?(Interrupt) || error.is_a?(SignalException)

      by_name(error)
    end

    # Client libraries that need not be loaded, by class name.
    def by_name(error)
      names = error.class.ancestors.map(&:name)
      return Failure.new("timeout", :unknown) if names.include?("Faraday::TimeoutError")
      return Failure.new("connection_error", :unknown) if names.include?("Faraday::ConnectionFailed")

      nil
    end

    def by_status(error)
      status = http_status(error)
      status && status.between?(400, 599) ? Failure.new(status.to_s, :not_executed) : nil
    end

    def http_status(error)
      if error.respond_to?(:response) && (response = safely { error.response })
        from_response = integer(safely { response.code if response.respond_to?(:code) }) ||
                        integer(safely { response.status if response.respond_to?(:status) }) ||
                        integer(safely { response[:status] if response.is_a?(Hash) })
        return from_response if from_response
      end
      %i[status http_status response_status].each do |name|
        value = integer(safely { error.public_send(name) if error.respond_to?(name) })
        return value if value
      end
      nil
    end

    def integer(value)
      Integer(value, exception: false) if value.is_a?(Integer) || value.is_a?(String)
    end

    def safely
      yield
    rescue StandardError
      nil
    end

    def errno?(error, name)
      Errno.const_defined?(name) && error.is_a?(Errno.const_get(name))
    end
  end
end
