// SPDX-License-Identifier: GPL-2.0
/*
 * Dovecot's append-only transaction log (dovecot.index.log): readers take
 * it SHARED and are never blocked by appenders, appenders take it APPEND,
 * one at a time, and assign the next UIDs (strictly increasing, never
 * twice), and an expunge or index rewrite takes it EXCLUSIVE and is never
 * starved by readers that keep arriving: its worst wait must stay under a
 * bound (LOCKDEV_SCEN_BOUND_MS, 1000 by default). The next UID travels in
 * the lock's value block: an appender reads it from the log's index only
 * when the value is not valid (a new lock), and sets it as it unlocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scen.h"

#define SPACE		"scen-dovecot"
#define LOG		"log:INBOX"
#define LOG_MAX		65536

struct state {
	uint64_t uid[LOG_MAX];		/* the log's records, by UID */
	uint64_t nr;			/* records in the log */
	uint64_t next_uid;
	uint64_t expunged;
	int readers, appending;		/* inside the lock now */
	uint64_t expunge_seq;		/* odd while an expunge asks or holds */
	int stop;
	uint64_t reads, reads_behind_expunge, reads_blocked_by_append;
	uint64_t reads_with_append, appends;
	uint64_t expunges, expunges_waited, worst_expunge_ns;
	uint64_t value_reads, value_invalid, value_stale;
};

static struct state *st;

/* The log as a reader sees it: UIDs strictly increasing. */
static void check_log(const char *who)
{
	uint64_t i, n = __atomic_load_n(&st->nr, __ATOMIC_ACQUIRE);

	for (i = 1; i < n; i++)
		if (st->uid[i] <= st->uid[i - 1])
			scen_die("%s: UID %llu after %llu at record %llu", who,
				 (unsigned long long)st->uid[i],
				 (unsigned long long)st->uid[i - 1],
				 (unsigned long long)i);
}

static void reader(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_grant g;
	uint64_t seq;
	int ret;

	(void)id;
	(void)arg;
	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		seq = __atomic_load_n(&st->expunge_seq, __ATOMIC_SEQ_CST);
		ret = lockdev_trylock(ld, LOG, LOCKDEV_MODE_SHARED, 0, &g);
		if (ret == -EAGAIN) {
			/* Only an expunge, asking or holding, may stop us. */
			if (!(seq & 1) &&
			    seq == __atomic_load_n(&st->expunge_seq,
						   __ATOMIC_SEQ_CST))
				__atomic_add_fetch(&st->reads_blocked_by_append,
						   1, __ATOMIC_RELAXED);
			else
				__atomic_add_fetch(&st->reads_behind_expunge,
						   1, __ATOMIC_RELAXED);
			ret = lockdev_lock(ld, LOG, LOCKDEV_MODE_SHARED, 0,
					   LOCKDEV_RESTART, &g);
		}
		scen_ok(ret, "reader lock");
		__atomic_add_fetch(&st->readers, 1, __ATOMIC_SEQ_CST);
		check_log("reader");
		usleep(500 + scen_rand() % 1000);
		if (__atomic_load_n(&st->appending, __ATOMIC_SEQ_CST))
			__atomic_add_fetch(&st->reads_with_append, 1,
					   __ATOMIC_RELAXED);
		check_log("reader");
		__atomic_sub_fetch(&st->readers, 1, __ATOMIC_SEQ_CST);
		scen_ok(lockdev_unlock(ld, g.handle), "reader unlock");
		__atomic_add_fetch(&st->reads, 1, __ATOMIC_RELAXED);
		usleep(scen_rand() % 200);
	}
	lockdev_close(ld);
}

/* The next UID as granted: from the value, else from the log's index. */
static uint64_t next_uid(const struct lockdev_value *v)
{
	uint64_t next;

	if (!v->valid) {
		st->value_invalid++;
		return st->next_uid + 1;
	}
	memcpy(&next, v->data, sizeof(next));
	st->value_reads++;
	if (next != st->next_uid + 1)
		st->value_stale++;
	return next;
}

static void appender(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_value v;
	struct lockdev_grant g;
	uint64_t n, uid, next;
	int k;

	(void)id;
	(void)arg;
	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		scen_ok(lockdev_lock_value(ld, LOG, LOCKDEV_MODE_APPEND, 0,
					   LOCKDEV_FOREVER, LOCKDEV_RESTART,
					   &g, &v), "appender lock");
		if (__atomic_exchange_n(&st->appending, 1, __ATOMIC_SEQ_CST))
			scen_die("two appenders at once");
		next = next_uid(&v);
		for (k = 1 + scen_rand() % 3; k; k--) {
			n = st->nr;
			uid = next++;
			st->next_uid = uid;
			if (n == LOG_MAX)
				scen_die("the log is full");
			if (n && st->uid[n - 1] >= uid)
				scen_die("UID %llu after %llu",
					 (unsigned long long)uid,
					 (unsigned long long)st->uid[n - 1]);
			st->uid[n] = uid;
			__atomic_store_n(&st->nr, n + 1, __ATOMIC_RELEASE);
			st->appends++;
			usleep(200);
		}
		__atomic_store_n(&st->appending, 0, __ATOMIC_SEQ_CST);
		scen_ok(lockdev_unlock_value(ld, g.handle, &next,
					     sizeof(next)),
			"appender unlock");
		usleep(scen_rand() % 2000);
	}
	lockdev_close(ld);
}

