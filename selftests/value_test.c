// SPDX-License-Identifier: GPL-2.0
/*
 * The lock value block: LOCKDEV_VALUE_LEN bytes every grant returns, set by
 * a holder in APPEND or EXCLUSIVE with its UNLOCK (LOCKDEV_UNLOCK_SET_VALUE)
 * or a downgrading CONVERT (LOCKDEV_CONVERT_SET_VALUE), kept while the lock
 * is resident, and not valid (zero, with LOCKDEV_RESULT_VALUE_INVALID and
 * LOCKDEV_QUERY_VALUE_INVALID) for a new lock, a lock whose APPEND or
 * EXCLUSIVE holder died, and a lock dropped and asked for again. And the
 * structs of before the value (the VER0 sizes) still work.
 *
 * Other sessions are other processes ("actors", util.h); every wait is
 * bounded. Each test works on lock names of its own, in a lockspace of its
 * own; the one test that lowers max_idle_locks_per_space puts it back in
 * its teardown, which runs on failure too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

#define PER_SPACE	"/sys/module/lockdev/parameters/max_idle_locks_per_space"

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define N LOCKDEV_MODE_NONE
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK
#define RES_NV LOCKDEV_RESULT_VALUE_INVALID
#define Q_NV LOCKDEV_QUERY_VALUE_INVALID
#define Q_IDLE LOCKDEV_QUERY_IDLE
#define SETV_U LOCKDEV_UNLOCK_SET_VALUE
#define SETV_C LOCKDEV_CONVERT_SET_VALUE
#define LV LOCKDEV_LOCK_VALUE

/* The structs as they were before the value block. */
#define IOC_LOCK_VER0 _IOWR(LOCKDEV_IOC_MAGIC, 0x02, char[LOCKDEV_LOCK_SIZE_VER0])
#define IOC_UNLOCK_VER0 _IOWR(LOCKDEV_IOC_MAGIC, 0x03, \
			      char[LOCKDEV_UNLOCK_SIZE_VER0])
#define IOC_CONVERT_VER0 _IOWR(LOCKDEV_IOC_MAGIC, 0x04, \
			       char[LOCKDEV_CONVERT_SIZE_VER0])
#define IOC_QUERY_VER0 _IOWR(LOCKDEV_IOC_MAGIC, 0x07, \
			     char[LOCKDEV_QUERY_SIZE_VER0])

static const __u8 zero[LOCKDEV_VALUE_LEN];

FIXTURE(val) {
	int fd;
	int fd2;
	char space[64];
	long long per_space;
	struct locker ac;
	__u8 v1[LOCKDEV_VALUE_LEN];
	__u8 v2[LOCKDEV_VALUE_LEN];
};

