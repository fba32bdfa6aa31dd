# Release artifacts, one per ecosystem, into dist/ (scripts in packaging/dist),
# and the tests that install each one as a user would (tests/dist).
#
#   make dist        the tarball, the Go module (tree and proxy layout), the
#                    NuGet package, the plain and the platform gem
#   make test-dist   build them, then install and run each one in a fresh
#                    temporary project, offline, away from this tree
#
# One platform today: linux-x86_64, under each ecosystem's own name for it.

DIST_DIR      := $(ROOT)/dist
DIST_PLATFORM := linux-x86_64
DIST_GO_OS    := linux-x86_64
DIST_RID      := linux-x64
DIST_GEM_PLAT := x86_64-linux

DIST_TARBALL  := $(DIST_DIR)/libauraguard-$(VERSION)-$(DIST_PLATFORM).tar.gz
DIST_NUPKG    := $(DIST_DIR)/AuraGuard.$(VERSION).nupkg
DIST_GEM      := $(DIST_DIR)/auraguard-$(VERSION).gem
DIST_GEM_NATIVE := $(DIST_DIR)/auraguard-$(VERSION)-$(DIST_GEM_PLAT).gem
DIST_GO_PROXY := $(DIST_DIR)/go/proxy

.PHONY: dist dist-platform dist-tarball dist-go dist-nuget dist-gem test-dist

dist: dist-tarball dist-go dist-nuget dist-gem
	@echo "dist: artifacts for $(VERSION) in $(DIST_DIR)"

dist-platform:
	@case "$$(uname -s)-$$(uname -m)" in Linux-x86_64) ;; \
	  *) echo "dist: artifacts are built for linux-x86_64 only, not $$(uname -s)-$$(uname -m)"; exit 1 ;; esac

dist-tarball: build dist-platform
	packaging/dist/tarball.sh $(VERSION) $(DIST_PLATFORM) $(LIB_DIR) $(DIST_DIR)

dist-go: build dist-platform
	packaging/dist/go-module.sh $(VERSION) $(DIST_GO_OS) $(LIB_DIR) $(DIST_DIR)/go

dist-nuget: build dist-platform
	packaging/dist/nupkg.sh $(VERSION) $(DIST_RID) $(LIB_DIR) $(DIST_DIR)

dist-gem: build dist-platform $(RUBY_EXT)
	packaging/dist/gem.sh $(VERSION) $(DIST_GEM_PLAT) $(LIB_DIR) $(DIST_DIR) $(HEADER) $(RUBY_EXT)

# Each check gets the artifact and the quickstart's source, and compares the
# installed program's output with the in-tree build of the same quickstart.
test-dist: dist $(C_OUT)/example_quickstart $(CS_QUICK)
	@echo "== dist: versions"
	tests/dist/check_versions.sh $(VERSION) $(DIST_DIR)
	@echo "== dist: C, from the tarball"
	tests/dist/check_tarball.sh $(DIST_TARBALL) examples/c/quickstart.c "$(C_OUT)/example_quickstart"
	@echo "== dist: Go, from the module proxy layout"
	tests/dist/check_go.sh $(DIST_GO_PROXY) $(VERSION) examples/go/quickstart.go \
	  "cd $(GO_EXAMPLES) && $(GO) run -buildvcs=false ."
	@echo "== dist: C#, from the NuGet package"
	tests/dist/check_nupkg.sh $(DIST_NUPKG) examples/csharp/Quickstart.cs \
	  "cd $(CS_OUT) && $(CS_ENV) $(CS_MONO) $(CS_QUICK)"
	@echo "== dist: Ruby, the platform gem and the plain gem"
	tests/dist/check_gem.sh $(DIST_GEM_NATIVE) $(DIST_GEM) $(DIST_TARBALL) examples/ruby/quickstart.rb \
	  "$(RUBY_RUN) examples/ruby/quickstart.rb"
	@echo "dist: every artifact installs and runs"
