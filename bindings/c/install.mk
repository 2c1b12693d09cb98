# Installing the C face: libcoatcheck.so/.a, both headers, coatcheck.pc and
# a CMake package config. Included by the root Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=...]   release build, then copy
#   make uninstall [PREFIX=...] [DESTDIR=...]
#   make test-install   install (debug build) into a temporary PREFIX and build
#                       examples/c/hello.c with pkg-config and a CMake project
#                       against that copy only, then run both
#
# The shared library is installed as libcoatcheck.so.$(C_ABI_VERSION) (its
# soname: the ABI version of the header, COATCHECK_ABI_VERSION) with the
# link-time symlink libcoatcheck.so next to it.

PREFIX     ?= /usr/local
DESTDIR    ?=
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
# release for `make install`; test-install installs the debug build it has.
C_INSTALL_PROFILE ?= release

C_VERSION     := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
C_ABI_VERSION := $(shell sed -n 's/^\#define COATCHECK_ABI_VERSION \([0-9]*\)/\1/p' include/coatcheck.h)
C_SONAME      := libcoatcheck.so.$(C_ABI_VERSION)
# C_TARGET comes from test.mk, included after this file: hence `=`.
C_INSTALL_SRC = $(C_TARGET)/$(C_INSTALL_PROFILE)
C_INSTALL_TMP = $(abspath $(C_TARGET)/c/install-test)

FACE_TESTS += test-install

.PHONY: install uninstall c-install-tools c-install-test-tools test-install

# patchelf writes the soname into the installed copy (cargo links cdylibs
# without one).
c-install-tools:
	@command -v patchelf >/dev/null || (apt-get update && apt-get install -y -o DPkg::Lock::Timeout=600 patchelf)

# What test-install builds with.
c-install-test-tools: c-install-tools
	@command -v pkg-config >/dev/null || (apt-get update && apt-get install -y -o DPkg::Lock::Timeout=600 pkg-config)
	@command -v cmake >/dev/null || (apt-get update && apt-get install -y -o DPkg::Lock::Timeout=600 cmake)

install: c-install-tools
	$(CARGO) build $(if $(filter release,$(C_INSTALL_PROFILE)),--release) -p coatcheck-c
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(LIBDIR)/cmake/coatcheck $(DESTDIR)$(DATADIR)/coatcheck
	install -m 755 $(C_INSTALL_SRC)/libcoatcheck.so $(DESTDIR)$(LIBDIR)/$(C_SONAME)
	patchelf --set-soname $(C_SONAME) $(DESTDIR)$(LIBDIR)/$(C_SONAME)
	ln -sf $(C_SONAME) $(DESTDIR)$(LIBDIR)/libcoatcheck.so
	install -m 644 $(C_INSTALL_SRC)/libcoatcheck.a $(DESTDIR)$(LIBDIR)/libcoatcheck.a
	install -m 644 include/coatcheck.h include/coatcheck.hpp $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(C_VERSION)|g' \
	    -e 's|@STATIC_LIBS@|$(C_STATIC_LIBS)|g' \
	    bindings/c/install/coatcheck.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/coatcheck.pc
	sed -e 's|@SONAME@|$(C_SONAME)|g' -e 's|@STATIC_LIBS@|$(C_STATIC_LIBS)|g' \
	    -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    bindings/c/install/coatcheckConfig.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/coatcheck/coatcheckConfig.cmake
	sed -e 's|@VERSION@|$(C_VERSION)|g' \
	    bindings/c/install/coatcheckConfigVersion.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/coatcheck/coatcheckConfigVersion.cmake
	install -m 644 tests/c/valgrind.supp $(DESTDIR)$(DATADIR)/coatcheck/valgrind.supp

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libcoatcheck.so $(DESTDIR)$(LIBDIR)/$(C_SONAME) \
	  $(DESTDIR)$(LIBDIR)/libcoatcheck.a $(DESTDIR)$(LIBDIR)/pkgconfig/coatcheck.pc \
	  $(DESTDIR)$(INCLUDEDIR)/coatcheck.h $(DESTDIR)$(INCLUDEDIR)/coatcheck.hpp \
	  $(DESTDIR)$(DATADIR)/coatcheck/valgrind.supp
	rm -rf $(DESTDIR)$(LIBDIR)/cmake/coatcheck
	-rmdir $(DESTDIR)$(DATADIR)/coatcheck

