# frozen_string_literal: true

# The classes and modules the extension looks up when it is bound.
require_relative "native"
require_relative "native_call"
require_relative "arguments"
require_relative "raw_json"
require_relative "decision"
require_relative "scratch"
require_relative "struct_decision"

module AuraGuard
  # FastPath's check_tool, record_result and check_output in C: the gem's
  # extension (ext/auraguard/hot_path.c, required as "auraguard/hot_path")
  # makes FfiPath's checks, in the same order and with the same errors, and
  # its native calls without ffi. check_output is the extension's own
  # method (it takes no keywords); the other two have a Ruby method each
  # that hands its keyword arguments on. A distinct-read pair then costs
  # about a third less (docs/PERFORMANCE.md, "The hot path", Ruby).
  #
  # The extension is optional: the platform gem carries it built for its
  # Ruby, the plain gem compiles it when installed where a compiler and
  # Ruby's headers are, and without it the binding runs through ffi alone.
  # AURAGUARD_HOT_PATH chooses: unset, the extension when it loads; "ffi",
  # never; "c", always (a LoadError when it does not load).
  module CPath
    CHOICES = { nil => :any, "" => :any, "c" => :c, "ffi" => :ffi }.freeze
    # What the extension calls, from the library ffi loaded (an older
    # library without them keeps the binding on ffi).
    FUNCTIONS = %w[auraguard_call_check_bytes auraguard_record_result_fast auraguard_string_free
                   auraguard_check_output_fast].freeze

    # The extension's feature names, most specific first: a platform gem
    # keeps one build per Ruby minor version (a C extension is built for
    # one), a compiled gem or a repository build has one.
    def self.features(version = RUBY_VERSION)
      ["auraguard/#{version[/\A\d+\.\d+/]}/hot_path", "auraguard/hot_path"]
    end

    # Requires the extension and gives it the library functions it calls.
    # True when loaded; false when not wanted or not usable.
    def self.load(choice = ENV.fetch("AURAGUARD_HOT_PATH", nil))
      wanted = CHOICES.fetch(choice) do
        raise ArgumentError, "AURAGUARD_HOT_PATH must be \"c\", \"ffi\" or unset, got #{choice.inspect}"
      end
      return false if wanted == :ffi

      library = Native.ffi_libraries.first
      problem = require_extension || missing_functions(library)
      if problem
        raise LoadError, "AURAGUARD_HOT_PATH=c but the C extension cannot be used: #{problem}" if wanted == :c

        return false
      end
      HotPath.bind(*FUNCTIONS.map { |name| library.find_function(name).address })
      true
    end

    # nil once one of the extension's features is required, else why none was.
    def self.require_extension
      features.map do |feature|
        require feature
        return nil
      rescue LoadError => e
        e.message
      end.join("; ")
    end

    # nil when `library` (the one ffi loaded) has every function the
    # extension calls, else which it lacks.
    def self.missing_functions(library)
      missing = FUNCTIONS.reject { |name| library.find_function(name) }
      "#{library.name} lacks #{missing.join(', ')}" unless missing.empty?
    end

    LOADED = load

    def self.loaded?
      LOADED
    end

    if LOADED
      include HotPath

      # Decides on a tool call before it runs (FfiPath#check_tool says how
      # each argument is read).
      def check_tool(name, args = FastPath::NO_ARGS, ticket_id: nil, side_effect: nil)
        return check_tool_with(nil, name, args, ticket_id, side_effect) if @event_function

        hot_check(name, args, ticket_id, side_effect)
      end

      # Reports how an allowed call went; nil (FfiPath#record_result).
      def record_result(ok:, payload: nil, error_code: nil, side_effect_executed: nil, call_id: nil)
        return record_with(nil, ok, payload, error_code, side_effect_executed, call_id) if @event_function

        hot_record(ok, payload, error_code, side_effect_executed, call_id)
      end
    end
  end

  # :c when check_tool, record_result and check_output run through the C
  # extension, :ffi when through ffi alone (see CPath).
  def self.hot_path
    CPath.loaded? ? :c : :ffi
  end
end
