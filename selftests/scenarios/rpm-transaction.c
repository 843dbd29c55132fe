// SPDX-License-Identifier: GPL-2.0
/*
 * RPM's database lock: one transaction at a time (EXCLUSIVE) in a named
 * lockspace that root creates open to other users, so that an unprivileged
 * rpm -q (uid 65534 here) may read under SHARED. A transaction records the
 * lock's generation when it checks the database, resolves without the
 * lock, and refuses to run its plan if the generation changed once it holds
 * the lock: a database that changed in between must never pass as
 * unchanged. A transaction killed with kill -9 half way leaves the lock
 * owner-died: readers are told, and the next transaction repairs the
 * database from its journal and marks the lock consistent.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "scen.h"

#define SPACE		"scen-rpm"
#define SPACE_RO	"scen-rpm-ro"
#define RPMDB		"rpmdb:/var/lib/rpm"
#define NOBODY		65534

struct state {
	uint64_t version, pkgs;		/* the database */
	uint64_t journal_pkgs;		/* what to go back to when dirty */
	int dirty;
	int midway;			/* the transaction to kill is half way */
	uint64_t ran, refused, false_unchanged, reads, reads_dirty;
};

static struct state *st;

/* Run @fn as uid and gid 65534 in a child; true if it exited 0. */
static bool as_nobody(void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (become(NOBODY, NOBODY) || getuid() != NOBODY)
			scen_die("cannot become uid %d", NOBODY);
		fn();
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
}

/* rpm -q as nobody: SHARED, and a database that is not half written. */
static void nobody_query(void)
{
	struct lockdev *ld;
	struct lockdev_grant g;

	scen_ok(lockdev_open_space(&ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE),
		"nobody opens " SPACE);
	scen_ok(lockdev_lock(ld, RPMDB, LOCKDEV_MODE_SHARED, 0,
			     LOCKDEV_RESTART, &g), "nobody reads");
	if (__atomic_load_n(&st->dirty, __ATOMIC_SEQ_CST))
		scen_die("a reader found the database half written");
	if (g.result & LOCKDEV_RESULT_OWNER_DIED)
		scen_die("a reader was told owner-died");
	__atomic_add_fetch(&st->reads, 1, __ATOMIC_RELAXED);
	lockdev_close(ld);
}

/* In a 0644 lockspace nobody may look but not lock. */
static void nobody_ro(void)
{
	struct lockdev *ld;
	uint64_t gen;

	scen_ok(lockdev_open_space(&ld, SPACE_RO, 0, LOCKDEV_OPEN_NOCREATE),
		"nobody opens " SPACE_RO);
	scen_ok(lockdev_generation(ld, RPMDB, &gen), "nobody queries");
	if (lockdev_trylock(ld, RPMDB, LOCKDEV_MODE_SHARED, 0, NULL) !=
	    -EACCES)
		scen_die("nobody could lock in a 0644 lockspace");
	lockdev_close(ld);
}

/* After a crash: nobody is told owner-died, sees it dirty, cannot repair. */
static void nobody_after_crash(void)
{
	struct lockdev *ld;
	struct lockdev_grant g;

	scen_ok(lockdev_open_space(&ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE),
		"nobody opens " SPACE);
	scen_ok(lockdev_lock(ld, RPMDB, LOCKDEV_MODE_SHARED, 0,
			     LOCKDEV_RESTART, &g), "nobody reads");
	if (!(g.result & LOCKDEV_RESULT_OWNER_DIED) || !st->dirty)
		scen_die("the reader was not told of the crash");
	if (lockdev_consistent(ld, g.handle) != -EPERM)
		scen_die("a reader could mark the lock consistent");
	lockdev_close(ld);
}

