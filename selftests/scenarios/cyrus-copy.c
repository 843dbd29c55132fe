// SPDX-License-Identifier: GPL-2.0
/*
 * Cyrus copying mail between two users, by processes that copy in both
 * directions at once. With a lock set (lockdev_lock_set) each copy takes
 * both users in the one order, and nothing can deadlock: no EDEADLK, ever,
 * also when the target is the source or missing. With the naive order
 * (source, then target, plain locks) opposite copies deadlock: every
 * deadlock must be caught (EDEADLK with LOCKDEV_RESULT_CYCLE), reported
 * with a cycle that names both users, and recovered from by releasing the
 * source and retrying, until every copy is done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scen.h"

#define SPACE		"scen-copy"
#define USERS		4
#define LEVEL_USER	10
#define START_MSGS	1000

struct state {
	int64_t msgs[USERS];
	int busy[USERS];		/* a copy has the user locked */
	uint64_t copies;
	uint64_t deadlocks;		/* EDEADLK seen by the naive copiers */
	uint64_t retries_max;
	uint64_t worst_ns;
	int shown;			/* one cycle was printed */
};

static struct state *st;

static const char *user_name(int u)
{
	static const char *const names[USERS] = {
		"user:u0", "user:u1", "user:u2", "user:u3",
	};

	return names[u];
}

/* Move one message from @from to @to, with both users locked. */
static void move(int from, int to)
{
	if (__atomic_exchange_n(&st->busy[from], 1, __ATOMIC_SEQ_CST) ||
	    (to != from &&
	     __atomic_exchange_n(&st->busy[to], 1, __ATOMIC_SEQ_CST)))
		scen_die("two copies hold user u%d or u%d at once", from, to);
	if (st->msgs[from] > 0) {
		st->msgs[from]--;
		st->msgs[to]++;
	}
	__atomic_store_n(&st->busy[from], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&st->busy[to], 0, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&st->copies, 1, __ATOMIC_RELAXED);
}

/* Copies with a lock set: from and to in any order, to maybe missing. */
static void set_worker(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_set_req r[2];
	unsigned int failed;
	int i, from, to, ret;
	uint64_t t0;

	(void)arg;
	for (i = 0; i < scen_ops; i++) {
		from = (id + i) % USERS;
		to = scen_rand() % 8 ? (int)(scen_rand() % USERS) : -1;
		memset(r, 0, sizeof(r));
		r[0].name = user_name(from);
		r[1].name = to < 0 ? NULL : user_name(to);
		r[0].mode = r[1].mode = LOCKDEV_MODE_EXCLUSIVE;
		r[0].level = r[1].level = LEVEL_USER;
		t0 = now_ns();
		ret = lockdev_lock_set(ld, r, 2, LOCKDEV_FOREVER,
				       LOCKDEV_RESTART, &failed);
		if (ret)
			scen_die("lock set u%d, u%d: %s", from, to,
				 lockdev_strerror(ret, failed < 2 ?
						  r[failed].result : 0));
		scen_max(&st->worst_ns, now_ns() - t0);
		move(from, to < 0 ? from : to);
		scen_ok(lockdev_unlock_set(ld, r, 2), "unlock set");
	}
	lockdev_close(ld);
}

static bool member_is(const struct lockdev_cycle_member *m, bool held,
		      const char *name)
{
	return held ? scen_is(m->held_name, m->held_name_len, name) :
		      scen_is(m->wait_name, m->wait_name_len, name);
}

/*
 * The report of the deadlock this copier ran into: a cycle, this session
 * first, holding @from and waiting for @to, each member holding what the
 * one before it waits for.
 */
static void check_cycle(struct lockdev *ld, int from, int to)
{
	struct lockdev_cycle_member m[LOCKDEV_CYCLE_MAX];
	struct lockdev_deadlock_info info;
	int i, n = lockdev_deadlock(ld, &info, m, LOCKDEV_CYCLE_MAX);

	if (n < 2 || n > LOCKDEV_CYCLE_MAX ||
	    info.reason != LOCKDEV_RESULT_CYCLE)
		scen_die("deadlock report: %d members, reason %#x", n,
			 info.reason);
	if (!member_is(&m[0], true, user_name(from)) ||
	    !member_is(&m[0], false, user_name(to)))
		scen_die("the report does not start with u%d -> u%d", from, to);
	for (i = 0; i < n; i++)
		if (m[i].held_name_len != m[(i + n - 1) % n].wait_name_len ||
		    memcmp(m[i].held_name, m[(i + n - 1) % n].wait_name,
			   m[i].held_name_len))
			scen_die("member %d of the cycle holds %.*s, the one before waits for %.*s",
				 i, (int)m[i].held_name_len,
				 (char *)m[i].held_name,
				 (int)m[(i + n - 1) % n].wait_name_len,
				 (char *)m[(i + n - 1) % n].wait_name);
	if (__atomic_exchange_n(&st->shown, 1, __ATOMIC_SEQ_CST))
		return;
	for (i = 0; i < n; i++)
		scen_say("cycle member %d: pid %u (%.16s) holds %.*s%s, waits for %.*s",
			 i, m[i].pid, (char *)m[i].comm,
			 (int)m[i].held_name_len, (char *)m[i].held_name,
			 m[i].flags & LOCKDEV_MEMBER_QUEUED ? " (queued)" : "",
			 (int)m[i].wait_name_len, (char *)m[i].wait_name);
}

