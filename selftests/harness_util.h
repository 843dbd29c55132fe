/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the lockdev selftests that need the kselftest harness
 * (_metadata, ASSERT_*, SKIP): include after kselftest_harness.h and util.h.
 */
#ifndef LOCKDEV_SELFTESTS_HARNESS_UTIL_H
#define LOCKDEV_SELFTESTS_HARNESS_UTIL_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util.h"

static inline void expect_snap(struct __test_metadata *_metadata, int fd,
			       const char *name, const struct snap *before)
{
	struct snap now;
	__u32 i;

	take_snap(fd, name, &now);
	EXPECT_EQ(0, now.ret);
	EXPECT_EQ(before->generation, now.generation);
	EXPECT_EQ(before->lock_flags, now.lock_flags);
	ASSERT_EQ(before->nr, now.nr);
	for (i = 0; i < now.nr && i < MAXE; i++) {
		EXPECT_EQ(before->e[i].session, now.e[i].session);
		EXPECT_EQ(before->e[i].pid, now.e[i].pid);
		EXPECT_EQ(before->e[i].mode, now.e[i].mode);
		EXPECT_EQ(before->e[i].state, now.e[i].state);
		EXPECT_EQ(before->e[i].level, now.e[i].level);
	}
}

/*
 * The lock must not exist (never asked for, or dropped): generation 0,
 * nobody in it, entries untouched.
 */
static inline void expect_no_lock(struct __test_metadata *_metadata, int fd,
				  const char *name)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;

	ASSERT_EQ(0, query(fd, name, &q, e, 2));
	EXPECT_EQ(0, q.generation);
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_TRUE(poisoned(e, sizeof(e)));
}

/*
 * The lock exists but nobody holds or awaits it: resident and idle, with a
 * generation (returned), entries untouched.
 */
static inline __u64 expect_idle_lock(struct __test_metadata *_metadata,
				     int fd, const char *name)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;

	ASSERT_EQ(0, query(fd, name, &q, e, 2));
	EXPECT_NE(0, q.generation);
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, q.lock_flags);
	EXPECT_TRUE(poisoned(e, sizeof(e)));
	return q.generation;
}

/*
 * Nobody holds or awaits the lock: it does not exist, or it is idle (a
 * failed call may have brought it into existence).
 */
static inline void expect_unheld(struct __test_metadata *_metadata, int fd,
				 const char *name)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;

	ASSERT_EQ(0, query(fd, name, &q, e, 2));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(q.generation ? LOCKDEV_QUERY_IDLE : 0, q.lock_flags);
	EXPECT_TRUE(poisoned(e, sizeof(e)));
}

/* Skip when the module does not implement the lock calls. */
static inline void require_lock_feature(struct __test_metadata *_metadata)
{
	struct lockdev_version v = { 0 };
	int fd = open_session();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_VERSION, &v));
	close(fd);
	if (!(v.features & LOCKDEV_FEATURE_LOCK))
		SKIP(_exit(255), "the module lacks LOCKDEV_FEATURE_LOCK");
}

/*
 * Start a locker on @name: its own session if @fd < 0, else the test's
 * session @fd, shared. After each grant it writes @idx to @order if >= 0.
 */
static inline void locker_start(struct __test_metadata *_metadata,
				struct locker *lk, int fd, const char *name,
				int order, int idx)
{
	int c[2], r[2];

	ASSERT_EQ(0, pipe(c));
	ASSERT_EQ(0, pipe(r));
	fflush(stdout);
	fflush(stderr);
	lk->pid = fork();
	ASSERT_LE(0, lk->pid);
	if (lk->pid == 0) {
		close(c[1]);
		close(r[0]);
		locker_main(fd, name, c[0], r[1], order, idx);
	}
	close(c[0]);
	close(r[1]);
	lk->cmd = c[1];
	lk->reply = r[0];
}

static inline void locker_send(struct __test_metadata *_metadata,
			       struct locker *lk, const struct locker_cmd *c)
{
	ASSERT_EQ(0, write_all(lk->cmd, c, sizeof(*c)));
}

/* Ask the locker to lock in @mode with @flags; the answer comes later. */
static inline void locker_lock(struct __test_metadata *_metadata,
			       struct locker *lk, __u32 mode, __u32 flags)
{
	struct locker_cmd c = { .op = OP_LOCK, .mode = mode, .flags = flags };

	locker_send(_metadata, lk, &c);
}

