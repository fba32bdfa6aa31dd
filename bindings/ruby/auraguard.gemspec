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
    Needs the native library libauraguard (set AURAGUARD_LIB to its path, or install
    it where the system finds shared libraries).
  TEXT
  spec.authors = ["The libauraguard authors"]
  spec.license = "Apache-2.0"
  spec.required_ruby_version = ">= 2.7"

  spec.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb"] + ["auraguard.gemspec", "Rakefile", "README.md"] }
  spec.require_paths = ["lib"]

  spec.add_dependency "ffi", "~> 1.15"
end