/* One transaction: check, resolve unlocked, lock, run only if unchanged. */
static void transaction(struct lockdev *ld)
{
	struct lockdev_grant g;
	uint64_t seen, version;

	scen_ok(lockdev_generation(ld, RPMDB, &seen), "generation");
	version = __atomic_load_n(&st->version, __ATOMIC_SEQ_CST);
	usleep(scen_rand() % 2000);	/* resolve the dependencies */
	scen_ok(lockdev_lock(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
			     LOCKDEV_RESTART, &g), "transaction lock");
	if (g.result & LOCKDEV_RESULT_OWNER_DIED)
		scen_die("owner-died without a crash");
	if (g.generation == seen) {
		if (st->version != version)
			__atomic_add_fetch(&st->false_unchanged, 1,
					   __ATOMIC_RELAXED);
	} else {
		/* Refuse the plan; resolve again, now under the lock. */
		__atomic_add_fetch(&st->refused, 1, __ATOMIC_RELAXED);
		usleep(scen_rand() % 500);
	}
	st->journal_pkgs = st->pkgs;
	__atomic_store_n(&st->dirty, 1, __ATOMIC_SEQ_CST);
	st->pkgs++;
	usleep(200);
	__atomic_store_n(&st->dirty, 0, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&st->version, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&st->ran, 1, __ATOMIC_RELAXED);
	scen_ok(lockdev_unlock(ld, g.handle), "transaction unlock");
}

static void installer(int id, void *arg)
{
	struct lockdev *ld = scen_open(SPACE);
	int i;

	(void)id;
	(void)arg;
	for (i = 0; i < scen_ops; i++)
		transaction(ld);
	lockdev_close(ld);
}

static void querier(int id, void *arg)
{
	int i;

	(void)id;
	(void)arg;
	for (i = 0; i < scen_ops; i++)
		if (!as_nobody(nobody_query))
			scen_die("rpm -q as nobody failed");
}

/* Installers and unprivileged queries at once. */
static void run_workload(void)
{
	int i, n = scen_procs < 64 ? scen_procs : 64;
	uint64_t t0 = now_ns();
	pid_t pids[64];

	for (i = 0; i < n; i++)
		pids[i] = scen_spawn(i % 2 ? querier : installer, i, NULL);
	scen_check(!scen_reap(pids, n), "workers_clean");
	scen_say("%llu transactions (%llu plans refused for a changed generation), %llu queries as uid %d, in %llu ms",
		 (unsigned long long)st->ran,
		 (unsigned long long)st->refused,
		 (unsigned long long)st->reads, NOBODY,
		 (unsigned long long)((now_ns() - t0) / SCEN_MS));
	scen_check(st->ran == (uint64_t)(n + 1) / 2 * scen_ops &&
		   st->pkgs == st->ran && st->version == st->ran,
		   "one_transaction_at_a_time");
	scen_check(!st->false_unchanged,
		   "changed_database_never_passes_unchanged (%llu)",
		   (unsigned long long)st->false_unchanged);
}