/* Send one command and wait for its answer, which must come. */
static inline void locker_call(struct __test_metadata *_metadata,
			       struct locker *lk, __u32 op, __u32 mode,
			       __u32 flags, struct locker_reply *r)
{
	struct locker_cmd c = { .op = op, .mode = mode, .flags = flags };

	locker_send(_metadata, lk, &c);
	ASSERT_TRUE(locker_answer(lk, r, WAIT_MS)) {
		TH_LOG("locker %d did not answer op %u", lk->pid, op);
	}
}

/* Lock in @mode from the locker; the grant must come at once. */
static inline void locker_must_lock(struct __test_metadata *_metadata,
				    struct locker *lk, __u32 mode,
				    struct locker_reply *r)
{
	locker_call(_metadata, lk, OP_LOCK, mode, 0, r);
	ASSERT_EQ(0, r->ret) {
		TH_LOG("locker %d: lock failed with errno %d", lk->pid, r->err);
	}
}

/* Ask for @mode, blocking, and wait until QUERY shows the request waiting. */
static inline void locker_must_wait(struct __test_metadata *_metadata,
				    struct locker *lk, int fd,
				    const char *name, __u32 mode)
{
	struct locker_reply r;

	locker_lock(_metadata, lk, mode, 0);
	ASSERT_TRUE(wait_entry(fd, name, lk->pid, LOCKDEV_STATE_WAITING)) {
		if (locker_answer(lk, &r, 0))
			TH_LOG("locker %d did not wait: ret %d errno %d",
			       lk->pid, r.ret, r.err);
		else
			TH_LOG("locker %d never showed up waiting", lk->pid);
	}
}

/* The locker must not have answered anything within QUIET_MS. */
static inline void locker_quiet(struct __test_metadata *_metadata,
				struct locker *lk, int ms)
{
	struct locker_reply r;

	ASSERT_FALSE(locker_answer(lk, &r, ms)) {
		TH_LOG("locker %d answered op %u: ret %d errno %d, expected no answer",
		       lk->pid, r.op, r.ret, r.err);
	}
}

/* Wait for the answer to an earlier request, which must be a grant. */
static inline void locker_granted(struct __test_metadata *_metadata,
				  struct locker *lk, struct locker_reply *r)
{
	ASSERT_TRUE(locker_answer(lk, r, WAIT_MS)) {
		TH_LOG("locker %d was not granted in time", lk->pid);
	}
	ASSERT_EQ(0, r->ret) {
		TH_LOG("locker %d: errno %d, expected a grant", lk->pid, r->err);
	}
}

/* ---- actors (util.h) ---- */

/* Start an actor: its own session if @fd < 0, else the test's @fd, shared. */
static inline void actor_start(struct __test_metadata *_metadata,
			       struct locker *lk, int fd)
{
	int c[2], r[2];

	ASSERT_EQ(0, pipe(c));
	ASSERT_EQ(0, pipe(r));
	fflush(stdout);
	fflush(stderr);
	lk->pid = fork();
	ASSERT_LE(0, lk->pid);
	if (lk->pid == 0) {
		close(c[1]);
		close(r[0]);
		actor_main(fd, c[0], r[1]);
	}
	close(c[0]);
	close(r[1]);
	lk->cmd = c[1];
	lk->reply = r[0];
}

static inline void actor_send(struct __test_metadata *_metadata,
			      struct locker *lk, __u32 op, const char *name,
			      __u32 mode, __u32 flags, __u32 level)
{
	struct act_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.mode = mode;
	c.flags = flags;
	c.level = level;
	if (name) {
		ASSERT_GT(sizeof(c.name), strlen(name));
		memcpy(c.name, name, strlen(name) + 1);
	}
	ASSERT_EQ(0, write_all(lk->cmd, &c, sizeof(c)));
}

/* Wait for the answer to an earlier command, which must come. */
static inline void actor_wait(struct __test_metadata *_metadata,
			      struct locker *lk, struct act_reply *r)
{
	ASSERT_TRUE(actor_answer(lk, r, WAIT_MS)) {
		TH_LOG("actor %d did not answer in time", lk->pid);
	}
}

/* Send one command and wait for its answer. */
static inline void actor_call(struct __test_metadata *_metadata,
			      struct locker *lk, __u32 op, const char *name,
			      __u32 mode, __u32 flags, __u32 level,
			      struct act_reply *r)
{
	actor_send(_metadata, lk, op, name, mode, flags, level);
	actor_wait(_metadata, lk, r);
}

