# SPDX-License-Identifier: GPL-2.0
#
# Builds the module (through Kbuild), liblockdev and the lockdev program.
#
#   make                  everything, module against the default headers
#   make KVER=RELEASE     module against /lib/modules/RELEASE/build
#   make KDIR=/path/to/tree    module against that kernel tree
#   make LOCKDEV_DEBUG=1  module with the test hooks of kmod/debug.c
#   make install          liblockdev (shared, static, header, pkg-config
#                         file), liblockdev-preload.so, the lockdev
#                         program, its bash completion and the man pages,
#                         under PREFIX (/usr/local),
#                         staged under DESTDIR if given
#   make install-host     what a host that loads the module needs: the
#                         module's sources and dkms.conf for DKMS, the udev
#                         rule, the modprobe and modules-load configuration,
#                         the lockdev-monitor.service and
#                         lockdev-spaces.service units (not enabled), an
#                         example /etc/lockdev/spaces.conf; with
#                         PRELOAD_SERVICES="dovecot.service ...", a
#                         drop-in that runs each of those services with
#                         liblockdev-preload.so (none by default)
#   make uninstall-host   removes what make install-host put there
#   make check-man        the man pages through groff with every warning,
#                         and their EXAMPLES programs compiled and linked
#   make version          print the version
#
# The default kernel tree is the running kernel's if it has headers, else
# the newest /lib/modules/*/build: on build machines whose own kernel is not
# a Debian kernel, that is the newest installed Debian linux-headers package.

KVER ?=
ifneq ($(KVER),)
KDIR ?= /lib/modules/$(KVER)/build
else
KDIR ?= $(shell d=/lib/modules/$$(uname -r)/build; \
	if [ -e $$d/Makefile ]; then echo $$d; \
	else ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1; fi)
endif

LOCKDEV_DEBUG ?=
KBUILD_ARGS := -C $(KDIR) M=$(CURDIR)
ifneq ($(LOCKDEV_DEBUG),)
KBUILD_ARGS += CONFIG_LOCKDEV_DEBUG=y
endif

# The one version of everything: the module's (MODULE_VERSION, the VERSION
# ioctl), the DKMS package's, liblockdev's (file name, pkg-config), the man
# pages' and the lockdev program's, which the library, the program and the
# examples get as the string LOCKDEV_PACKAGE_VERSION.
VERSION_H := kmod/lockdev.h
VERSION := $(shell sed -n 's/^\#define LOCKDEV_VERSION_STRING[[:space:]]*"\(.*\)"/\1/p' \
	$(CURDIR)/$(VERSION_H))

CC ?= cc
CFLAGS ?= -O2 -g
WARN_CFLAGS := -Wall -Wextra -Werror
# <lockdev.h> includes <lockdev/uapi.h>: lib/lockdev/uapi.h is a link to
# uapi/linux/lockdev.h, as make install puts a copy of it there.
LD_CPPFLAGS := -I$(CURDIR)/lib -DLOCKDEV_PACKAGE_VERSION='"$(VERSION)"'
# The event monitor of liblockdev reads netlink with libnl-genl-3.
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSCONFDIR ?= /etc
UDEVRULESDIR ?= $(SYSCONFDIR)/udev/rules.d
MODPROBEDIR ?= $(SYSCONFDIR)/modprobe.d
MODULESLOADDIR ?= $(SYSCONFDIR)/modules-load.d
DKMSDIR ?= /usr/src/lockdev-$(VERSION)
# Units and completions installed by the administrator, where systemd and
# bash-completion look for them besides their packages' directories.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
# The services make install-host gives a lockdev-preload.conf drop-in.
PRELOAD_SERVICES ?=

LIB_SONAME := liblockdev.so.0
LIB_REAL := liblockdev.so.$(VERSION)
LIB_SO := lib/$(LIB_REAL)
LIB_A := lib/liblockdev.a
LIB_PC := lib/liblockdev.pc
LIB_SRCS := lib/version.c lib/session.c lib/lock.c lib/set.c lib/async.c \
	lib/query.c lib/strerror.c lib/names.c lib/monitor.c lib/nl.c \
	lib/dump.c lib/space.c
