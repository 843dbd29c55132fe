/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the liblockdev tests (lib_*_test.c): include after
 * kselftest_harness.h and harness_util.h.
 */
#ifndef LOCKDEV_SELFTESTS_LIB_UTIL_H
#define LOCKDEV_SELFTESTS_LIB_UTIL_H

#include <errno.h>
#include <signal.h>

#include "lockdev.h"
#include "harness_util.h"

#define MS	1000000ULL

/* Open a handle on the default lockspace, which must work. */
static inline struct lockdev *lib_open(struct __test_metadata *_metadata)
{
	struct lockdev *ld = NULL;

	ASSERT_EQ(0, lockdev_open(&ld, 0));
	ASSERT_NE(NULL, ld);
	return ld;
}

/* Skip the test when the module does not have @feature. */
static inline void lib_require(struct __test_metadata *_metadata,
			       __u64 feature, const char *what)
{
	struct lockdev_version v;
	struct lockdev *ld = lib_open(_metadata);

	ASSERT_EQ(0, lockdev_get_version(ld, &v));
	lockdev_close(ld);
	if (!(v.features & feature))
		SKIP(_exit(255), "the module lacks %s", what);
}

/*
 * False if the call that returned @ret is not in the module: ENOTTY, from a
 * module older than the call (feature bits may run ahead of the code while
 * it is being written).
 */
static inline bool lib_has_call(int ret)
{
	return ret != -ENOTTY;
}

/* Skip the test when the module lacks the call that returned @ret. */
#define LIB_REQUIRE_CALL(ret, what) do {				\
	if (!lib_has_call(ret))						\
		SKIP(return, "the module does not implement %s", what);	\
} while (0)

/*
 * A child holding @name in @mode in a session of its own, until the test
 * sends 'u' (unlock, then exit) or 'q' (exit holding it: the lock goes, or
 * is marked owner-died). It says 'L' when it holds the lock.
 */
static inline void holder_start(struct __test_metadata *_metadata,
				struct kid *k, const char *name,
				unsigned int mode)
{
	struct lockdev *ld;

	ASSERT_LE(0, kid_fork(k));
	if (k->pid == 0) {
		if (lockdev_open(&ld, 0) ||
		    lockdev_lock(ld, name, mode, 0, 0, NULL))
			_exit(2);
		kid_send(k, 'L');
		if (kid_recv(k, KID_TIMEOUT_S * 1000) == 'u' &&
		    lockdev_unlock_name(ld, name))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ('L', kid_recv(k, WAIT_MS));
}

static inline void holder_stop(struct __test_metadata *_metadata,
			       struct kid *k, char how)
{
	ASSERT_EQ(0, kid_send(k, how));
	ASSERT_EQ(0, kid_reap(k));
}

/* Wait until @name shows @pid waiting (or converting) in @ld's lockspace. */
static inline void expect_waiting(struct __test_metadata *_metadata,
				  struct lockdev *ld, const char *name,
				  pid_t pid, __u32 state)
{
	ASSERT_TRUE(wait_entry(lockdev_fd(ld), name, pid, state)) {
		TH_LOG("pid %d never showed up waiting on %s", pid, name);
	}
}

static volatile sig_atomic_t lib_sigs;

static inline void lib_count_signal(int sig)
{
	(void)sig;
	lib_sigs++;
}

/* Catch @sig without SA_RESTART: a blocking call fails with EINTR. */
static inline void catch_no_restart(int sig)
{
	struct sigaction sa = { .sa_handler = lib_count_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

#endif /* LOCKDEV_SELFTESTS_LIB_UTIL_H */