/* The generation seen while a reader keeps the lock: unchanged, changed. */
static void run_generation(struct lockdev *t)
{
	struct lockdev *r = scen_open(SPACE), *t2 = scen_open(SPACE);
	struct lockdev_completion c;
	struct lockdev_grant g;
	uint64_t seen;

	scen_ok(lockdev_lock(r, RPMDB, LOCKDEV_MODE_SHARED, 0, 0, NULL),
		"reader");
	scen_ok(lockdev_generation(t, RPMDB, &seen), "generation");
	scen_ok(lockdev_lock_async(t, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
				   LOCKDEV_FOREVER, 1, &g), "queue");
	scen_ok(lockdev_unlock_name(r, RPMDB), "reader unlock");
	scen_check(lockdev_read_completions(t, &c, 1, 10 * SCEN_SEC, 0) == 1 &&
		   !c.result && c.generation == seen,
		   "unchanged_generation_after_a_read");
	scen_ok(lockdev_unlock(t, c.handle), "unlock");

	scen_ok(lockdev_lock(r, RPMDB, LOCKDEV_MODE_SHARED, 0, 0, NULL),
		"reader");
	scen_ok(lockdev_generation(t, RPMDB, &seen), "generation");
	scen_ok(lockdev_lock_async(t2, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
				   LOCKDEV_FOREVER, 2, &g), "queue");
	scen_ok(lockdev_lock_async(t, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
				   LOCKDEV_FOREVER, 3, &g), "queue");
	scen_ok(lockdev_unlock_name(r, RPMDB), "reader unlock");
	scen_ok(lockdev_read_completions(t2, &c, 1, 10 * SCEN_SEC, 0) != 1,
		"the other transaction");
	scen_ok(lockdev_unlock(t2, c.handle), "unlock");
	scen_check(lockdev_read_completions(t, &c, 1, 10 * SCEN_SEC, 0) == 1 &&
		   !c.result && c.generation != seen,
		   "changed_generation_after_a_transaction");
	scen_ok(lockdev_unlock(t, c.handle), "unlock");
	scen_ok(lockdev_generation(t, RPMDB, &seen), "generation");
	scen_say("with nobody holding it the lock does not exist: generation %llu, so a check then cannot tell a change",
		 (unsigned long long)seen);
	lockdev_close(t2);
	lockdev_close(r);
}

/* A transaction killed half way, seen by a reader, repaired by the next. */
static bool crash_and_recover(struct lockdev *t)
{
	struct lockdev_grant g;
	int status;
	pid_t pid;

	st->midway = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct lockdev *ld = scen_open(SPACE);

		scen_ok(lockdev_lock(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				     NULL), "doomed transaction");
		st->journal_pkgs = st->pkgs;
		st->dirty = 1;
		st->pkgs += 1000;
		__atomic_store_n(&st->midway, 1, __ATOMIC_SEQ_CST);
		pause();
		_exit(1);
	}
	while (!__atomic_load_n(&st->midway, __ATOMIC_SEQ_CST))
		usleep(1000);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
		return false;
	if (!as_nobody(nobody_after_crash))
		return false;
	if (lockdev_lock(t, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0, LOCKDEV_RESTART,
			 &g) || !(g.result & LOCKDEV_RESULT_OWNER_DIED))
		return false;
	st->pkgs = st->journal_pkgs;	/* rpmdb --rebuilddb */
	st->dirty = 0;
	if (lockdev_consistent(t, g.handle) || lockdev_unlock(t, g.handle))
		return false;
	if (lockdev_lock(t, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g) ||
	    (g.result & LOCKDEV_RESULT_OWNER_DIED))
		return false;
	return !lockdev_unlock(t, g.handle);
}

int main(int argc, char **argv)
{
	struct lockdev *t, *ro;
	long long deaths;
	int i, ok = 0, kills;

	scen_start(argc, argv, "rpm-transaction",
		   "RPM's transactions, unprivileged queries, the generation check and a kill -9",
		   4, 30);
	st = scen_shared(sizeof(*st));
	scen_ok(lockdev_open_space(&t, SPACE, 0666, 0), "open " SPACE);
	scen_ok(lockdev_open_space(&ro, SPACE_RO, 0644, 0), "open " SPACE_RO);
	scen_check(as_nobody(nobody_ro), "read_only_lockspace_query_not_lock");
	lockdev_close(ro);

	run_workload();
	run_generation(t);

	deaths = stat_value("owner_deaths");
	kills = scen_ops / 10 > 1 ? scen_ops / 10 : 1;
	for (i = 0; i < kills; i++)
		ok += crash_and_recover(t);
	scen_say("%d transactions killed with kill -9, %d recovered; owner deaths counted: %lld",
		 kills, ok, stat_value("owner_deaths") - deaths);
	scen_check(ok == kills && st->pkgs == st->ran && !st->dirty,
		   "killed_transaction_recovered");
	scen_check(stat_value("owner_deaths") - deaths == kills,
		   "owner_deaths_counted");
	lockdev_close(t);
	return scen_end();
}
