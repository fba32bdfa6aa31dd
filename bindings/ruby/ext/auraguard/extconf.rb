# frozen_string_literal: true

# Makes the Makefile of the gem's optional C extension, "auraguard/hot_path"
# (AuraGuard::CPath). Where it cannot be built (no C compiler, no Ruby
# headers, no auraguard.h) the Makefile builds nothing, the gem still
# installs, and the binding runs through ffi alone.
#
# auraguard.h is looked for in AURAGUARD_INCLUDE, then beside this file (the
# gem carries a copy), then in the repository's include/.

# A Makefile whose targets do nothing, with the reason shown when it runs.
def skip_extension(reason)
  warn "auraguard: not building the C hot path (#{reason}); the binding will use ffi"
  File.write("Makefile", <<~MAKE)
    all install static clean distclean:
    \t@echo "auraguard: C hot path not built: #{reason.gsub(/["$\\]/, '')}"
  MAKE
  exit 0
end

begin
  require "mkmf"
rescue SystemExit, LoadError, StandardError => e
  # mkmf exits when the Ruby headers are missing.
  skip_extension("mkmf failed: #{e.message}")
end

dirs = [ENV.fetch("AURAGUARD_INCLUDE", nil), __dir__, File.expand_path("../../../../include", __dir__)].compact
include_dir = dirs.find { |d| File.file?(File.join(d, "auraguard.h")) }
skip_extension("auraguard.h not found in #{dirs.join(', ')}") unless include_dir

# AURAGUARD_EXT_CFLAGS: more flags (the repository's build adds -Werror).
$CFLAGS << " -O2 -Wall -Wextra -Wno-unused-parameter #{ENV.fetch('AURAGUARD_EXT_CFLAGS', '')}"
$INCFLAGS << " -I#{include_dir}"
skip_extension("no working C compiler or Ruby headers") unless have_header("ruby.h") && have_header("auraguard.h")

create_makefile("auraguard/hot_path")