# Everything below sees the installed copy only: the compiler gets no
# -Iinclude or -Ltarget, the sources are copied out of the tree, and
# LD_LIBRARY_PATH is unset when the programs run.
test-install: c-install-test-tools
	rm -rf $(C_INSTALL_TMP)
	$(MAKE) --no-print-directory install C_INSTALL_PROFILE=debug PREFIX=$(C_INSTALL_TMP)/prefix
	@echo "== DESTDIR stages under PREFIX"
	$(MAKE) --no-print-directory install C_INSTALL_PROFILE=debug PREFIX=/opt/coatcheck DESTDIR=$(C_INSTALL_TMP)/stage
	test -f $(C_INSTALL_TMP)/stage/opt/coatcheck/lib/$(C_SONAME)
	grep -q '^prefix=/opt/coatcheck$$' $(C_INSTALL_TMP)/stage/opt/coatcheck/lib/pkgconfig/coatcheck.pc
	@echo "== hello.c with pkg-config"
	mkdir -p $(C_INSTALL_TMP)/src
	cp examples/c/hello.c $(C_INSTALL_TMP)/src/
	cd $(C_INSTALL_TMP) && export PKG_CONFIG_PATH=$(C_INSTALL_TMP)/prefix/lib/pkgconfig && \
	  $(C_CC) -std=c11 -Wall -Wextra -Werror src/hello.c -o hello \
	    $$(pkg-config --cflags --libs coatcheck) -Wl,-rpath,$(C_INSTALL_TMP)/prefix/lib && \
	  $(C_CC) -std=c11 -Wall -Wextra -Werror src/hello.c -o hello-static \
	    $$(pkg-config --cflags coatcheck) prefix/lib/libcoatcheck.a $$(pkg-config --libs-only-l --static coatcheck | sed 's/-lcoatcheck//')
	readelf -d $(C_INSTALL_TMP)/hello | grep -q 'NEEDED.*\[$(C_SONAME)\]'
	! readelf -d $(C_INSTALL_TMP)/hello-static | grep -q 'NEEDED.*coatcheck'
	cd $(C_INSTALL_TMP) && env -u LD_LIBRARY_PATH ./hello hello.redb | grep -q '^Set-Cookie: session='
	cd $(C_INSTALL_TMP) && rm -f hello.redb && env -u LD_LIBRARY_PATH ./hello-static hello.redb | grep -q '^Set-Cookie: session='
	@echo "== find_package(coatcheck) with CMake"
	cp -r tests/c/cmake $(C_INSTALL_TMP)/cmake-src
	cmake -S $(C_INSTALL_TMP)/cmake-src -B $(C_INSTALL_TMP)/cmake-build \
	  -DCMAKE_PREFIX_PATH=$(C_INSTALL_TMP)/prefix -DCMAKE_CXX_COMPILER=$(C_CXX) -DCMAKE_C_COMPILER=$(C_CC) >/dev/null
	cmake --build $(C_INSTALL_TMP)/cmake-build
	readelf -d $(C_INSTALL_TMP)/cmake-build/uses_coatcheck | grep -q 'NEEDED.*\[$(C_SONAME)\]'
	! readelf -d $(C_INSTALL_TMP)/cmake-build/uses_coatcheck_static | grep -q 'NEEDED.*coatcheck'
	cd $(C_INSTALL_TMP) && env -u LD_LIBRARY_PATH cmake-build/uses_coatcheck cmake.redb
	cd $(C_INSTALL_TMP) && env -u LD_LIBRARY_PATH cmake-build/uses_coatcheck_static cmake-static.redb
	rm -rf $(C_INSTALL_TMP)