/* The actor takes @name in @mode at @level: the grant must come at once. */
static inline void actor_hold(struct __test_metadata *_metadata,
			      struct locker *lk, const char *name, __u32 mode,
			      __u32 level)
{
	struct act_reply r;

	actor_call(_metadata, lk, ACT_LOCK, name, mode, LOCKDEV_LOCK_NONBLOCK,
		   level, &r);
	ASSERT_EQ(0, r.ret) {
		TH_LOG("actor %d: lock %s failed with errno %d", lk->pid, name,
		       r.err);
	}
}

/* The actor releases @name, which it must hold. */
static inline void actor_release(struct __test_metadata *_metadata,
				 struct locker *lk, const char *name)
{
	struct act_reply r;

	actor_call(_metadata, lk, ACT_UNLOCK, name, 0, 0, 0, &r);
	ASSERT_EQ(0, r.ret) {
		TH_LOG("actor %d: unlock %s failed with errno %d", lk->pid,
		       name, r.err);
	}
}

/*
 * The actor asks for @name in @mode with a blocking LOCK; wait until QUERY
 * on @fd shows it waiting (in @state, WAITING for a LOCK). The answer comes
 * later.
 */
static inline void actor_must_wait(struct __test_metadata *_metadata,
				   struct locker *lk, int fd, const char *name,
				   __u32 mode, __u32 level)
{
	struct act_reply r;

	actor_send(_metadata, lk, ACT_LOCK, name, mode, 0, level);
	ASSERT_TRUE(wait_entry(fd, name, lk->pid, LOCKDEV_STATE_WAITING)) {
		if (actor_answer(lk, &r, 0))
			TH_LOG("actor %d did not wait for %s: ret %d errno %d",
			       lk->pid, name, r.ret, r.err);
		else
			TH_LOG("actor %d never showed up waiting for %s",
			       lk->pid, name);
	}
}

/* The actor must not have answered anything within @ms. */
static inline void actor_quiet(struct __test_metadata *_metadata,
			       struct locker *lk, int ms)
{
	struct act_reply r;

	ASSERT_FALSE(actor_answer(lk, &r, ms)) {
		TH_LOG("actor %d answered op %u: ret %d errno %d, expected no answer",
		       lk->pid, r.op, r.ret, r.err);
	}
}

/* Wait for the answer to an earlier request, which must be a grant. */
static inline void actor_granted(struct __test_metadata *_metadata,
				 struct locker *lk, struct act_reply *r)
{
	actor_wait(_metadata, lk, r);
	ASSERT_EQ(0, r->ret) {
		TH_LOG("actor %d: op %u errno %d, expected success", lk->pid,
		       r->op, r->err);
	}
}

/* ---- deadlock reports ---- */