static int attach(int fd, const char *space)
{
	struct lockdev_attach a = {
		.name = ptr(space), .name_len = strlen(space), .mode = 0600,
	};

	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

static long long get_per_space(void)
{
	char *s = read_file(PER_SPACE);
	long long v;

	if (!s)
		return -1;
	v = strtoll(s, NULL, 10);
	free(s);
	return v;
}

FIXTURE_SETUP(val)
{
	struct lockdev_version v = { 0 };
	int i;

	self->ac.pid = 0;
	self->per_space = get_per_space();
	ASSERT_LE(0, self->per_space);
	snprintf(self->space, sizeof(self->space), "val-%d", getpid());
	self->fd = open_session();
	self->fd2 = open_session();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
	ASSERT_TRUE(v.features & LOCKDEV_FEATURE_RESIDENT);
	ASSERT_EQ(0, attach(self->fd, self->space));
	ASSERT_EQ(0, attach(self->fd2, self->space));
	for (i = 0; i < LOCKDEV_VALUE_LEN; i++) {
		self->v1[i] = 0x11 + i;
		self->v2[i] = 0xf0 - i;
	}
}

FIXTURE_TEARDOWN(val)
{
	char buf[32];

	locker_kill(&self->ac);
	close(self->fd);
	close(self->fd2);
	if (self->per_space >= 0) {
		snprintf(buf, sizeof(buf), "%lld\n", self->per_space);
		EXPECT_EQ(0, write_str(PER_SPACE, buf));
	}
}

/* LOCK asking for the value (LOCKDEV_LOCK_VALUE besides @flags). */
static int lockv(int fd, const char *name, __u32 mode, __u32 flags,
		 struct lockdev_lock *l)
{
	return lock_call(fd, name, mode, flags | LV, l);
}

/* UNLOCK by @handle or @name (pass one) with @flags and @value. */
static int unlock_v(int fd, __u64 handle, const char *name, __u32 flags,
		    const __u8 *value)
{
	struct lockdev_unlock u;

	memset(&u, 0, sizeof(u));
	u.handle = handle;
	if (name) {
		u.name = ptr(name);
		u.name_len = strlen(name);
	}
	u.flags = flags;
	if (value)
		memcpy(u.value, value, sizeof(u.value));
	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

/* The inputs of a CONVERT by handle to @mode with @flags; outputs poisoned. */
static void convert_input(struct lockdev_convert *c, __u64 handle,
			  __u32 mode, __u32 flags)
{
	poison(c, sizeof(*c));
	c->handle = handle;
	c->name = 0;
	c->name_len = 0;
	c->mode = mode;
	c->flags = flags;
	c->deadline_ns = 0;
}

/* CONVERT by handle to @mode with @flags, @value in; never waits long. */
static int convert_v(int fd, __u64 handle, __u32 mode, __u32 flags,
		     const __u8 *value, struct lockdev_convert *c)
{
	int ret, err;

	convert_input(c, handle, mode, flags | NONBLOCK | LV);
	if (value)
		memcpy(c->value, value, sizeof(c->value));
	arm_alarm(10);
	ret = ioctl(fd, LOCKDEV_IOC_CONVERT, c);
	err = errno;
	alarm(0);
	errno = err;
	return ret;
}

/* QUERY @name with LOCKDEV_QUERY_VALUE: its lock_flags; its value in @value. */
static __u32 query_v(struct __test_metadata *_metadata, int fd,
		     const char *name, __u8 *value)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;

	poison(&q, sizeof(q));
	poison(e, sizeof(e));
	q.name = ptr(name);
	q.name_len = strlen(name);
	q.flags = LOCKDEV_QUERY_VALUE;
	q.entries = ptr(e);
	q.nr_entries = MAXE;
	EXPECT_EQ(0, ioctl(fd, LOCKDEV_IOC_QUERY, &q)) {
		TH_LOG("query %s: errno %d", name, errno);
		return ~0u;
	}
	memcpy(value, q.value, sizeof(q.value));
	return q.lock_flags;
}

/* @name's value must be @want and valid (or invalid and zero if NULL). */
static void expect_value(struct __test_metadata *_metadata, int fd,
			 const char *name, const __u8 *want)
{
	__u8 got[LOCKDEV_VALUE_LEN];
	__u32 flags = query_v(_metadata, fd, name, got);

	EXPECT_EQ(want ? 0 : Q_NV, flags & Q_NV) {
		TH_LOG("%s: lock_flags %#x, the value should be %s", name,
		       flags, want ? "valid" : "invalid");
	}
	EXPECT_EQ(0, memcmp(want ? want : zero, got, sizeof(got))) {
		TH_LOG("%s: value %02x%02x%02x.., expected %02x%02x%02x..",
		       name, got[0], got[1], got[2], (want ? want : zero)[0],
		       (want ? want : zero)[1], (want ? want : zero)[2]);
	}
}

/* The structs that carry a value have grown to their VER1 sizes. */
TEST(struct_layout)
{
	EXPECT_EQ(32, LOCKDEV_VALUE_LEN);
	EXPECT_EQ(LOCKDEV_LOCK_SIZE_VER1, sizeof(struct lockdev_lock));
	EXPECT_EQ(LOCKDEV_LOCK_SIZE_VER1, _IOC_SIZE(LOCKDEV_IOC_LOCK));
	EXPECT_EQ(LOCKDEV_UNLOCK_SIZE_VER1, sizeof(struct lockdev_unlock));
	EXPECT_EQ(LOCKDEV_UNLOCK_SIZE_VER1, _IOC_SIZE(LOCKDEV_IOC_UNLOCK));
	EXPECT_EQ(LOCKDEV_CONVERT_SIZE_VER1, sizeof(struct lockdev_convert));
	EXPECT_EQ(LOCKDEV_CONVERT_SIZE_VER1, _IOC_SIZE(LOCKDEV_IOC_CONVERT));
	EXPECT_EQ(LOCKDEV_QUERY_SIZE_VER1, sizeof(struct lockdev_query));
	EXPECT_EQ(LOCKDEV_QUERY_SIZE_VER1, _IOC_SIZE(LOCKDEV_IOC_QUERY));
	EXPECT_EQ(LOCKDEV_SET_ITEM_SIZE_VER1, sizeof(struct lockdev_set_item));
	EXPECT_EQ(LOCKDEV_CONSISTENT_SIZE_VER0,
		  sizeof(struct lockdev_consistent));
}

/* A new lock: the grant and QUERY say the value is not valid, and zero. */
TEST_F(val, new_lock_invalid)
{
	struct lockdev_lock l;
	__u8 got[LOCKDEV_VALUE_LEN];

	ASSERT_EQ(0, lockv(self->fd, "new", X, 0, &l));
	EXPECT_EQ(RES_NV, l.result);
	EXPECT_EQ(0, memcmp(zero, l.value, sizeof(zero)));
	EXPECT_EQ(Q_NV, query_v(_metadata, self->fd, "new", got));
	EXPECT_EQ(0, memcmp(zero, got, sizeof(got)));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(Q_IDLE | Q_NV, query_v(_metadata, self->fd, "new", got));
	EXPECT_EQ(0, memcmp(zero, got, sizeof(got)));
	/* The next grant still says so. */
	ASSERT_EQ(0, lockv(self->fd2, "new", S, 0, &l));
	EXPECT_EQ(RES_NV, l.result);
	EXPECT_EQ(0, memcmp(zero, l.value, sizeof(zero)));
}

/*
 * Only a caller that asks (LOCKDEV_LOCK_VALUE, LOCKDEV_QUERY_VALUE) gets the
 * value or hears that it is not valid; the others get zero and no
 * VALUE_INVALID. Unknown QUERY flags are EINVAL.
 */
TEST_F(val, only_when_asked)
{
	struct lockdev_entry e[2];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l, l2;

	ASSERT_EQ(0, lock_call(self->fd, "ask", X, 0, &l));
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(0, memcmp(zero, l.value, sizeof(zero)));
	ASSERT_EQ(0, query(self->fd2, "ask", &q, e, 2));
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_EQ(0, memcmp(zero, q.value, sizeof(zero)));
	expect_value(_metadata, self->fd2, "ask", NULL);

	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));
	ASSERT_EQ(0, lock_call(self->fd2, "ask", S, 0, &l2));
	EXPECT_EQ(0, l2.result);
	EXPECT_EQ(0, memcmp(zero, l2.value, sizeof(zero)));
	ASSERT_EQ(0, query(self->fd, "ask", &q, e, 2));
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_EQ(0, memcmp(zero, q.value, sizeof(zero)));
	convert_input(&c, l2.handle, X, NONBLOCK);
	ASSERT_EQ(0, ioctl(self->fd2, LOCKDEV_IOC_CONVERT, &c));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(0, memcmp(zero, c.value, sizeof(zero)));
	ASSERT_EQ(0, unlock_handle(self->fd2, l2.handle));
	ASSERT_EQ(0, lockv(self->fd, "ask", S, 0, &l));
	EXPECT_EQ(0, memcmp(self->v1, l.value, sizeof(l.value)));

	query(self->fd, "ask", &q, e, 2);
	q.flags = 0x2;
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_QUERY, &q));
	EXPECT_EQ(EINVAL, errno);
}

