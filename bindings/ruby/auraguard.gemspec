# frozen_string_literal: true

require_relative "lib/auraguard/version"

Gem::Specification.new do |spec|
  spec.name = "auraguard"
  spec.version = AuraGuard::VERSION
  spec.summary = "Guard an AI agent's tool calls with libauraguard"
  spec.description = <<~TEXT
    Ruby binding for libauraguard, reliability middleware for tool-using AI agents:
    before each tool call the guard decides (allow, block, cache, rewrite, escalate,
    finalize) to stop loops, duplicate side effects, stalls and runaway cost.
    The platform gem (e.g. x86_64-linux) carries the native library; the plain gem
    needs libauraguard installed where the system finds shared libraries, or
    AURAGUARD_LIB set to its path. check_tool, record_result and check_output run
    through an optional C extension, prebuilt in the platform gem and compiled when
    the plain gem is installed; without it they run through ffi.
  TEXT
  spec.authors = ["The libauraguard authors"]
  spec.license = "Apache-2.0"
  spec.required_ruby_version = ">= 2.7"

  spec.files = Dir.chdir(__dir__) do
    Dir["lib/**/*.rb"] + Dir["ext/auraguard/*.{c,h,rb}"] + ["auraguard.gemspec", "Rakefile", "README.md"]
  end
  spec.require_paths = ["lib"]

  spec.add_dependency "ffi", "~> 1.15"

  # A platform gem, built by `make dist` from a copy of this folder that holds
  # the native library in vendor/, which LibraryPath loads first, and the C
  # hot path built for one Ruby in lib/auraguard/<minor>/ (AuraGuard::CPath).
  # The plain gem compiles the C hot path when installed; its extconf.rb
  # builds nothing where it cannot, and the gem then runs through ffi.
  platform = ENV.fetch("AURAGUARD_GEM_PLATFORM", "")
  if platform.empty?
    spec.extensions = ["ext/auraguard/extconf.rb"]
  else
    vendored = "vendor/libauraguard.so"
    raise "AURAGUARD_GEM_PLATFORM is set but #{vendored} is missing" unless File.file?(File.join(__dir__, vendored))

    spec.platform = Gem::Platform.new(platform)
    spec.files << vendored
    spec.files += Dir.chdir(__dir__) { Dir["lib/auraguard/*/hot_path.so"] }
  end
end
