// SPDX-License-Identifier: GPL-2.0
/*
 * Mercurial's read-lock plan: readers (SHARED), appenders (commits, APPEND)
 * and destroyers (strip, rollback: EXCLUSIVE) on one repository store. Any
 * number of readers read at once; appenders exclude each other but not
 * readers; destroyers exclude both and are not starved by readers that
 * keep arriving (worst wait under LOCKDEV_SCEN_BOUND_MS, 1000 by default).
 * A clone, a long reader, is never cut off by a strip: the strip asked
 * while the clone reads waits until it is done, and the clone's copy is
 * whole and consistent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "scen.h"

#define SPACE		"scen-hg"
#define STORE		"repo:store"
#define REV_MAX		65536
#define CLONE_REVS	64

struct state {
	uint64_t rev[REV_MAX];		/* rev[i] hashes rev[i - 1] */
	uint64_t nr;
	uint64_t strips;		/* changes whenever history is cut */
	int readers, appending;
	uint64_t readers_max;
	int stop;
	int clone_in;			/* the clone holds the store */
	uint64_t clone_end, clone_strip_asked, clone_strip_granted;
	int clone_ok;
	uint64_t reads, reads_with_append, commits, stripped;
	uint64_t worst_strip_ns;
};

static struct state *st;

static uint64_t next_rev(uint64_t prev, uint64_t i)
{
	return (prev ^ i) * 0x9e3779b97f4a7c15ULL + 1;
}

/* The first @n revisions form the chain. */
static bool chain_ok(const uint64_t *rev, uint64_t n)
{
	uint64_t i;

	for (i = 1; i < n; i++)
		if (rev[i] != next_rev(rev[i - 1], i))
			return false;
	return true;
}

static void reader(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_grant g;
	uint64_t n;

	(void)id;
	(void)arg;
	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		scen_ok(lockdev_lock(ld, STORE, LOCKDEV_MODE_SHARED, 0,
				     LOCKDEV_RESTART, &g), "reader lock");
		scen_max(&st->readers_max,
			 __atomic_add_fetch(&st->readers, 1, __ATOMIC_SEQ_CST));
		n = __atomic_load_n(&st->nr, __ATOMIC_ACQUIRE);
		if (!chain_ok(st->rev, n))
			scen_die("a reader saw a broken history");
		usleep(500 + scen_rand() % 1000);
		if (__atomic_load_n(&st->appending, __ATOMIC_SEQ_CST))
			__atomic_add_fetch(&st->reads_with_append, 1,
					   __ATOMIC_RELAXED);
		__atomic_sub_fetch(&st->readers, 1, __ATOMIC_SEQ_CST);
		scen_ok(lockdev_unlock(ld, g.handle), "reader unlock");
		__atomic_add_fetch(&st->reads, 1, __ATOMIC_RELAXED);
		usleep(scen_rand() % 200);
	}
	lockdev_close(ld);
}

static void appender(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_grant g;
	uint64_t n;

	(void)id;
	(void)arg;
	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		scen_ok(lockdev_lock(ld, STORE, LOCKDEV_MODE_APPEND, 0,
				     LOCKDEV_RESTART, &g), "commit lock");
		if (__atomic_exchange_n(&st->appending, 1, __ATOMIC_SEQ_CST))
			scen_die("two commits at once");
		n = st->nr;
		if (n == REV_MAX)
			scen_die("the store is full");
		st->rev[n] = next_rev(st->rev[n - 1], n);
		usleep(300);
		__atomic_store_n(&st->nr, n + 1, __ATOMIC_RELEASE);
		st->commits++;
		__atomic_store_n(&st->appending, 0, __ATOMIC_SEQ_CST);
		scen_ok(lockdev_unlock(ld, g.handle), "commit unlock");
		usleep(scen_rand() % 2000);
	}
	lockdev_close(ld);
}

