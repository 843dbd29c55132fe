// SPDX-License-Identifier: GPL-2.0
/*
 * RPM's database lock: one transaction at a time (EXCLUSIVE) in a lockspace
 * that root creates as an administrator would, persistent, mode 0640, owned
 * by root and a readers' group: an unprivileged rpm -q (uid 65534 in that
 * group here) may read under SHARED and is refused EXCLUSIVE and APPEND
 * with EACCES, and a uid in no group of it may not even attach. A
 * transaction records the lock's generation when it checks the database,
 * resolves without the lock, and refuses to run its plan if the generation
 * changed once it holds the lock: a database that changed in between must
 * never pass as unchanged. Since the lockspace persists with no session
 * attached, the check holds across idle periods too: an rpm that checked,
 * exited and comes back finds the same generation and a valid value if
 * nothing ran, and a changed generation if something did. A transaction
 * killed with kill -9 half way leaves the lock owner-died: readers are
 * told, and the next transaction repairs the database from its journal and
 * marks the lock consistent. The database's revision travels in the lock's
 * value block: a transaction reads it from the database only when the value
 * is not valid (the lock is new, or a transaction died holding it), and
 * sets it as it unlocks; a valid value must always be the database's
 * revision. Root removes the lockspace at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scen.h"

#define SPACE		"scen-rpm"
#define RPMDB		"rpmdb:/var/lib/rpm"
#define NOBODY		65534
#define READERS		2345		/* the group that may read */
#define OTHER		65533		/* a uid in no group of it */

struct state {
	uint64_t version, pkgs;		/* the database */
	uint64_t journal_pkgs;		/* what to go back to when dirty */
	int dirty;
	int midway;			/* the transaction to kill is half way */
	uint64_t ran, refused, false_unchanged, reads, reads_dirty;
	uint64_t value_reads, value_invalid, value_stale;
	int reader_shared, reader_exclusive, reader_append, other_attach;
};

static struct state *st;

/*
 * The revision a grant's value says, counting a valid one that is not the
 * database's; or, when it is not valid, the database's own.
 */
static uint64_t revision(const struct lockdev_value *v)
{
	uint64_t rev;

	if (!v->valid) {
		__atomic_add_fetch(&st->value_invalid, 1, __ATOMIC_RELAXED);
		return __atomic_load_n(&st->version, __ATOMIC_SEQ_CST);
	}
	memcpy(&rev, v->data, sizeof(rev));
	__atomic_add_fetch(&st->value_reads, 1, __ATOMIC_RELAXED);
	if (rev != __atomic_load_n(&st->version, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&st->value_stale, 1, __ATOMIC_RELAXED);
	return rev;
}

/*
 * Run @fn in a child as @uid, its gid too, with the readers' group as
 * supplementary group if @reader; true if it exited 0.
 */
static bool as_user(uid_t uid, bool reader, void (*fn)(void))
{
	gid_t readers = READERS;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgroups(reader ? 1 : 0, &readers) ||
		    setresgid(uid, uid, uid) || setresuid(uid, uid, uid) ||
		    getuid() != uid)
			scen_die("cannot become uid %u", (unsigned int)uid);
		fn();
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
}

/* uid 65534 in the readers' group. */
static bool as_nobody(void (*fn)(void))
{
	return as_user(NOBODY, true, fn);
}

/* rpm -q as nobody: SHARED, and a database that is not half written. */
static void nobody_query(void)
{
	struct lockdev *ld;
	struct lockdev_grant g;
	struct lockdev_value v;

	scen_ok(lockdev_open_space(&ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE),
		"nobody opens " SPACE);
	scen_ok(lockdev_lock_value(ld, RPMDB, LOCKDEV_MODE_SHARED, 0,
				   LOCKDEV_FOREVER, LOCKDEV_RESTART, &g, &v),
		"nobody reads");
	revision(&v);
	if (__atomic_load_n(&st->dirty, __ATOMIC_SEQ_CST))
		scen_die("a reader found the database half written");
	if (g.result & LOCKDEV_RESULT_OWNER_DIED)
		scen_die("a reader was told owner-died");
	__atomic_add_fetch(&st->reads, 1, __ATOMIC_RELAXED);
	lockdev_close(ld);
}