/* UNLOCK with SET_VALUE from EXCLUSIVE and from APPEND sets it. */
TEST_F(val, set_by_unlock)
{
	struct lockdev_lock l;
	__u8 got[LOCKDEV_VALUE_LEN];

	ASSERT_EQ(0, lockv(self->fd, "u", X, 0, &l));
	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));
	EXPECT_EQ(Q_IDLE, query_v(_metadata, self->fd, "u", got));
	expect_value(_metadata, self->fd2, "u", self->v1);

	/* Another session's grant returns it, valid. */
	ASSERT_EQ(0, lockv(self->fd2, "u", S, 0, &l));
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(0, memcmp(self->v1, l.value, sizeof(l.value)));
	/* A plain release keeps it. */
	ASSERT_EQ(0, unlock_handle(self->fd2, l.handle));
	expect_value(_metadata, self->fd, "u", self->v1);

	/* From APPEND, released by name. */
	ASSERT_EQ(0, lockv(self->fd2, "u", A, 0, &l));
	EXPECT_EQ(0, memcmp(self->v1, l.value, sizeof(l.value)));
	ASSERT_EQ(0, unlock_v(self->fd2, 0, "u", SETV_U, self->v2));
	expect_value(_metadata, self->fd, "u", self->v2);
	EXPECT_EQ(0, list_count(self->fd2));
	ASSERT_EQ(0, lockv(self->fd, "u", X, 0, &l));
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(0, memcmp(self->v2, l.value, sizeof(l.value)));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
}