/* The comm of task @pid, NUL-terminated, in @out (17 bytes). */
static inline void comm_of(pid_t pid, char *out)
{
	char path[64];
	FILE *f;

	memset(out, 0, 17);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, 17, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/*
 * Member @m must be task @pid (its comm when @comm is not NULL) holding
 * @held (or with it queued ahead, when @flags has LOCKDEV_MEMBER_QUEUED) in
 * @held_mode at @held_level, and waiting for @wait in @wait_mode at
 * @wait_level; a mode of 0 is not checked. Names are NUL-terminated here.
 */
static inline void expect_member(struct __test_metadata *_metadata,
				 const struct lockdev_cycle_member *m, int i,
				 pid_t pid, const char *comm, __u32 flags,
				 const char *held, __u32 held_mode,
				 __u32 held_level, const char *wait,
				 __u32 wait_mode, __u32 wait_level)
{
	EXPECT_EQ((__u32)pid, m->pid) {
		TH_LOG("member %d: pid %u, expected %d", i, m->pid, pid);
	}
	if (comm) {
		EXPECT_EQ(0, strncmp(comm, (const char *)m->comm, 16)) {
			TH_LOG("member %d: comm \"%.16s\", expected \"%s\"", i,
			       m->comm, comm);
		}
	}
	EXPECT_EQ(flags, m->flags) {
		TH_LOG("member %d: flags %#x, expected %#x", i, m->flags, flags);
	}
	EXPECT_EQ(strlen(held), m->held_name_len) {
		TH_LOG("member %d: held_name_len %u, expected %zu (%s)", i,
		       m->held_name_len, strlen(held), held);
	}
	EXPECT_EQ(0, memcmp(held, m->held_name, strlen(held) + 1)) {
		TH_LOG("member %d: held_name \"%.64s\", expected \"%s\"", i,
		       m->held_name, held);
	}
	if (held_mode)
		EXPECT_EQ(held_mode, m->held_mode) {
			TH_LOG("member %d: held_mode %u, expected %u", i,
			       m->held_mode, held_mode);
		}
	EXPECT_EQ(held_level, m->held_level);
	EXPECT_EQ(strlen(wait), m->wait_name_len) {
		TH_LOG("member %d: wait_name_len %u, expected %zu (%s)", i,
		       m->wait_name_len, strlen(wait), wait);
	}
	EXPECT_EQ(0, memcmp(wait, m->wait_name, strlen(wait) + 1)) {
		TH_LOG("member %d: wait_name \"%.64s\", expected \"%s\"", i,
		       m->wait_name, wait);
	}
	if (wait_mode)
		EXPECT_EQ(wait_mode, m->wait_mode) {
			TH_LOG("member %d: wait_mode %u, expected %u", i,
			       m->wait_mode, wait_mode);
		}
	EXPECT_EQ(wait_level, m->wait_level);
}

/* Each member's held_name must be the previous member's wait_name. */
static inline void expect_cycle_chain(struct __test_metadata *_metadata,
				      const struct lockdev_cycle_member *m,
				      __u32 n)
{
	__u32 i, prev;

	for (i = 0; i < n; i++) {
		prev = (i + n - 1) % n;
		EXPECT_EQ(m[prev].wait_name_len, m[i].held_name_len);
		EXPECT_EQ(0, memcmp(m[prev].wait_name, m[i].held_name,
				    sizeof(m[i].held_name))) {
			TH_LOG("member %u holds \"%.64s\", member %u waits for \"%.64s\"",
			       i, m[i].held_name, prev, m[prev].wait_name);
		}
	}
}

/*
 * /proc/lockdev/deadlocks must hold the report of @m[0..@n): the newest
 * report whose member 0 is task m[0].pid, with reason @reason ("cycle" or
 * "order"), one line per member in lockspace @space (escaped), matching.
 */
static inline void expect_proc_report(struct __test_metadata *_metadata,
				      const char *space, const char *reason,
				      const struct lockdev_cycle_member *m,
				      __u32 n)
{
	char esc[ESC_MAX], comm[4 * 16 + 1], held_mode[32];
	unsigned long long seq = 0;
	struct dl_line *l;
	int nr, i, found = 0, lines = 0;
	__u32 k;

	nr = read_deadlocks(&l);
	ASSERT_LE(0, nr) {
		TH_LOG(DEADLOCKS " unreadable or unparsable (%d)", nr);
	}
	for (i = 0; i < nr; i++)
		if (l[i].member == 0 && l[i].pid == (long)m[0].pid &&
		    !strcmp(l[i].reason, reason) && l[i].seq >= seq) {
			seq = l[i].seq;
			found = 1;
		}
	EXPECT_TRUE(found) {
		TH_LOG("no %s report of pid %u in " DEADLOCKS, reason, m[0].pid);
	}
	for (i = 0; found && i < nr; i++) {
		if (l[i].seq != seq)
			continue;
		lines++;
		k = l[i].member;
		ASSERT_GT(n, k);
		EXPECT_STREQ(space, l[i].space);
		EXPECT_STREQ(reason, l[i].reason);
		EXPECT_LE(0, l[i].age_ms);
		EXPECT_EQ((long)m[k].pid, l[i].pid);
		proc_escape(comm, m[k].comm, strnlen((const char *)m[k].comm, 16));
		EXPECT_STREQ(comm, l[i].comm);
		snprintf(held_mode, sizeof(held_mode), "%s%s",
			 (m[k].flags & LOCKDEV_MEMBER_QUEUED) ? "queued-" : "",
			 mode_name(m[k].held_mode));
		EXPECT_STREQ(held_mode, l[i].held_mode);
		EXPECT_EQ(m[k].held_level, l[i].held_level);
		proc_escape(esc, m[k].held_name, m[k].held_name_len);
		EXPECT_STREQ(esc, l[i].held_name);
		EXPECT_STREQ(mode_name(m[k].wait_mode), l[i].wait_mode);
		EXPECT_EQ(m[k].wait_level, l[i].wait_level);
		proc_escape(esc, m[k].wait_name, m[k].wait_name_len);
		EXPECT_STREQ(esc, l[i].wait_name);
	}
	if (found)
		EXPECT_EQ((int)n, lines) {
			TH_LOG("report %llu has %d lines, expected %u", seq,
			       lines, n);
		}
	free(l);
}

#endif /* LOCKDEV_SELFTESTS_HARNESS_UTIL_H */
