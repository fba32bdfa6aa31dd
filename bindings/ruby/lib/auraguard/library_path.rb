# frozen_string_literal: true

module AuraGuard
  # Decides which libauraguard to load. Kept apart from the FFI bindings so the
  # search order can be tested without loading anything.
  module LibraryPath
    # The library a platform gem carries (<gem>/vendor, beside lib/). It was
    # built with this very gem, so it is taken before anything else.
    VENDORED = File.expand_path("../../vendor/libauraguard.so", __dir__)

    # The repository's release build, for a gem used from a source checkout
    # (bindings/ruby/lib/auraguard -> <repo>/target/release).
    REPO_BUILD = File.expand_path("../../../../target/release/libauraguard.so", __dir__)

    # The name ffi_lib resolves through the system's library search path.
    SYSTEM_NAME = "auraguard"

    module_function

    # Returns what to give ffi_lib: the platform gem's own library when
    # present; else AURAGUARD_LIB when set (which must exist, so a typo is
    # reported rather than silently replaced by another copy); else the
    # repository's build output when present; else the system name.
    def resolve(env: ENV, repo_build: REPO_BUILD, vendored: VENDORED)
      return vendored if File.file?(vendored)

      explicit = env["AURAGUARD_LIB"]
      if explicit && !explicit.empty?
        return explicit if File.file?(explicit)

        raise LibraryNotFound, "AURAGUARD_LIB is set to #{explicit}, which is not a file"
      end
      return repo_build if File.file?(repo_build)

      SYSTEM_NAME
    end
  end
end
