#!/usr/bin/env bash
# Install what the test suites need, or say in one line what is missing.
# As root on Debian/Ubuntu, missing packages are installed with apt-get.
set -euo pipefail
export PATH="$PATH:/usr/local/go/bin:$HOME/.cargo/bin"

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

have cargo || { echo "deps: Rust is required: install it from https://rustup.rs"; exit 1; }
have cc || need_apt+=(gcc)
have g++ || need_apt+=(g++)
have pkg-config || need_apt+=(pkg-config)
have valgrind || need_apt+=(valgrind)
# The C provider example reads JSON with jansson.
[ -e /usr/include/jansson.h ] || need_apt+=(libjansson-dev)
have go || need_apt+=(golang-go)
have ruby || need_apt+=(ruby)
have rake || need_apt+=(rake)
if have ruby; then
  ruby -e 'require "ffi"' >/dev/null 2>&1 || need_apt+=(ruby-ffi)
  ruby -e 'require "minitest/autorun"; exit!(0)' >/dev/null 2>&1 || need_apt+=(ruby-minitest)
  # Ruby's headers, for the gem's C hot path (bindings/ruby/ext).
  [ -e "$(ruby -e 'print RbConfig::CONFIG["rubyhdrdir"]')/ruby.h" ] || need_apt+=(ruby-dev)
else
  need_apt+=(ruby-ffi ruby-minitest ruby-dev)
fi
have node || need_apt+=(nodejs)
have npm || need_apt+=(npm)
have python3 || need_apt+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
have zip || need_apt+=(zip)
have unzip || need_apt+=(unzip)
have mcs || need_apt+=(mono-mcs)
# The .NET Framework 4.6.1 reference assemblies the NuGet package's DLL is
# compiled against, and ikdasm, which reads its metadata back.
{ [ -d /usr/lib/mono/4.6.1-api ] && have ikdasm; } || need_apt+=(mono-devel)
have mono || need_apt+=(mono-runtime)
have redis-server || need_apt+=(redis-server)
have nunit-console || need_apt+=(nunit-console)
[ -e /usr/lib/cli/nunit.framework-2.6/nunit.framework.dll ] || ls /usr/lib/cli/nunit.framework*/nunit.framework.dll >/dev/null 2>&1 \
  || need_apt+=(libnunit-cil-dev)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "deps: installing ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "deps: missing packages; install them with: sudo apt-get install ${need_apt[*]}"
    exit 1
  fi
fi

if ! have cbindgen; then
  echo "deps: installing cbindgen (cargo install)"
  cargo install --quiet --locked cbindgen --version 0.29.4
fi
# llvm-profdata, which merges the profile of the release library's
# profile-guided build (make release-lib); without it that build falls back
# to the plain one and says so.
if [ ! -x "$("$(dirname "$0")/../packaging/pgo/profdata.sh")" ] && have rustup; then
  echo "deps: installing the llvm-tools component (rustup)"
  rustup component add llvm-tools >/dev/null 2>&1 \
    || echo "deps: could not install llvm-tools; the release library will be built without a profile"
fi
scripts/mcp-deps.sh
scripts/go-adapters-deps.sh
echo "deps: all toolchains present"