/* A reader may look and read-lock, not write-lock: what each call says. */
static void reader_rights(void)
{
	struct lockdev_grant g;
	struct lockdev *ld;
	uint64_t gen;

	scen_ok(lockdev_open_space(&ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE),
		"nobody opens " SPACE);
	scen_ok(lockdev_generation(ld, RPMDB, &gen), "nobody queries");
	st->reader_shared = lockdev_trylock(ld, RPMDB, LOCKDEV_MODE_SHARED, 0,
					    &g);
	if (!st->reader_shared)
		scen_ok(lockdev_unlock(ld, g.handle), "nobody unlocks");
	st->reader_exclusive = lockdev_trylock(ld, RPMDB,
					       LOCKDEV_MODE_EXCLUSIVE, 0, NULL);
	st->reader_append = lockdev_trylock(ld, RPMDB, LOCKDEV_MODE_APPEND, 0,
					    NULL);
	lockdev_close(ld);
}

/* A uid in no group of the lockspace: not even an attach. */
static void other_rights(void)
{
	struct lockdev *ld;

	st->other_attach = lockdev_open_space(&ld, SPACE, 0,
					      LOCKDEV_OPEN_NOCREATE);
	if (!st->other_attach)
		lockdev_close(ld);
}

/* The lockspace as root made it; who may do what in it. */
static void run_permissions(void)
{
	bool reader = as_nobody(reader_rights);
	bool other = as_user(OTHER, false, other_rights);
	struct scen_space sp;

	scen_check(scen_space(SPACE, &sp) && sp.mode == 0640 && !sp.uid &&
		   sp.gid == READERS && !strcmp(sp.state, "persistent"),
		   "persistent_lockspace_0640_root_readers");
	scen_check(reader && !st->reader_shared, "reader_takes_shared (%s)",
		   lockdev_strerror(st->reader_shared, 0));
	scen_check(st->reader_exclusive == -EACCES,
		   "reader_refused_exclusive_eacces (%s)",
		   lockdev_strerror(st->reader_exclusive, 0));
	scen_check(st->reader_append == -EACCES,
		   "reader_refused_append_eacces (%s)",
		   lockdev_strerror(st->reader_append, 0));
	scen_check(other && st->other_attach == -EACCES,
		   "uid_in_no_group_refused_attach_eacces (%s)",
		   lockdev_strerror(st->other_attach, 0));
}

/* After a crash: nobody is told owner-died, sees it dirty, cannot repair. */
static void nobody_after_crash(void)
{
	struct lockdev *ld;
	struct lockdev_grant g;
	struct lockdev_value v;

	scen_ok(lockdev_open_space(&ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE),
		"nobody opens " SPACE);
	scen_ok(lockdev_lock_value(ld, RPMDB, LOCKDEV_MODE_SHARED, 0,
				   LOCKDEV_FOREVER, LOCKDEV_RESTART, &g, &v),
		"nobody reads");
	if (!(g.result & LOCKDEV_RESULT_OWNER_DIED) || !st->dirty)
		scen_die("the reader was not told of the crash");
	if (v.valid || !(g.result & LOCKDEV_RESULT_VALUE_INVALID))
		scen_die("the value was valid after the crash");
	if (lockdev_consistent(ld, g.handle) != -EPERM)
		scen_die("a reader could mark the lock consistent");
	lockdev_close(ld);
}

/* One transaction: check, resolve unlocked, lock, run only if unchanged. */
static void transaction(struct lockdev *ld)
{
	struct lockdev_value v;
	struct lockdev_grant g;
	uint64_t seen, version, rev;

	scen_ok(lockdev_generation(ld, RPMDB, &seen), "generation");
	version = __atomic_load_n(&st->version, __ATOMIC_SEQ_CST);
	usleep(scen_rand() % 2000);	/* resolve the dependencies */
	scen_ok(lockdev_lock_value(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
				   LOCKDEV_FOREVER, LOCKDEV_RESTART, &g, &v),
		"transaction lock");
	if (g.result & LOCKDEV_RESULT_OWNER_DIED)
		scen_die("owner-died without a crash");
	rev = revision(&v);
	if (g.generation == seen) {
		if (st->version != version || rev != version)
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
	rev = __atomic_add_fetch(&st->version, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&st->ran, 1, __ATOMIC_RELAXED);
	scen_ok(lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev)),
		"transaction unlock");
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

/* The revision in the value block: always the database's when valid. */
static void check_value(void)
{
	scen_say("revision from the value block %llu times, from the database %llu times (value not valid)",
		 (unsigned long long)st->value_reads,
		 (unsigned long long)st->value_invalid);
	scen_check(st->value_reads && !st->value_stale,
		   "value_is_the_database_revision (%llu stale)",
		   (unsigned long long)st->value_stale);
}

/* rpm checks the database in a session of its own, which then ends. */
static void check_db(uint64_t *gen, struct lockdev_value *v)
{
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_info info;

	scen_ok(lockdev_query_value(ld, RPMDB, NULL, 0, &info, v), "query");
	*gen = info.generation;
	lockdev_close(ld);
}