/*
 * Naive copies, source then target: workers 2k and 2k+1 copy between the
 * same two users in opposite directions. A deadlock ends in releasing the
 * source, a short random pause and another try.
 */
static void naive_worker(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	int pair = (id / 2) % (USERS / 2);
	int from = 2 * pair + id % 2, to = 2 * pair + 1 - id % 2;
	struct lockdev_grant gf, gt;
	uint64_t tries, t0;
	int i, ret;

	(void)arg;
	for (i = 0; i < scen_ops; i++) {
		t0 = now_ns();
		for (tries = 1; ; tries++) {
			scen_ok(lockdev_lock(ld, user_name(from),
					     LOCKDEV_MODE_EXCLUSIVE, 0,
					     LOCKDEV_RESTART, &gf), "source");
			/* ... open the source mailbox, read the messages ... */
			usleep(scen_rand() % 200);
			ret = lockdev_timedlock(ld, user_name(to),
						LOCKDEV_MODE_EXCLUSIVE, 0,
						30 * SCEN_SEC, LOCKDEV_RESTART,
						&gt);
			if (!ret)
				break;
			if (ret != -EDEADLK || !(gt.result & LOCKDEV_RESULT_CYCLE))
				scen_die("target u%d: %s", to,
					 lockdev_strerror(ret, gt.result));
			check_cycle(ld, from, to);
			__atomic_add_fetch(&st->deadlocks, 1, __ATOMIC_RELAXED);
			scen_ok(lockdev_unlock(ld, gf.handle), "unlock source");
			usleep(scen_rand() % 1000);
		}
		scen_max(&st->worst_ns, now_ns() - t0);
		scen_max(&st->retries_max, tries - 1);
		move(from, to);
		scen_ok(lockdev_unlock(ld, gt.handle), "unlock target");
		scen_ok(lockdev_unlock(ld, gf.handle), "unlock source");
	}
	lockdev_close(ld);
}

static void run(const char *what, void (*fn)(int id, void *arg))
{
	long long deadlocks = stat_value("deadlocks");
	long long cycles = stat_value("cycles");
	int i, n = scen_procs < 64 ? scen_procs : 64;
	uint64_t t0 = now_ns();
	int64_t msgs = 0;
	pid_t pids[64];
	char *text;

	for (i = 0; i < USERS; i++)
		st->msgs[i] = START_MSGS;
	st->copies = st->deadlocks = st->retries_max = st->worst_ns = 0;
	for (i = 0; i < n; i++)
		pids[i] = scen_spawn(fn, i, NULL);
	scen_check(!scen_reap(pids, n), "%s.workers_clean", what);
	for (i = 0; i < USERS; i++)
		msgs += st->msgs[i];
	scen_say("%s: %llu copies in %llu ms, %llu deadlocks caught, worst copy %llu ms, at most %llu retries",
		 what, (unsigned long long)st->copies,
		 (unsigned long long)((now_ns() - t0) / SCEN_MS),
		 (unsigned long long)st->deadlocks,
		 (unsigned long long)(st->worst_ns / SCEN_MS),
		 (unsigned long long)st->retries_max);
	scen_check(st->copies == (uint64_t)n * scen_ops, "%s.all_copies_done",
		   what);
	scen_check(msgs == USERS * START_MSGS, "%s.messages_add_up", what);
	deadlocks = stat_value("deadlocks") - deadlocks;
	cycles = stat_value("cycles") - cycles;
	if (fn == set_worker) {
		scen_check(!deadlocks, "%s.never_deadlocks (%lld)", what,
			   deadlocks);
		return;
	}
	scen_check(st->deadlocks > 0, "%s.deadlocks_happened (%llu)", what,
		   (unsigned long long)st->deadlocks);
	scen_check(cycles == deadlocks && (uint64_t)cycles == st->deadlocks,
		   "%s.every_deadlock_reported (module %lld, copiers %llu)",
		   what, cycles, (unsigned long long)st->deadlocks);
	text = read_file("/proc/lockdev/deadlocks");
	scen_check(text && strstr(text, " " SPACE " cycle "),
		   "%s.in_proc_deadlocks", what);
	free(text);
}

int main(int argc, char **argv)
{
	scen_start(argc, argv, "cyrus-copy",
		   "copies between two users in both directions, with a lock set and naively",
		   6, 100);
	st = scen_shared(sizeof(*st));
	run("lock_set", set_worker);
	run("naive", naive_worker);
	return scen_end();
}
