# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Kernel lanes of the test runner, sourced by selftests/vm/run and
# selftests/run-tests. A lane names a kernel to boot:
#
#   6.1    the newest installed Debian 6.1 kernel (bookworm)
#   6.12   the newest installed Debian 6.12 kernel (bookworm updates or
#          backports), not its PREEMPT_RT flavour
#   rt     the newest installed Debian 6.12 PREEMPT_RT kernel (-rt-amd64,
#          bookworm-backports), where spinlocks sleep
#   debug  the debug kernel built from Debian's linux-source-6.1 by
#          build-debug-kernel (KASAN, lockdep, kmemleak), built on first use
#   RELEASE  any kernel installed in /lib/modules/RELEASE with its
#          /boot/vmlinuz-RELEASE and headers
#
# lane_resolve LANE sets KVER (the release), VMLINUZ, MODDIR (its modules,
# empty when everything is built in) and KBUILD (the tree modules build
# against), or fails with a message.

lane_resolve() {
	local lane=$1 dir pattern exclude=

	KVER= VMLINUZ= MODDIR= KBUILD=
	case $lane in
	debug)
		dir=$("$LOCKDEV_VM_DIR/build-debug-kernel" | tail -n 1) || return 1
		KVER=$(cat "$dir/kver")
		VMLINUZ=$dir/vmlinuz
		KBUILD=$dir/build
		return 0
		;;
	6.1) pattern='6.1.0-*-amd64' ;;
	6.12) pattern='6.12.*-amd64' exclude='*-rt-amd64' ;;
	rt) pattern='6.12.*-rt-amd64' ;;
	*) pattern=$lane ;;
	esac

	KVER=$(for dir in /lib/modules/$pattern; do
		# shellcheck disable=SC2053
		[ -n "$exclude" ] && [[ ${dir##*/} == $exclude ]] && continue
		[ -e "/boot/vmlinuz-${dir##*/}" ] && [ -e "$dir/build/Makefile" ] &&
			echo "${dir##*/}"
	done 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$KVER" ]; then
		echo "lane $lane: no kernel with headers installed for /lib/modules/$pattern" \
			"(run selftests/setup-host)" >&2
		return 1
	fi
	VMLINUZ=/boot/vmlinuz-$KVER
	MODDIR=/lib/modules/$KVER
	KBUILD=$MODDIR/build
}
