# SPDX-License-Identifier: GPL-2.0
#
# Builds the module (through Kbuild), liblockdev and the lockdev program.
#
#   make                  everything, module against the default headers
#   make KVER=6.1.0-56-amd64   module against /lib/modules/KVER/build
#   make KDIR=/path/to/tree    module against that kernel tree
#   make LOCKDEV_DEBUG=1  module with the test hooks of kmod/debug.c
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

CC ?= cc
CFLAGS ?= -O2 -g
WARN_CFLAGS := -Wall -Wextra -Werror
LD_CPPFLAGS := -I$(CURDIR)/uapi -I$(CURDIR)/lib

LIB_SONAME := liblockdev.so.0
LIB_SO := lib/liblockdev.so.0.1.0
LIB_A := lib/liblockdev.a
LIB_SRCS := lib/version.c lib/session.c
LIB_OBJS := $(LIB_SRCS:.c=.o)

.PHONY: all module lib tools clean

all: module lib tools

module:
	@test -n "$(KDIR)" -a -e "$(KDIR)/Makefile" || \
		{ echo "no kernel tree: install linux-headers or give KDIR= or KVER=" >&2; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

lib: $(LIB_SO) $(LIB_A) lib/liblockdev.so

lib/%.o: lib/%.c lib/liblockdev.h lib/internal.h uapi/linux/lockdev.h
	$(CC) $(CFLAGS) $(WARN_CFLAGS) $(LD_CPPFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(LIB_SO): $(LIB_OBJS) lib/liblockdev.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/liblockdev.map -Wl,--no-undefined \
		-o $@ $(LIB_OBJS)

lib/liblockdev.so: $(LIB_SO)
	ln -sf $(notdir $(LIB_SO)) lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

tools: tools/lockdev

tools/lockdev: tools/lockdev.c $(LIB_A) lib/liblockdev.h
	$(CC) $(CFLAGS) $(WARN_CFLAGS) $(LD_CPPFLAGS) -o $@ $< $(LIB_A) $(LDFLAGS)

clean:
	[ -z "$(KDIR)" ] || [ ! -e "$(KDIR)/Makefile" ] || $(MAKE) $(KBUILD_ARGS) clean
	rm -f lib/*.o lib/*.a lib/*.so lib/*.so.* tools/lockdev
	rm -rf build