/* Every grant returns it: LOCK, CONVERT (from NONE, and up), LOCK_SET. */
TEST_F(val, every_grant_returns_it)
{
	struct lockdev_set_item it[2];
	struct lockdev_lock_set s;
	struct lockdev_convert c;
	struct lockdev_lock l;

	ASSERT_EQ(0, lockv(self->fd, "g", X, 0, &l));
	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));

	ASSERT_EQ(0, lockv(self->fd, "g", N, 0, &l));
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(0, memcmp(self->v1, l.value, sizeof(l.value)));
	ASSERT_EQ(0, convert_v(self->fd, l.handle, S, 0, NULL, &c));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(0, memcmp(self->v1, c.value, sizeof(c.value)));
	ASSERT_EQ(0, convert_v(self->fd, l.handle, X, 0, NULL, &c));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(0, memcmp(self->v1, c.value, sizeof(c.value)));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));

	/* Items of LOCKDEV_SET_ITEM_SIZE_VER1, one lock valid, one new. */
	ASSERT_EQ(LOCKDEV_SET_ITEM_SIZE_VER1, sizeof(it[0]));
	set_item(&it[0], "g", S, 0);
	set_item(&it[1], "g-new", S, 0);
	ASSERT_EQ(0, set_call(self->fd2, it, 2, LV, 0, &s));
	EXPECT_EQ(0, it[0].result);
	EXPECT_EQ(0, memcmp(self->v1, it[0].value, sizeof(it[0].value)));
	EXPECT_EQ(RES_NV, it[1].result);
	EXPECT_EQ(0, memcmp(zero, it[1].value, sizeof(it[1].value)));
}

/* SET_VALUE from SHARED or NONE: EPERM, and the lock stays held as it was. */
TEST_F(val, set_from_shared_or_none)
{
	static const __u32 modes[] = { S, N };
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l;
	unsigned int i;

	ASSERT_EQ(0, lockv(self->fd, "p", X, 0, &l));
	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		ASSERT_EQ(0, lockv(self->fd, "p", modes[i], 0, &l));
		EXPECT_EQ(-1, unlock_v(self->fd, l.handle, NULL, SETV_U,
				       self->v2));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(-1, unlock_v(self->fd, 0, "p", SETV_U, self->v2));
		EXPECT_EQ(EPERM, errno);
		/* Down to NONE from SHARED with SET_VALUE: EPERM too. */
		if (modes[i] == S) {
			EXPECT_EQ(-1, convert_v(self->fd, l.handle, N, SETV_C,
						self->v2, &c));
			EXPECT_EQ(EPERM, errno);
		}
		EXPECT_EQ(1, list_count(self->fd));
		ASSERT_EQ(0, query(self->fd, "p", &q, e, MAXE));
		EXPECT_EQ(1, q.nr_entries);
		EXPECT_EQ(modes[i], e[0].mode);
		EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
		expect_value(_metadata, self->fd2, "p", self->v1);
		ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	}
	expect_value(_metadata, self->fd2, "p", self->v1);
}