/* Strip the last one or two revisions, alone. */
static void strip(struct lockdev *ld, uint64_t *asked, uint64_t *granted)
{
	struct lockdev_grant g;
	uint64_t cut;

	*asked = now_ns();
	scen_ok(lockdev_timedlock(ld, STORE, LOCKDEV_MODE_EXCLUSIVE, 0,
				  30 * SCEN_SEC, LOCKDEV_RESTART, &g),
		"strip lock");
	*granted = now_ns();
	if (__atomic_load_n(&st->readers, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&st->appending, __ATOMIC_SEQ_CST))
		scen_die("a strip is not alone");
	if (!chain_ok(st->rev, st->nr))
		scen_die("a strip found a broken history");
	cut = 1 + scen_rand() % 2;
	if (st->nr > CLONE_REVS + cut) {
		__atomic_store_n(&st->nr, st->nr - cut, __ATOMIC_RELEASE);
		st->stripped += cut;
	}
	st->strips++;
	scen_ok(lockdev_unlock(ld, g.handle), "strip unlock");
}

static void destroyer(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	uint64_t asked, granted;
	int i, nr = *(int *)arg;

	(void)id;
	while (!__atomic_load_n(&st->clone_in, __ATOMIC_SEQ_CST))
		usleep(1000);
	strip(ld, &st->clone_strip_asked, &st->clone_strip_granted);
	for (i = 1; i < nr; i++) {
		usleep(10000 + scen_rand() % 20000);
		strip(ld, &asked, &granted);
		scen_max(&st->worst_strip_ns, granted - asked);
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	lockdev_close(ld);
}

/* A clone: one long read of the history, copied revision by revision. */
static void clone(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	uint64_t copy[CLONE_REVS], strips, n, i;
	struct lockdev_grant g;

	(void)id;
	(void)arg;
	usleep(20000);
	scen_ok(lockdev_lock(ld, STORE, LOCKDEV_MODE_SHARED, 0,
			     LOCKDEV_RESTART, &g), "clone lock");
	__atomic_store_n(&st->clone_in, 1, __ATOMIC_SEQ_CST);
	strips = __atomic_load_n(&st->strips, __ATOMIC_SEQ_CST);
	n = __atomic_load_n(&st->nr, __ATOMIC_ACQUIRE);
	if (n > CLONE_REVS)
		n = CLONE_REVS;
	for (i = 0; i < n; i++) {
		copy[i] = st->rev[i];
		usleep(3000);
	}
	st->clone_ok = chain_ok(copy, n) && n == CLONE_REVS &&
		       strips == __atomic_load_n(&st->strips, __ATOMIC_SEQ_CST);
	__atomic_store_n(&st->clone_end, now_ns(), __ATOMIC_SEQ_CST);
	scen_ok(lockdev_unlock(ld, g.handle), "clone unlock");
	lockdev_close(ld);
}

/* The plan's modes, and a waiting destroyer holding new readers back. */
static void check_modes(void)
{
	struct lockdev *r1 = scen_open(SPACE), *r2 = scen_open(SPACE);
	struct lockdev *a1 = scen_open(SPACE), *a2 = scen_open(SPACE);
	struct lockdev *d = scen_open(SPACE);
	struct lockdev_grant g;

	scen_check(!lockdev_trylock(r1, STORE, LOCKDEV_MODE_SHARED, 0, NULL) &&
		   !lockdev_trylock(r2, STORE, LOCKDEV_MODE_SHARED, 0, NULL) &&
		   !lockdev_trylock(a1, STORE, LOCKDEV_MODE_APPEND, 0, NULL),
		   "readers_and_a_commit_together");
	scen_check(lockdev_trylock(a2, STORE, LOCKDEV_MODE_APPEND, 0, NULL) ==
		   -EAGAIN, "commits_exclude_each_other");
	lockdev_unlock_name(r2, STORE);
	scen_check(!lockdev_lock_async(d, STORE, LOCKDEV_MODE_EXCLUSIVE, 0,
				       LOCKDEV_FOREVER, 1, &g) &&
		   (g.result & LOCKDEV_RESULT_QUEUED) &&
		   lockdev_trylock(r2, STORE, LOCKDEV_MODE_SHARED, 0, NULL) ==
		   -EAGAIN, "waiting_strip_holds_new_readers_back");
	lockdev_close(d);
	scen_check(!lockdev_trylock(r2, STORE, LOCKDEV_MODE_SHARED, 0, NULL),
		   "readers_again_once_the_strip_is_gone");
	lockdev_close(a2);
	/* Closing a session that appends would leave the lock owner-died. */
	scen_ok(lockdev_unlock_name(a1, STORE), "unlock");
	lockdev_close(a1);
	lockdev_close(r2);
	lockdev_close(r1);
}

int main(int argc, char **argv)
{
	int i, n, appenders, strips, bound_ms = 1000;
	const char *bound = getenv("LOCKDEV_SCEN_BOUND_MS");
	uint64_t t0;
	pid_t pids[64];

	scen_start(argc, argv, "hg-readlock",
		   "Mercurial's readers, commits and strips on one store, and a clone",
		   6, 100);
	if (bound && atoi(bound) > 0)
		bound_ms = atoi(bound);
	st = scen_shared(sizeof(*st));
	check_modes();

	for (i = 0; i < CLONE_REVS * 2; i++)
		st->rev[i] = i ? next_rev(st->rev[i - 1], i) : 1;
	st->nr = CLONE_REVS * 2;
	n = scen_procs < 62 ? scen_procs : 62;
	appenders = n / 3 ? n / 3 : 1;
	strips = scen_ops / 5 > 5 ? scen_ops / 5 : 5;
	t0 = now_ns();
	for (i = 0; i < n; i++)
		pids[i] = scen_spawn(i < appenders ? appender : reader, i, NULL);
	pids[n] = scen_spawn(destroyer, n, &strips);
	pids[n + 1] = scen_spawn(clone, n + 1, NULL);
	scen_check(!scen_reap(pids, n + 2), "workers_clean");
	scen_say("%d readers, %d committers, 1 stripper, 1 clone for %llu ms",
		 n - appenders, appenders,
		 (unsigned long long)((now_ns() - t0) / SCEN_MS));
	scen_say("%llu reads (up to %llu at once, %llu during a commit), %llu commits, %llu strips cut %llu revisions",
		 (unsigned long long)st->reads,
		 (unsigned long long)st->readers_max,
		 (unsigned long long)st->reads_with_append,
		 (unsigned long long)st->commits,
		 (unsigned long long)st->strips,
		 (unsigned long long)st->stripped);
	scen_say("worst strip wait %llu.%03llu ms, bound %d ms; the strip asked during the clone waited %llu ms, until %llu ms after the clone ended",
		 (unsigned long long)(st->worst_strip_ns / SCEN_MS),
		 (unsigned long long)(st->worst_strip_ns % SCEN_MS / 1000),
		 bound_ms,
		 (unsigned long long)((st->clone_strip_granted -
				       st->clone_strip_asked) / SCEN_MS),
		 (unsigned long long)((st->clone_strip_granted -
				       st->clone_end) / SCEN_MS));
	scen_check(st->readers_max >= 2, "readers_read_together");
	scen_check(chain_ok(st->rev, st->nr) &&
		   st->nr == CLONE_REVS * 2 + st->commits - st->stripped,
		   "history_consistent (%llu revisions)",
		   (unsigned long long)st->nr);
	scen_check(st->strips == (uint64_t)strips &&
		   st->worst_strip_ns < bound_ms * SCEN_MS,
		   "strips_not_starved");
	scen_check(st->clone_strip_asked < st->clone_end &&
		   st->clone_strip_granted >= st->clone_end,
		   "strip_waits_for_the_clone");
	scen_check(st->clone_ok, "clone_saw_consistent_history");
	return scen_end();
}
