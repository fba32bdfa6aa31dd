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

# Every artifact carries the release library (make release-lib: profile-guided).
dist-tarball: dist-platform $(DIST_LIB)
	packaging/dist/tarball.sh $(VERSION) $(DIST_PLATFORM) $(DIST_LIB_DIR) $(DIST_DIR)

dist-go: dist-platform $(DIST_LIB)
	packaging/dist/go-module.sh $(VERSION) $(DIST_GO_OS) $(DIST_LIB_DIR) $(DIST_DIR)/go

dist-nuget: dist-platform $(DIST_LIB)
	packaging/dist/nupkg.sh $(VERSION) $(DIST_RID) $(DIST_LIB_DIR) $(DIST_DIR)

dist-gem: dist-platform $(DIST_LIB) $(RUBY_EXT)
	packaging/dist/gem.sh $(VERSION) $(DIST_GEM_PLAT) $(DIST_LIB_DIR) $(DIST_DIR) $(HEADER) $(RUBY_EXT)

# Each check gets the artifact and the quickstart's source, and compares the
# installed program's output with the in-tree build of the same quickstart.
test-dist: dist $(C_OUT)/example_quickstart $(CS_QUICK) $(C_OUT)/test_capi $(C_OUT)/stress
	@echo "== dist: the release library: how it was built, the C test program and the stress run against it"
	tests/dist/check_release_lib.sh $(DIST_LIB_DIR)
	@$(C_RUN_BRIEF) env LD_LIBRARY_PATH=$(DIST_LIB_DIR) $(C_OUT)/test_capi
	@$(C_RUN_BRIEF) env LD_LIBRARY_PATH=$(DIST_LIB_DIR) $(C_OUT)/stress
	@tmp=$$(mktemp -d) && $(MAKE) --no-print-directory install DESTDIR=$$tmp INSTALL_FROM=$(DIST_LIB_DIR) >/dev/null && \
	  cmp $(DIST_LIB) $$tmp$(INSTALL_LIBDIR)/$(SO_REAL) && cmp $(DIST_LIB_DIR)/libauraguard.a $$tmp$(INSTALL_LIBDIR)/libauraguard.a && \
	  rm -rf $$tmp && echo "install: INSTALL_FROM=$(DIST_LIB_DIR) installs the release library"
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