LIB_OBJS := $(LIB_SRCS:.c=.o)
# liblockdev-preload.so (lockdev-preload(8)): whole-file locks of unmodified
# programs as lockdev locks, with LD_PRELOAD; the ioctls, not liblockdev.
PRELOAD_SO := lib/liblockdev-preload.so
PRELOAD_SRCS := $(wildcard lib/preload/*.c)

MAN_PAGES := $(wildcard man/man1/*.1 man/man3/*.3 man/man7/*.7 man/man8/*.8)

# Short programs for the patterns of the design brief, built against the
# static library as a user's program would be.
EXAMPLES := $(patsubst %.c,%,$(wildcard lib/examples/*.c))

.PHONY: all module lib tools examples clean install install-host uninstall \
	uninstall-host check-man version

all: module lib tools examples

module:
	@test -n "$(KDIR)" -a -e "$(KDIR)/Makefile" || \
		{ echo "no kernel tree: install linux-headers or give KDIR= or KVER=" >&2; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

lib: $(LIB_SO) $(LIB_A) lib/liblockdev.so $(LIB_PC) $(PRELOAD_SO)

lib/%.o: lib/%.c lib/lockdev.h lib/internal.h lib/nl.h uapi/linux/lockdev.h \
		$(VERSION_H)
	$(CC) $(CFLAGS) $(WARN_CFLAGS) $(LD_CPPFLAGS) $(NL_CFLAGS) -fPIC \
		-fvisibility=hidden -c -o $@ $<

$(LIB_SO): $(LIB_OBJS) lib/liblockdev.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/liblockdev.map -Wl,--no-undefined \
		-o $@ $(LIB_OBJS) $(NL_LIBS)

lib/liblockdev.so: $(LIB_SO)
	ln -sf $(notdir $(LIB_SO)) lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

$(PRELOAD_SO): $(PRELOAD_SRCS) lib/preload/preload.h uapi/linux/lockdev.h
	$(CC) $(CFLAGS) $(WARN_CFLAGS) -I$(CURDIR)/lib -fPIC \
		-fvisibility=hidden -shared -Wl,--no-undefined $(LDFLAGS) \
		-o $@ $(PRELOAD_SRCS) -ldl -pthread

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# The paths are those of the installed files; rebuilt when they change.
$(LIB_PC): lib/liblockdev.pc.in FORCE
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' $< >$@.tmp
	if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

tools: tools/lockdev

# What prints LOCKDEV_PACKAGE_VERSION is rebuilt when the version changes.
tools/lockdev $(EXAMPLES): $(VERSION_H)

TOOL_SRCS := $(wildcard tools/*.c)

tools/lockdev: $(TOOL_SRCS) tools/*.h $(LIB_A) lib/lockdev.h
	$(CC) $(CFLAGS) $(WARN_CFLAGS) $(LD_CPPFLAGS) -o $@ $(TOOL_SRCS) \
		$(LIB_A) $(NL_LIBS) $(LDFLAGS)

examples: $(EXAMPLES)

lib/examples/%: lib/examples/%.c $(LIB_A) lib/lockdev.h
	$(CC) $(CFLAGS) $(WARN_CFLAGS) $(LD_CPPFLAGS) -o $@ $< $(LIB_A) \
		$(NL_LIBS) $(LDFLAGS)

install: lib tools
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/lockdev $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/$(LIB_REAL)
	$(INSTALL) -m 0755 $(PRELOAD_SO) $(DESTDIR)$(LIBDIR)/liblockdev-preload.so
	ln -sf $(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/liblockdev.so
	$(INSTALL) -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/liblockdev.a
	$(INSTALL) -m 0644 $(LIB_PC) $(DESTDIR)$(PKGCONFIGDIR)/liblockdev.pc
	$(INSTALL) -m 0644 lib/lockdev.h $(DESTDIR)$(INCLUDEDIR)/lockdev.h
	$(INSTALL) -m 0644 uapi/linux/lockdev.h \
		$(DESTDIR)$(INCLUDEDIR)/lockdev/uapi.h
	$(INSTALL) -m 0755 tools/lockdev $(DESTDIR)$(BINDIR)/lockdev
	$(INSTALL) -m 0644 tools/lockdev.bash-completion \
		$(DESTDIR)$(BASHCOMPDIR)/lockdev
	for p in $(MAN_PAGES:man/%=%); do \
		sed 's/@VERSION@/$(VERSION)/' man/$$p >$(DESTDIR)$(MANDIR)/$$p && \
		chmod 0644 $(DESTDIR)$(MANDIR)/$$p || exit 1; \
	done

# DKMS builds the module from $(DKMSDIR) for every installed kernel:
# dkms install lockdev/$(VERSION) after this. The unit runs the lockdev of
# BINDIR: give install-host the PREFIX (or BINDIR) make install had.
install-host:
	$(INSTALL) -d $(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/uapi/linux \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(MODPROBEDIR) \
		$(DESTDIR)$(MODULESLOADDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/lockdev
	$(INSTALL) -m 0644 Kbuild $(DESTDIR)$(DKMSDIR)/Kbuild
	$(INSTALL) -m 0644 kmod/*.c kmod/*.h $(DESTDIR)$(DKMSDIR)/kmod/
	$(INSTALL) -m 0644 uapi/linux/lockdev.h $(DESTDIR)$(DKMSDIR)/uapi/linux/
	sed 's|@VERSION@|$(VERSION)|' packaging/dkms.conf.in \
		>$(DESTDIR)$(DKMSDIR)/dkms.conf
	$(INSTALL) -m 0644 packaging/60-lockdev.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(INSTALL) -m 0644 packaging/lockdev-modprobe.conf \
		$(DESTDIR)$(MODPROBEDIR)/lockdev.conf
	$(INSTALL) -m 0644 packaging/lockdev-modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/lockdev.conf
	sed 's|@BINDIR@|$(BINDIR)|' packaging/lockdev-monitor.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/lockdev-monitor.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/lockdev-monitor.service
	sed 's|@BINDIR@|$(BINDIR)|' packaging/lockdev-spaces.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/lockdev-spaces.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/lockdev-spaces.service
	$(INSTALL) -m 0644 packaging/spaces.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/lockdev/spaces.conf.example
	for u in $(PRELOAD_SERVICES); do \
		$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.d && \
		sed 's|@LIBDIR@|$(LIBDIR)|' packaging/lockdev-preload.conf.in \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.d/lockdev-preload.conf && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.d/lockdev-preload.conf || \
		exit 1; \
	done

# Run systemctl disable --now lockdev-monitor.service first if it was
# enabled, and dkms remove lockdev/$(VERSION) --all.
uninstall-host:
	rm -f $(DESTDIR)$(DKMSDIR)/Kbuild $(DESTDIR)$(DKMSDIR)/dkms.conf \
		$(addprefix $(DESTDIR)$(DKMSDIR)/,$(wildcard kmod/*.c kmod/*.h)) \
		$(DESTDIR)$(DKMSDIR)/uapi/linux/lockdev.h \
		$(DESTDIR)$(UDEVRULESDIR)/60-lockdev.rules \
		$(DESTDIR)$(MODPROBEDIR)/lockdev.conf \
		$(DESTDIR)$(MODULESLOADDIR)/lockdev.conf \
		$(DESTDIR)$(SYSTEMDUNITDIR)/lockdev-monitor.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/lockdev-spaces.service \
		$(DESTDIR)$(SYSCONFDIR)/lockdev/spaces.conf.example
	rmdir $(DESTDIR)$(SYSCONFDIR)/lockdev 2>/dev/null || true
	for d in kmod uapi/linux uapi .; do \
		rmdir $(DESTDIR)$(DKMSDIR)/$$d 2>/dev/null || true; \
	done
	for f in $(DESTDIR)$(SYSTEMDUNITDIR)/*.d/lockdev-preload.conf; do \
		[ ! -e "$$f" ] || { rm -f "$$f"; rmdir "$${f%/*}" 2>/dev/null || true; }; \
	done

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME) \
		$(DESTDIR)$(LIBDIR)/liblockdev.so $(DESTDIR)$(LIBDIR)/liblockdev.a \
		$(DESTDIR)$(LIBDIR)/liblockdev-preload.so \
		$(DESTDIR)$(PKGCONFIGDIR)/liblockdev.pc \
		$(DESTDIR)$(INCLUDEDIR)/lockdev.h \
		$(DESTDIR)$(INCLUDEDIR)/lockdev/uapi.h \
		$(DESTDIR)$(BINDIR)/lockdev $(DESTDIR)$(BASHCOMPDIR)/lockdev
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(MAN_PAGES:man/%=%))
	rmdir $(DESTDIR)$(INCLUDEDIR)/lockdev 2>/dev/null || true

# Every page must format without a single warning, and the EXAMPLES of
# every page of sections 3 and 7 are a C program (its .EX blocks, in order,
# as man/examples.awk prints them) that compiles without a warning against
# lib/lockdev.h and links with the built liblockdev.so, exports only.
MAN_EXAMPLES := build/man-examples

check-man: lib
	@cd man && for p in $(MAN_PAGES:man/%=%); do \
		out=$$(groff -man -ww -z $$p 2>&1); \
		[ -z "$$out" ] || { echo "$$p: $$out"; fail=1; }; \
	done; [ -z "$$fail" ]
	@mkdir -p $(MAN_EXAMPLES) && \
	for p in $(filter man/man3/% man/man7/%,$(MAN_PAGES)); do \
		b=$${p##*/}; c=$(MAN_EXAMPLES)/$${b%.*}.c; \
		awk -f man/examples.awk $$p >$$c || exit 1; \
		[ -s $$c ] || { rm -f $$c; continue; }; \
		$(CC) $(CFLAGS) $(WARN_CFLAGS) $(LD_CPPFLAGS) -o $${c%.c} $$c \
			-Llib -llockdev || \
			{ echo "$$p: its EXAMPLES program does not build"; fail=1; }; \
	done; [ -z "$$fail" ]

version:
	@echo $(VERSION)

clean:
	[ -z "$(KDIR)" ] || [ ! -e "$(KDIR)/Makefile" ] || $(MAKE) $(KBUILD_ARGS) clean
	rm -f lib/*.o lib/*.a lib/*.so lib/*.so.* $(LIB_PC) tools/lockdev \
		$(EXAMPLES)
	rm -rf build

FORCE:
