# frozen_string_literal: true

require "tmpdir"
require_relative "test_helper"

# Where the native library is looked for.
class LibraryPathTest < Minitest::Test
  def resolve(env, repo_build: "/nonexistent/libauraguard.so", vendored: "/nonexistent/vendor/libauraguard.so")
    AuraGuard::LibraryPath.resolve(env: env, repo_build: repo_build, vendored: vendored)
  end

  def test_a_platform_gems_own_library_comes_before_everything
    Dir.mktmpdir do |dir|
      lib = File.join(dir, "libauraguard.so")
      File.write(lib, "")
      assert_equal __FILE__, resolve({ "AURAGUARD_LIB" => lib }, repo_build: lib, vendored: __FILE__)
      assert_equal __FILE__, resolve({ "AURAGUARD_LIB" => "/nope/lib.so" }, vendored: __FILE__)
    end
  end

  def test_the_vendored_library_sits_beside_lib_in_the_gem
    expected = File.expand_path("../vendor/libauraguard.so", __dir__)
    assert_equal expected, AuraGuard::LibraryPath::VENDORED
  end

  def test_auraguard_lib_comes_first
    Dir.mktmpdir do |dir|
      lib = File.join(dir, "libauraguard.so")
      File.write(lib, "")
      assert_equal lib, resolve({ "AURAGUARD_LIB" => lib }, repo_build: __FILE__)
    end
  end

  def test_a_missing_auraguard_lib_is_reported_not_skipped
    error = assert_raises(AuraGuard::LibraryNotFound) { resolve({ "AURAGUARD_LIB" => "/nope/lib.so" }, repo_build: __FILE__) }
    assert_includes error.message, "/nope/lib.so"
  end

  def test_then_the_repository_build_then_the_system
    assert_equal __FILE__, resolve({}, repo_build: __FILE__)
    assert_equal "auraguard", resolve({ "AURAGUARD_LIB" => "" })
  end

  def test_the_repository_build_is_the_one_make_build_writes
    expected = File.expand_path("../../../target/release/libauraguard.so", __dir__)
    assert_equal expected, AuraGuard::LibraryPath::REPO_BUILD
  end

  def test_loading_without_any_library_fails_with_a_clear_message
    lib = File.expand_path("../lib", __dir__)
    script = 'begin; require "auraguard"; rescue AuraGuard::LibraryNotFound => e; puts e.message; exit 3; end'
    output = IO.popen({ "AURAGUARD_LIB" => "/nope/libauraguard.so" }, [RbConfig.ruby, "-I", lib, "-e", script], &:read)
    assert_equal 3, $?.exitstatus
    assert_includes output, "AURAGUARD_LIB"
  end

  def test_a_library_the_loader_cannot_find_is_reported_with_what_to_do
    lib = File.expand_path("../lib", __dir__)
    script = <<~RUBY
      require "auraguard/library_path"
      AuraGuard::LibraryPath.define_singleton_method(:resolve) { "auraguard_not_installed_anywhere" }
      begin; require "auraguard"; rescue AuraGuard::LibraryNotFound => e; puts e.message; exit 3; end
    RUBY
    output = IO.popen([RbConfig.ruby, "-I", lib, "-e", script], &:read)
    assert_equal 3, $?.exitstatus
    assert_includes output, "make build"
    assert_includes output, "AURAGUARD_LIB"
  end
end