/* A downgrading CONVERT with SET_VALUE sets it; an upgrade with it is EPERM. */
TEST_F(val, set_by_convert)
{
	struct lockdev_convert c;
	struct lockdev_lock l, o;
	__u8 v3[LOCKDEV_VALUE_LEN];

	memset(v3, 0x5a, sizeof(v3));
	ASSERT_EQ(0, lockv(self->fd, "c", X, 0, &l));
	ASSERT_EQ(0, convert_v(self->fd, l.handle, S, SETV_C, self->v1, &c));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(0, memcmp(self->v1, c.value, sizeof(c.value)));
	expect_value(_metadata, self->fd2, "c", self->v1);

	/* Up with SET_VALUE: EPERM, still SHARED, value as it was. */
	EXPECT_EQ(-1, convert_v(self->fd, l.handle, X, SETV_C, self->v2, &c));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(1, count_state(self->fd2, "c", LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, count_state(self->fd2, "c", LOCKDEV_STATE_CONVERTING));
	expect_value(_metadata, self->fd2, "c", self->v1);

	/* APPEND down to NONE, setting it. */
	ASSERT_EQ(0, convert_v(self->fd, l.handle, A, 0, NULL, &c));
	ASSERT_EQ(0, convert_v(self->fd, l.handle, N, SETV_C, self->v2, &c));
	expect_value(_metadata, self->fd2, "c", self->v2);

	/* From NONE up with SET_VALUE: EPERM, still NONE. */
	EXPECT_EQ(-1, convert_v(self->fd, l.handle, X, SETV_C, v3, &c));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, lockv(self->fd2, "c", X, NONBLOCK, &o));
	ASSERT_EQ(0, unlock_handle(self->fd2, o.handle));
	expect_value(_metadata, self->fd2, "c", self->v2);

	/* EXCLUSIVE down to APPEND, setting it. */
	ASSERT_EQ(0, convert_v(self->fd, l.handle, X, 0, NULL, &c));
	ASSERT_EQ(0, convert_v(self->fd, l.handle, A, SETV_C, v3, &c));
	EXPECT_EQ(0, memcmp(v3, c.value, sizeof(c.value)));
	expect_value(_metadata, self->fd2, "c", v3);
}

/* A holder in EXCLUSIVE or APPEND that dies invalidates it; in SHARED not. */
TEST_F(val, dead_holder_invalidates)
{
	static const __u32 modes[] = { X, A, S };
	struct lockdev_lock l;
	struct act_reply r;
	unsigned int i;
	__u8 got[LOCKDEV_VALUE_LEN];

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		ASSERT_EQ(0, lockv(self->fd, "d", X, 0, &l));
		ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U,
				      self->v1));
		actor_start(_metadata, &self->ac, -1);
		actor_call(_metadata, &self->ac, ACT_ATTACH, self->space, 0600,
			   0, 0, &r);
		ASSERT_EQ(0, r.ret);
		actor_hold(_metadata, &self->ac, "d", modes[i], 0);
		locker_kill(&self->ac);
		ASSERT_TRUE(wait_no_entry(self->fd, "d", 0));
		if (modes[i] == S) {
			expect_value(_metadata, self->fd, "d", self->v1);
			continue;
		}
		EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | Q_IDLE | Q_NV,
			  query_v(_metadata, self->fd, "d", got));
		EXPECT_EQ(0, memcmp(zero, got, sizeof(got)));
		ASSERT_EQ(0, lockv(self->fd, "d", X, 0, &l));
		EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED | RES_NV, l.result);
		EXPECT_EQ(0, memcmp(zero, l.value, sizeof(l.value)));
		ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_CONSISTENT,
				   &(struct lockdev_consistent){
					.handle = l.handle }));
		ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
		/* Marked consistent, the value is still not valid. */
		expect_value(_metadata, self->fd, "d", NULL);
	}
}

/* Dropped by the LRU bound and asked for again: not valid. */
TEST_F(val, dropped_invalidates)
{
	struct lockdev_lock l;

	ASSERT_EQ(0, write_str(PER_SPACE, "1\n"));
	ASSERT_EQ(0, lockv(self->fd, "lru", X, 0, &l));
	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));
	expect_value(_metadata, self->fd, "lru", self->v1);
	ASSERT_EQ(0, lockv(self->fd, "other", S, 0, &l));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	ASSERT_EQ(0, lockv(self->fd, "lru", S, 0, &l));
	EXPECT_EQ(RES_NV, l.result);
	EXPECT_EQ(0, memcmp(zero, l.value, sizeof(l.value)));
	expect_value(_metadata, self->fd2, "lru", NULL);
}