/*
 * A transaction in a session of its own, which then ends: the generation
 * and value it was granted with.
 */
static uint64_t transact(struct lockdev_value *v)
{
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_grant g;
	uint64_t rev;

	scen_ok(lockdev_lock_value(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
				   LOCKDEV_FOREVER, LOCKDEV_RESTART, &g, v),
		"transaction lock");
	revision(v);
	st->pkgs++;
	rev = ++st->version;
	st->ran++;
	scen_ok(lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev)),
		"transaction unlock");
	lockdev_close(ld);
	return g.generation;
}

/* No session attached, the lock resident: the lockspace outlives them. */
static bool idle(void)
{
	struct scen_space sp;

	return scen_space(SPACE, &sp) && !sp.sessions && sp.idle >= 1 &&
	       !strcmp(sp.state, "persistent");
}

/*
 * The check across idle periods: rpm checks, exits, comes back later to
 * run, with no session attached in between; once with nothing run
 * meanwhile, once with another transaction run meanwhile.
 */
static void run_idle(void)
{
	struct lockdev_value v;
	uint64_t seen, gen, version;
	bool quiet;

	check_db(&seen, &v);
	version = st->version;
	quiet = idle();
	usleep(100 * 1000);
	gen = transact(&v);
	scen_say("idle: checked at generation %llu, granted at %llu with revision %llu in the value",
		 (unsigned long long)seen, (unsigned long long)gen,
		 v.valid ? (unsigned long long)*(uint64_t *)v.data : 0ULL);
	scen_check(quiet && gen == seen && v.valid &&
		   !memcmp(v.data, &version, sizeof(version)),
		   "unchanged_across_an_idle_period");

	check_db(&seen, &v);
	usleep(50 * 1000);
	transact(&v);
	quiet = idle();
	usleep(50 * 1000);
	version = st->version;
	gen = transact(&v);
	scen_say("idle: checked at generation %llu, another transaction ran, granted at %llu",
		 (unsigned long long)seen, (unsigned long long)gen);
	scen_check(quiet && gen != seen && v.valid &&
		   !memcmp(v.data, &version, sizeof(version)),
		   "changed_across_an_idle_period");
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
	scen_say("with nobody holding it the lock stays resident: generation %llu",
		 (unsigned long long)seen);
	lockdev_close(t2);
	lockdev_close(r);
}

/* A transaction killed half way, seen by a reader, repaired by the next. */
static bool crash_and_recover(struct lockdev *t)
{
	struct lockdev_value v;
	struct lockdev_grant g;
	uint64_t rev;
	int status;
	pid_t pid;

	st->midway = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct lockdev *ld = scen_open(SPACE);

		struct lockdev_value dv;

		scen_ok(lockdev_lock_value(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE,
					   0, LOCKDEV_FOREVER, 0, NULL, &dv),
			"doomed transaction");
		revision(&dv);
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
	if (lockdev_lock_value(t, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
			       LOCKDEV_FOREVER, LOCKDEV_RESTART, &g, &v) ||
	    !(g.result & LOCKDEV_RESULT_OWNER_DIED) || v.valid)
		return false;
	rev = revision(&v);		/* from the database */
	st->pkgs = st->journal_pkgs;	/* rpmdb --rebuilddb */
	st->dirty = 0;
	if (lockdev_consistent(t, g.handle) ||
	    lockdev_unlock_value(t, g.handle, &rev, sizeof(rev)))
		return false;
	if (lockdev_lock_value(t, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0, 0, 0, &g,
			       &v) ||
	    (g.result & LOCKDEV_RESULT_OWNER_DIED) || !v.valid ||
	    revision(&v) != rev)
		return false;
	return !lockdev_unlock(t, g.handle);
}

int main(int argc, char **argv)
{
	struct lockdev *t;
	long long deaths;
	int i, ok = 0, kills;

	scen_start(argc, argv, "rpm-transaction",
		   "RPM's transactions, unprivileged queries, the generation check and a kill -9",
		   4, 30);
	st = scen_shared(sizeof(*st));
	scen_space_create(SPACE, 0640, 0, READERS);
	run_permissions();
	run_workload();
	run_idle();

	t = scen_open(SPACE);
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
	check_value();
	lockdev_close(t);

	i = lockdev_space_remove(SPACE, 0);
	scen_check(!i && lockdev_open_space(&t, SPACE, 0,
					    LOCKDEV_OPEN_NOCREATE) == -ENOENT,
		   "lockspace_removed (%s)", lockdev_strerror(i, 0));
	return scen_end();
}
