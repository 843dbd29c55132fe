// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev_mode_name() and lockdev_state_name(): each mode and state has the
 * name /proc/lockdev/locks prints for it, checked against the file's lines
 * of holders in every mode, a waiter and a converter; any other value has
 * none (NULL). And lockdev_strerror()'s text for the errors lockdev_open()
 * returns when the module is not loaded (module_test unloads the module and
 * checks that lockdev_open() returns them).
 *
 * The other lock owners are forked children; every wait is bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"

static const unsigned int modes[] = {
	LOCKDEV_MODE_SHARED, LOCKDEV_MODE_APPEND, LOCKDEV_MODE_EXCLUSIVE,
	LOCKDEV_MODE_NONE,
};

/*
 * The /proc/lockdev/locks line of @pid for lock @name in state @state (a
 * converter has two: held, and converting), into *@out.
 */
static bool proc_line(const char *name, pid_t pid, const char *state,
		      struct locks_line *out)
{
	struct locks_line *l;
	int i, n = read_locks(NULL, NULL, &l);
	bool found = false;

	for (i = 0; i < n && !found && state; i++) {
		if (!strcmp(l[i].name, name) && l[i].pid == pid &&
		    !strcmp(l[i].state, state)) {
			*out = l[i];
			found = true;
		}
	}
	free(l);
	return found;
}

TEST(mode_names)
{
	EXPECT_STREQ("shared", lockdev_mode_name(LOCKDEV_MODE_SHARED));
	EXPECT_STREQ("append", lockdev_mode_name(LOCKDEV_MODE_APPEND));
	EXPECT_STREQ("exclusive", lockdev_mode_name(LOCKDEV_MODE_EXCLUSIVE));
	EXPECT_STREQ("none", lockdev_mode_name(LOCKDEV_MODE_NONE));
	EXPECT_EQ(NULL, lockdev_mode_name(0));
	EXPECT_EQ(NULL, lockdev_mode_name(LOCKDEV_MODE_NONE + 1));
	EXPECT_EQ(NULL, lockdev_mode_name(UINT_MAX));
}

TEST(state_names)
{
	EXPECT_STREQ("held", lockdev_state_name(LOCKDEV_STATE_HELD));
	EXPECT_STREQ("waiting", lockdev_state_name(LOCKDEV_STATE_WAITING));
	EXPECT_STREQ("converting",
		     lockdev_state_name(LOCKDEV_STATE_CONVERTING));
	EXPECT_STREQ("idle", lockdev_state_name(LOCKDEV_STATE_IDLE));
	EXPECT_EQ(NULL, lockdev_state_name(0));
	EXPECT_EQ(NULL, lockdev_state_name(LOCKDEV_STATE_IDLE + 1));
	EXPECT_EQ(NULL, lockdev_state_name(UINT_MAX));
}

/* A holder in each mode: /proc and the query name mode and state alike. */
TEST(holders_as_proc_names_them)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_entry e[2];
	struct locks_line l;
	char name[64];
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(name, sizeof(name), "names-held-%u-%d", modes[i],
			 getpid());
		ASSERT_EQ(0, lockdev_lock(ld, name, modes[i], 0, 0, NULL));
		ASSERT_EQ(1, lockdev_query(ld, name, e, 2, NULL));
		EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
		EXPECT_EQ(modes[i], e[0].mode);
		ASSERT_TRUE(proc_line(name, getpid(),
				      lockdev_state_name(e[0].state), &l))
			TH_LOG("no held line of %s in %s", name, LOCKS);
		EXPECT_STREQ(l.mode, lockdev_mode_name(e[0].mode));
		EXPECT_EQ(0, lockdev_unlock_name(ld, name));
	}
	lockdev_close(ld);
}

/* A queued request is "waiting", in the mode it asks for. */
TEST(waiter_as_proc_names_it)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g;
	struct locks_line l;
	char name[64];
	struct kid k;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	snprintf(name, sizeof(name), "names-wait-%d", getpid());
	holder_start(_metadata, &k, name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lockdev_lock_async(ld, name, LOCKDEV_MODE_APPEND, 0,
					WAIT_MS * MS, 1, &g));
	EXPECT_NE(0, g.result & LOCKDEV_RESULT_QUEUED);
	ASSERT_TRUE(proc_line(name, getpid(),
			      lockdev_state_name(LOCKDEV_STATE_WAITING), &l))
		TH_LOG("no waiting line of %s in %s", name, LOCKS);
	EXPECT_STREQ(l.mode, lockdev_mode_name(LOCKDEV_MODE_APPEND));
	holder_stop(_metadata, &k, 'u');
	lockdev_close(ld);
}

/* A waiting upgrade is "converting", in the mode it asks for. */
TEST(converter_as_proc_names_it)
{
	struct lockdev *ld = lib_open(_metadata), *kld;
	struct lockdev_grant g;
	struct locks_line l;
	char name[64];
	struct kid k;

	snprintf(name, sizeof(name), "names-conv-%d", getpid());
	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (lockdev_open(&kld, 0) ||
		    lockdev_lock(kld, name, LOCKDEV_MODE_SHARED, 0, 0, &g))
			_exit(2);
		kid_send(&k, 'L');
		_exit(lockdev_convert(kld, g.handle, LOCKDEV_MODE_EXCLUSIVE,
				      WAIT_MS * MS, 0, NULL) ? 3 : 0);
	}
	ASSERT_EQ('L', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, name, k.pid, LOCKDEV_STATE_CONVERTING);
	ASSERT_TRUE(proc_line(name, k.pid,
			      lockdev_state_name(LOCKDEV_STATE_CONVERTING), &l))
		TH_LOG("no converting line of pid %d for %s", k.pid, name);
	EXPECT_STREQ(l.mode, lockdev_mode_name(LOCKDEV_MODE_EXCLUSIVE));
	EXPECT_EQ(0, lockdev_unlock_name(ld, name));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

/*
 * The errors of lockdev_open() without the module: ENOENT (no
 * /dev/lockdev), ENODEV or ENXIO (a device node no driver serves).
 */
TEST(strerror_module_not_loaded)
{
	const char *noent = lockdev_strerror(-ENOENT, 0);

	EXPECT_EQ(0, strncmp(noent, "lockdev module not loaded (no /dev/lockdev)",
			     43))
		TH_LOG("ENOENT: %s", noent);
	/* ENOENT's other meanings for the library are named too. */
	EXPECT_NE(NULL, strstr(noent, "lockspace"));
	EXPECT_STREQ(noent, lockdev_strerror(ENOENT, 0));
	EXPECT_NE(NULL, strstr(lockdev_strerror(-ENODEV, 0), "not loaded"));
	EXPECT_NE(NULL, strstr(lockdev_strerror(-ENXIO, 0), "not loaded"));
	EXPECT_STREQ(lockdev_strerror(-ENODEV, 0),
		     lockdev_strerror(ENODEV, 0));
}

TEST_HARNESS_MAIN