/* Unknown UNLOCK and CONVERT flags: EINVAL, and the lock stays held. */
TEST_F(val, unknown_flags)
{
	static const __u32 bad_u[] = { 0x2, 0x10, 0x80000000u };
	static const __u32 bad_c[] = { 0x20, 0x40, LOCKDEV_LOCK_ASYNC };
	struct lockdev_convert c;
	struct lockdev_lock l;
	unsigned int i;

	ASSERT_EQ(0, lockv(self->fd, "f", X, 0, &l));
	for (i = 0; i < ARRAY_SIZE(bad_u); i++) {
		EXPECT_EQ(-1, unlock_v(self->fd, l.handle, NULL,
				       bad_u[i] | SETV_U, self->v1));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, unlock_v(self->fd, l.handle, NULL, bad_u[i],
				       NULL));
		EXPECT_EQ(EINVAL, errno);
	}
	for (i = 0; i < ARRAY_SIZE(bad_c); i++) {
		EXPECT_EQ(-1, convert_v(self->fd, l.handle, S, bad_c[i], NULL,
					&c));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(1, count_state(self->fd2, "f", LOCKDEV_STATE_HELD));
	expect_value(_metadata, self->fd2, "f", NULL);
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
}

/*
 * A call reads only its struct's inputs and writes only its outputs: what
 * the caller left in an output field, or in value without SET_VALUE, is
 * neither read nor kept, and every input field reads back as it was.
 */
TEST_F(val, inputs_kept_outputs_written)
{
	struct lockdev_convert c, cin;
	struct lockdev_lock l, lin;
	struct lockdev_unlock u;

	lock_input(&l, "io", X, 0);
	lin = l;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(0, memcmp(&lin, &l, offsetof(struct lockdev_lock, result)));
	EXPECT_EQ(0, l.result);
	EXPECT_NE(0, l.handle);
	EXPECT_NE(0, l.generation);
	EXPECT_EQ(0, memcmp(zero, l.value, sizeof(zero)));
	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));

	ASSERT_EQ(0, lock_call(self->fd, "io", X, 0, &l));
	/* Without SET_VALUE, a value passed to UNLOCK is ignored. */
	memset(&u, 0, sizeof(u));
	poison(u.value, sizeof(u.value));
	u.handle = l.handle;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_UNLOCK, &u));
	expect_value(_metadata, self->fd2, "io", self->v1);

	/* Nor to CONVERT; its deadline_ns, among its outputs, is kept. */
	ASSERT_EQ(0, lock_call(self->fd, "io", X, 0, &l));
	convert_input(&c, l.handle, S, LOCKDEV_LOCK_DEADLINE);
	/* No deadline (2^63 - 1 or more): a downgrade does not wait anyway. */
	c.deadline_ns = ~0ULL >> 1;
	cin = c;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_CONVERT, &c));
	EXPECT_EQ(0, memcmp(&cin, &c, offsetof(struct lockdev_convert, result)));
	EXPECT_EQ(cin.deadline_ns, c.deadline_ns);
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_EQ(0, memcmp(zero, c.value, sizeof(zero)));
	expect_value(_metadata, self->fd2, "io", self->v1);
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
}

/*
 * A caller's size that holds part of the value block gets none of it
 * written: LOCK and CONVERT at their VER0 size plus 8, and LOCK_SET items
 * of LOCKDEV_SET_ITEM_SIZE_VER0 plus 8, asking for the value.
 */
TEST_F(val, value_cut_by_size)
{
	unsigned int lock_nr = _IOC_NR(LOCKDEV_IOC_LOCK);
	unsigned int cv_nr = _IOC_NR(LOCKDEV_IOC_CONVERT);
	char items[2 * (LOCKDEV_SET_ITEM_SIZE_VER0 + 8)];
	const __u32 isz = LOCKDEV_SET_ITEM_SIZE_VER0 + 8;
	struct lockdev_set_item it;
	struct lockdev_convert c;
	struct lockdev_lock_set s;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lockv(self->fd, "cut", X, 0, &l));
	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));

	lock_input(&l, "cut", X, LV);
	ASSERT_EQ(0, ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE,
					  LOCKDEV_IOC_MAGIC, lock_nr,
					  LOCKDEV_LOCK_SIZE_VER0 + 8), &l));
	EXPECT_NE(0, l.handle);
	EXPECT_EQ(0, l.result);
	EXPECT_TRUE(poisoned(l.value, sizeof(l.value)));

	convert_input(&c, l.handle, S, LV);
	ASSERT_EQ(0, ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE,
					  LOCKDEV_IOC_MAGIC, cv_nr,
					  LOCKDEV_CONVERT_SIZE_VER0 + 8), &c));
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_TRUE(poisoned(c.value, sizeof(c.value)));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));

	for (i = 0; i < 2; i++) {
		set_item(&it, i ? "cut-2" : "cut", S, 0);
		memcpy(items + i * isz, &it, isz);
	}
	poison(&s, sizeof(s));
	s.items = ptr(items);
	s.nr_items = 2;
	s.item_size = isz;
	s.flags = LV;
	s.deadline_ns = 0;
	s.pad = 0;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_LOCK_SET, &s));
	for (i = 0; i < 2; i++) {
		memcpy(&it, items + i * isz, isz);
		EXPECT_NE(0, it.handle);
		EXPECT_TRUE(poisoned(it.value, 8));
	}
	EXPECT_EQ(2, list_count(self->fd));
}

