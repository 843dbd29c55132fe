// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RPM's transaction: read the database's generation, resolve dependencies
 * without the lock, then lock and check that nobody wrote in between. The
 * database's revision travels in the lock's value block, so a transaction
 * reads it from the database file only when the value is not valid: the
 * lock is new, or a transaction died holding it. And recovery: a
 * transaction killed while it held the lock leaves it owner-died; the next
 * one sees that, repairs the database and marks the lock consistent.
 *
 * Every rpm is a process of its own, so the lock lives in a lockspace that
 * root creates persistent, as an administrator would with
 * "lockdev space create rpm --mode 0640 --group READERS": it keeps the
 * lock's generation and value while no rpm runs, so that a check made by
 * one process still holds, or is seen to fail, in the next. (Run as
 * another user, the example keeps a lockspace of its own alive with a
 * session instead.)
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lockdev.h>

#define SPACE	"rpm"			/* the lockspace of the database lock */

static char db[] = "/tmp/rpmdb-XXXXXX";	/* the database: its revision */
static char rpmdb[64];			/* its lock: "rpmdb:" and the path */

static int fail(const char *what, int err)
{
	fprintf(stderr, "rpm-transaction: %s: %s\n", what,
		lockdev_strerror(err, 0));
	unlink(db);
	return 1;
}

static int db_write(uint64_t rev)
{
	FILE *f = fopen(db, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%llu\n", (unsigned long long)rev) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static int db_read(uint64_t *rev)
{
	unsigned long long r;
	FILE *f = fopen(db, "r");
	int ret;

	if (!f)
		return -1;
	ret = fscanf(f, "%llu", &r) == 1 ? 0 : -1;
	fclose(f);
	*rev = r;
	return ret;
}

/* The revision as granted: from the value, else from the database. */
static int revision(const struct lockdev_value *v, uint64_t *rev)
{
	if (v->valid) {
		memcpy(rev, v->data, sizeof(*rev));
		return 0;
	}
	printf("rpm-transaction: the lock's value is not valid: reading the revision from the database\n");
	return db_read(rev);
}

/* A transaction that dies half way, holding the lock. */
static void crash(void)
{
	struct lockdev_value v;
	struct lockdev *ld;

	if (lockdev_open_space(&ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE) ||
	    lockdev_lock_value(ld, rpmdb, LOCKDEV_MODE_EXCLUSIVE, 0,
			       LOCKDEV_FOREVER, 0, NULL, &v))
		_exit(1);
	/* ... half of the headers written ... */
	kill(getpid(), SIGKILL);
}

/* An rpm process's session: the lockspace root created. */
static int open_db(struct lockdev **ld)
{
	return lockdev_open_space(ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE);
}

/* The check: generation and value read in a session that then ends. */
static int check_db(uint64_t *seen, struct lockdev_value *v)
{
	struct lockdev_info info;
	struct lockdev *ld;
	int ret = open_db(&ld);

	if (ret < 0)
		return ret;
	ret = lockdev_query_value(ld, rpmdb, NULL, 0, &info, v);
	*seen = info.generation;
	lockdev_close(ld);
	return ret;
}

int main(void)
{
	struct lockdev *ld, *keeper = NULL;
	struct lockdev_value v;
	struct lockdev_grant g;
	uint64_t seen, rev, check;
	int fd, ret, status, created;
	pid_t pid;

	fd = mkstemp(db);
	if (fd < 0)
		return 1;
	close(fd);
	snprintf(rpmdb, sizeof(rpmdb), "rpmdb:%s", db);
	if (db_write(41))
		return fail("database", 0);
	ret = lockdev_space_create(SPACE, 0640, LOCKDEV_SPACE_KEEP,
				   LOCKDEV_SPACE_KEEP);
	created = !ret;
	if (ret == -EPERM) {
		printf("rpm-transaction: not root: a session keeps the lockspace instead\n");
		ret = lockdev_open_space(&keeper, SPACE, 0600, 0);
	}
	if (ret < 0 && ret != -EEXIST)
		return fail("lockspace", ret);

	/* The first transaction: a new lock, so the value is not valid. */
	ret = open_db(&ld);
	if (ret < 0)
		return fail("open", ret);
	ret = lockdev_lock_value(ld, rpmdb, LOCKDEV_MODE_EXCLUSIVE, 0,
				 LOCKDEV_FOREVER, LOCKDEV_RESTART, &g, &v);
	if (ret < 0)
		return fail("lock", ret);
	if (v.valid || !(g.result & LOCKDEV_RESULT_VALUE_INVALID) ||
	    revision(&v, &rev) || rev != 41)
		return fail("a new lock's value", 0);
	/* ... install, then commit the next revision ... */
	if (db_write(++rev))
		return fail("database", 0);
	ret = lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev));
	if (ret < 0)
		return fail("unlock", ret);
	lockdev_close(ld);

	/* Check, then act: nobody may have written in between. */
	ret = check_db(&seen, &v);
	if (ret < 0)
		return fail("query", ret);
	if (revision(&v, &check) || !v.valid || check != rev)
		return fail("the value is not the revision committed", 0);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		crash();
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
		return 1;

	ret = open_db(&ld);
	if (ret < 0)
		return fail("open", ret);
	ret = lockdev_lock_value(ld, rpmdb, LOCKDEV_MODE_EXCLUSIVE, 0,
				 LOCKDEV_FOREVER, LOCKDEV_RESTART, &g, &v);
	if (ret < 0)
		return fail("lock", ret);
	if (g.generation == seen)
		return fail("the generation did not change", 0);
	printf("rpm-transaction: the database changed since the check: resolve again\n");

	if (!(g.result & LOCKDEV_RESULT_OWNER_DIED))
		return fail("owner-died was not reported", 0);
	printf("rpm-transaction: %s: rebuilding the indexes\n",
	       lockdev_strerror(0, g.result));
	/* ... rpmdb --rebuilddb: the revision committed last stands ... */
	if (v.valid || revision(&v, &rev) || rev != check)
		return fail("the value after the crash", 0);
	ret = lockdev_consistent(ld, g.handle);
	if (ret < 0)
		return fail("consistent", ret);
	ret = lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev));
	if (ret < 0)
		return fail("unlock", ret);
	lockdev_close(ld);

	/* Checked by one rpm, run by the next: nothing in between. */
	ret = check_db(&seen, &v);
	if (ret < 0)
		return fail("query", ret);
	ret = open_db(&ld);
	if (ret < 0)
		return fail("open", ret);
	ret = lockdev_lock_value(ld, rpmdb, LOCKDEV_MODE_EXCLUSIVE, 0, 0, 0,
				 &g, &v);
	if (ret < 0 || (g.result & LOCKDEV_RESULT_OWNER_DIED))
		return fail("the lock is still owner-died", ret);
	if (g.generation != seen)
		return fail("the generation changed with nobody writing", 0);
	printf("rpm-transaction: unchanged since the check, with no rpm running in between: the plan stands\n");
	if (!v.valid || revision(&v, &rev) || rev != check)
		return fail("the value after the repair", 0);
	printf("rpm-transaction: revision %llu from the lock's value\n",
	       (unsigned long long)rev);
	/* Closed holding EXCLUSIVE, it would be owner-died again. */
	ret = lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev));
	if (ret < 0)
		return fail("unlock", ret);
	lockdev_close(ld);
	if (created) {
		ret = lockdev_space_remove(SPACE, 0);
		if (ret < 0)
			return fail("remove the lockspace", ret);
	}
	lockdev_close(keeper);
	unlink(db);
	printf("rpm-transaction: done\n");
	return 0;
}
