# frozen_string_literal: true

require_relative "test_helper"
require "open3"
require "rbconfig"
require "fileutils"
require "tmpdir"

# The plain gem compiles its C hot path when installed; where it cannot,
# extconf.rb must still let the installation finish (the binding then runs
# through ffi). Run here as RubyGems runs it, in a build folder of its own;
# `make ruby-ext` builds the extension with it.
class ExtconfTest < Minitest::Test
  EXTCONF = File.expand_path("../ext/auraguard/extconf.rb", __dir__)

  def test_without_the_header_the_makefile_builds_nothing_and_says_why
    Dir.mktmpdir do |dir|
      # A copy alone: neither beside it nor in a repository above it is there
      # an auraguard.h, and AURAGUARD_INCLUDE names an empty folder.
      FileUtils.cp(EXTCONF, dir)
      env = { "AURAGUARD_INCLUDE" => dir }
      _out, err, status = Open3.capture3(env, RbConfig.ruby, "extconf.rb", chdir: dir)
      assert status.success?, err
      assert_match(/not building the C hot path \(auraguard\.h not found/, err)
      out, status = Open3.capture2e("make", chdir: dir)
      assert status.success?, out
      assert_match(/C hot path not built/, out)
      assert_empty Dir[File.join(dir, "*.so")]
    end
  end
end