/*
 * The structs of before the value block: LOCK, UNLOCK, CONVERT and QUERY
 * at their VER0 sizes, and LOCK_SET items of LOCKDEV_SET_ITEM_SIZE_VER0,
 * still work, and nothing is written past the size given.
 */
TEST_F(val, ver0_sizes)
{
	struct lockdev_lock l;
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_unlock u;
	struct lockdev_lock_set s;
	struct lockdev_set_item it;
	char items[2 * LOCKDEV_SET_ITEM_SIZE_VER0];
	__u64 handle;

	ASSERT_EQ(0, lockv(self->fd, "old", X, 0, &l));
	ASSERT_EQ(0, unlock_v(self->fd, l.handle, NULL, SETV_U, self->v1));

	lock_input(&l, "old", S, 0);
	ASSERT_EQ(0, ioctl(self->fd, IOC_LOCK_VER0, &l));
	EXPECT_NE(0, l.handle);
	EXPECT_NE(0, l.generation);
	EXPECT_EQ(0, l.result);
	EXPECT_TRUE(poisoned(l.value, sizeof(l.value)));
	handle = l.handle;

	convert_input(&c, handle, N, 0);
	ASSERT_EQ(0, ioctl(self->fd, IOC_CONVERT_VER0, &c));
	EXPECT_NE(0, c.generation);
	EXPECT_TRUE(poisoned(c.value, sizeof(c.value)));

	poison(&q, sizeof(q));
	q.name = ptr("old");
	q.name_len = 3;
	q.flags = 0;
	q.entries = 0;
	q.nr_entries = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOC_QUERY_VER0, &q));
	EXPECT_EQ(c.generation, q.generation);
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_TRUE(poisoned(q.value, sizeof(q.value)));

	memset(&u, 0, sizeof(u));
	poison(u.value, sizeof(u.value));
	u.handle = handle;
	ASSERT_EQ(0, ioctl(self->fd, IOC_UNLOCK_VER0, &u));
	EXPECT_EQ(0, list_count(self->fd));
	expect_value(_metadata, self->fd2, "old", self->v1);

	/* Two items of the old size. */
	set_item(&it, "old", S, 0);
	memcpy(items, &it, LOCKDEV_SET_ITEM_SIZE_VER0);
	set_item(&it, "old-2", X, 0);
	memcpy(items + LOCKDEV_SET_ITEM_SIZE_VER0, &it,
	       LOCKDEV_SET_ITEM_SIZE_VER0);
	poison(&s, sizeof(s));
	s.items = ptr(items);
	s.nr_items = 2;
	s.item_size = LOCKDEV_SET_ITEM_SIZE_VER0;
	s.flags = 0;
	s.deadline_ns = 0;
	s.pad = 0;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_LOCK_SET, &s));
	EXPECT_EQ(LOCKDEV_SET_NONE, s.failed);
	memcpy(&it, items, LOCKDEV_SET_ITEM_SIZE_VER0);
	EXPECT_NE(0, it.handle);
	EXPECT_EQ(0, it.result);
	memcpy(&it, items + LOCKDEV_SET_ITEM_SIZE_VER0,
	       LOCKDEV_SET_ITEM_SIZE_VER0);
	EXPECT_NE(0, it.handle);
	/* New, but the value was not asked for. */
	EXPECT_EQ(0, it.result);
	EXPECT_EQ(2, list_count(self->fd));
}

TEST_HARNESS_MAIN