/* Expunge: drop the older half of the log, alone, then let the rest go on. */
static void expunger(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	int i, nr = *(int *)arg;
	struct lockdev_grant g;
	uint64_t t0, wait, keep;
	bool busy;

	(void)id;
	for (i = 0; i < nr; i++) {
		usleep(10000 + scen_rand() % 20000);
		__atomic_add_fetch(&st->expunge_seq, 1, __ATOMIC_SEQ_CST);
		busy = __atomic_load_n(&st->readers, __ATOMIC_SEQ_CST);
		t0 = now_ns();
		scen_ok(lockdev_timedlock(ld, LOG, LOCKDEV_MODE_EXCLUSIVE, 0,
					  30 * SCEN_SEC, LOCKDEV_RESTART, &g),
			"expunge lock");
		wait = now_ns() - t0;
		scen_max(&st->worst_expunge_ns, wait);
		if (busy)
			st->expunges_waited++;
		if (__atomic_load_n(&st->readers, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&st->appending, __ATOMIC_SEQ_CST))
			scen_die("the expunge is not alone");
		check_log("expunge");
		keep = st->nr / 2;
		st->expunged += st->nr - keep;
		memmove(st->uid, st->uid + st->nr - keep,
			keep * sizeof(st->uid[0]));
		__atomic_store_n(&st->nr, keep, __ATOMIC_RELEASE);
		st->expunges++;
		scen_ok(lockdev_unlock(ld, g.handle), "expunge unlock");
		__atomic_add_fetch(&st->expunge_seq, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	lockdev_close(ld);
}

/* The modes themselves: readers with an appender, appenders one at a time. */
static void check_modes(void)
{
	struct lockdev *r1 = scen_open(SPACE), *r2 = scen_open(SPACE);
	struct lockdev *a1 = scen_open(SPACE), *a2 = scen_open(SPACE);

	scen_check(!lockdev_trylock(r1, LOG, LOCKDEV_MODE_SHARED, 0, NULL) &&
		   !lockdev_trylock(a1, LOG, LOCKDEV_MODE_APPEND, 0, NULL) &&
		   !lockdev_trylock(r2, LOG, LOCKDEV_MODE_SHARED, 0, NULL),
		   "readers_and_an_appender_together");
	scen_check(lockdev_trylock(a2, LOG, LOCKDEV_MODE_APPEND, 0, NULL) ==
		   -EAGAIN, "second_appender_waits");
	lockdev_close(a2);
	/* Closing a session that appends would leave the lock owner-died. */
	scen_ok(lockdev_unlock_name(a1, LOG), "unlock");
	lockdev_close(a1);
	lockdev_close(r2);
	lockdev_close(r1);
}

int main(int argc, char **argv)
{
	int i, n, appenders, expunges, bound_ms = 1000;
	const char *bound = getenv("LOCKDEV_SCEN_BOUND_MS");
	uint64_t t0;
	pid_t pids[64];

	scen_start(argc, argv, "dovecot-log",
		   "readers, appenders assigning UIDs, and expunges on one transaction log",
		   6, 100);
	if (bound && atoi(bound) > 0)
		bound_ms = atoi(bound);
	st = scen_shared(sizeof(*st));
	check_modes();

	n = scen_procs < 63 ? scen_procs : 63;
	appenders = n / 3 ? n / 3 : 1;
	expunges = scen_ops / 5 > 5 ? scen_ops / 5 : 5;
	t0 = now_ns();
	for (i = 0; i < n; i++)
		pids[i] = scen_spawn(i < appenders ? appender : reader, i, NULL);
	pids[n] = scen_spawn(expunger, n, &expunges);
	scen_check(!scen_reap(pids, n + 1), "workers_clean");
	scen_say("%d readers, %d appenders, 1 expunger for %llu ms",
		 n - appenders, appenders,
		 (unsigned long long)((now_ns() - t0) / SCEN_MS));
	scen_say("%llu reads (%llu while an appender appended, %llu held back by an expunge), %llu UIDs appended, %llu expunges",
		 (unsigned long long)st->reads,
		 (unsigned long long)st->reads_with_append,
		 (unsigned long long)st->reads_behind_expunge,
		 (unsigned long long)st->appends,
		 (unsigned long long)st->expunges);
	scen_say("worst expunge wait %llu.%03llu ms (%llu of %llu arrived with readers inside), bound %d ms",
		 (unsigned long long)(st->worst_expunge_ns / SCEN_MS),
		 (unsigned long long)(st->worst_expunge_ns % SCEN_MS / 1000),
		 (unsigned long long)st->expunges_waited,
		 (unsigned long long)st->expunges, bound_ms);
	scen_check(!st->reads_blocked_by_append,
		   "readers_never_blocked_by_appenders (%llu)",
		   (unsigned long long)st->reads_blocked_by_append);
	check_log("end");
	scen_check(st->next_uid == st->appends &&
		   st->expunged + st->nr == st->appends &&
		   (!st->nr || st->uid[st->nr - 1] == st->next_uid),
		   "uids_unique_and_increasing (%llu assigned)",
		   (unsigned long long)st->next_uid);
	scen_say("next UID from the value block %llu times, from the index %llu times (value not valid)",
		 (unsigned long long)st->value_reads,
		 (unsigned long long)st->value_invalid);
	scen_check(st->value_reads && st->value_invalid == 1 &&
		   !st->value_stale,
		   "next_uid_value_is_the_index (%llu stale)",
		   (unsigned long long)st->value_stale);
	scen_check(st->expunges == (uint64_t)expunges &&
		   st->worst_expunge_ns < bound_ms * SCEN_MS,
		   "expunge_not_starved");
	return scen_end();
}
