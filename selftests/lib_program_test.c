// SPDX-License-Identifier: GPL-2.0
/*
 * The lockdev program: run's options and exit codes (those of util-linux
 * flock(1)), list, order, stats, monitor, and the exit codes for a module
 * that is not loaded, a missing device and a denied one. The program is
 * tools/lockdev of this tree, run through sh -c with its path in $LOCKDEV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"
#include "prog_util.h"

FIXTURE(prog) {
	struct lockdev *ld;
};

FIXTURE_SETUP(prog)
{
	find_program(_metadata);
	self->ld = lib_open(_metadata);
}

FIXTURE_TEARDOWN(prog)
{
	lockdev_close(self->ld);
}

TEST_F(prog, exit_status)
{
	EXPECT_EQ(0, sh("$LOCKDEV lib-prog true"));
	EXPECT_EQ(7, sh("$LOCKDEV lib-prog sh -c 'exit 7'"));
	EXPECT_EQ(7, sh("$LOCKDEV run lib-prog sh -c 'exit 7'"));
	EXPECT_EQ(5, sh("$LOCKDEV lib-prog -c 'exit 5'"));
	EXPECT_EQ(5, sh("$LOCKDEV lib-prog --command 'exit 5'"));
	EXPECT_EQ(6, sh("$LOCKDEV -c 'exit 6' lib-prog"));
	EXPECT_EQ(128 + SIGTERM, sh("$LOCKDEV lib-prog sh -c 'kill -TERM $$'"));
	/* A command that cannot be executed: the shell's 127 and 126. */
	EXPECT_EQ(127, sh("$LOCKDEV lib-prog /nonexistent/cmd 2>/dev/null"));
	EXPECT_EQ(126, sh("$LOCKDEV lib-prog /etc/passwd 2>/dev/null"));
	EXPECT_EQ(0, lockdev_list(self->ld, NULL, 0));
}

/* The command runs while the lock is held, and it is free afterwards. */
TEST_F(prog, held_while_running)
{
	EXPECT_EQ(1, sh("$LOCKDEV lib-held sh -c '$LOCKDEV -n lib-held true'"));
	EXPECT_EQ(1, sh("$LOCKDEV -s lib-held sh -c '$LOCKDEV -n lib-held true'"));
	EXPECT_EQ(0, sh("$LOCKDEV -s lib-held sh -c '$LOCKDEV -s -n lib-held true'"));
	/* APPEND goes with SHARED only. */
	EXPECT_EQ(0, sh("$LOCKDEV -a lib-held sh -c '$LOCKDEV -s -n lib-held true'"));
	EXPECT_EQ(1, sh("$LOCKDEV -a lib-held sh -c '$LOCKDEV -a -n lib-held true'"));
	EXPECT_EQ(1, sh("$LOCKDEV -F lib-held sh -c '$LOCKDEV -n lib-held true'"));
	EXPECT_EQ(0, lockdev_trylock(self->ld, "lib-held",
				     LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
}

TEST_F(prog, conflict_exit_codes)
{
	__u64 start, took;
	struct kid k;

	holder_start(_metadata, &k, "lib-conflict", LOCKDEV_MODE_EXCLUSIVE);
	EXPECT_EQ(1, sh("$LOCKDEV -n lib-conflict true"));
	EXPECT_EQ(1, sh("$LOCKDEV --nb -s lib-conflict true"));
	EXPECT_EQ(42, sh("$LOCKDEV -n -E 42 lib-conflict true"));
	EXPECT_EQ(0, sh("$LOCKDEV -n -E 0 lib-conflict true"));
	EXPECT_EQ(1, sh("$LOCKDEV -w 0 lib-conflict true"));

	start = now_ns();
	EXPECT_EQ(9, sh("$LOCKDEV -w 0.3 -E 9 lib-conflict true"));
	took = now_ns() - start;
	EXPECT_LE(300 * MS, took);
	EXPECT_GT(WAIT_MS * MS, took);
	start = now_ns();
	EXPECT_EQ(1, sh("$LOCKDEV --timeout .2 lib-conflict true"));
	EXPECT_LE(200 * MS, now_ns() - start);
	holder_stop(_metadata, &k, 'u');
	EXPECT_EQ(0, sh("$LOCKDEV -n lib-conflict true"));
	EXPECT_EQ(0, sh("$LOCKDEV -w 5 lib-conflict true"));
}

/* Without -n or -w the program waits for the holder, in another process. */
TEST_F(prog, waits)
{
	struct kid k;
	pid_t pid;

	ASSERT_EQ(0, lockdev_lock(self->ld, "lib-pwait", LOCKDEV_MODE_SHARED, 0,
				  0, NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $LOCKDEV lib-pwait true",
		      (char *)NULL);
		_exit(99);
	}
	pid = k.pid;
	expect_waiting(_metadata, self->ld, "lib-pwait", pid,
		       LOCKDEV_STATE_WAITING);
	EXPECT_EQ(-1, reap(pid, 200));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $LOCKDEV lib-pwait true",
		      (char *)NULL);
		_exit(99);
	}
	expect_waiting(_metadata, self->ld, "lib-pwait", k.pid,
		       LOCKDEV_STATE_WAITING);
	EXPECT_EQ(0, lockdev_unlock_name(self->ld, "lib-pwait"));
	EXPECT_EQ(0, reap(k.pid, WAIT_MS));
}

/*
 * The command ending by itself releases the lock, even while background
 * children keep the session (unlike flock(1), see lockdev(1)), and does
 * not make it owner-died; -o does not even give them the session.
 */
TEST_F(prog, close)
{
	struct lockdev_info info;

	EXPECT_EQ(0, sh("$LOCKDEV lib-close sh -c 'sleep 30 >/dev/null 2>&1 & echo $! >/tmp/lib-close.pid'"));
	EXPECT_EQ(0, lockdev_trylock(self->ld, "lib-close",
				     LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	EXPECT_EQ(0, lockdev_unlock_name(self->ld, "lib-close"));
	EXPECT_EQ(0, sh("kill $(cat /tmp/lib-close.pid)"));
	/* Released, not owner-died: idle. */
	EXPECT_EQ(0, lockdev_query(self->ld, "lib-close", NULL, 0, &info));
	EXPECT_NE(0, info.generation);
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, info.flags);

	EXPECT_EQ(0, sh("$LOCKDEV -o lib-close sh -c 'sleep 30 >/dev/null 2>&1 & echo $! >/tmp/lib-close.pid'"));
	EXPECT_EQ(0, lockdev_trylock(self->ld, "lib-close",
				     LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	EXPECT_EQ(0, lockdev_unlock_name(self->ld, "lib-close"));
	EXPECT_EQ(0, sh("kill $(cat /tmp/lib-close.pid)"));
	/* -o with -F leaves nothing to hold the lock. */
	EXPECT_EQ(64, sh("$LOCKDEV -o -F lib-close true 2>/dev/null"));
}

/* A command killed by a signal leaves its lock owner-died for the next. */
TEST_F(prog, killed_owner_died)
{
	struct lockdev_grant g;
	struct lockdev_info info;

	EXPECT_EQ(128 + SIGKILL,
		  sh("$LOCKDEV lib-killed sh -c 'kill -9 $$' 2>/dev/null"));
	ASSERT_EQ(0, lockdev_query(self->ld, "lib-killed", NULL, 0, &info));
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | LOCKDEV_QUERY_IDLE,
		  info.flags);
	ASSERT_EQ(0, lockdev_lock(self->ld, "lib-killed",
				  LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, g.result);
	EXPECT_EQ(0, lockdev_consistent(self->ld, g.handle));
	EXPECT_EQ(0, lockdev_unlock(self->ld, g.handle));
}

/* --fd and -u: flock's third form, a lock that stays with a session. */
TEST_F(prog, fd_and_unlock)
{
	int fd = open(LOCKDEV_DEV, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d lib-fd", fd));
	EXPECT_EQ(1, list_count(fd));
	EXPECT_EQ(1, sh("$LOCKDEV -n lib-fd true"));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -u lib-fd", fd));
	EXPECT_EQ(0, list_count(fd));
	/* Releasing a lock not held succeeds, as flock -u does. */
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -u lib-fd", fd));
	EXPECT_EQ(0, sh("$LOCKDEV -u lib-fd true"));
	EXPECT_EQ(4, sh("$LOCKDEV -u lib-fd sh -c 'exit 4'"));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -s -l 3 lib-fd", fd));
	EXPECT_EQ(1, list_count(fd));
	EXPECT_EQ(64, sh("$LOCKDEV --fd %d lib-fd true 2>/dev/null", fd));
	EXPECT_EQ(64, sh("$LOCKDEV --fd 0 lib-fd 2>/dev/null </dev/null"));
	close(fd);
}

/*
 * --fd on a session that holds the lock: converted, as flock -x then
 * flock -s on one descriptor; the same mode again succeeds; an upgrade
 * that cannot be had exits 1 with -n, keeping the lock as it was.
 */
TEST_F(prog, fd_converts)
{
	int fd = open(LOCKDEV_DEV, O_RDWR), other = open(LOCKDEV_DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -x lib-cv", fd));
	EXPECT_EQ(1, sh("$LOCKDEV --fd %d -n -s lib-cv", other));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -x lib-cv", fd));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -s lib-cv", fd));
	EXPECT_EQ(1, list_count(fd));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -n -s lib-cv", other));
	EXPECT_EQ(1, sh("$LOCKDEV --fd %d -n -x lib-cv", fd));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -u lib-cv", other));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -n -x lib-cv", fd));
	EXPECT_EQ(1, sh("$LOCKDEV --fd %d -n -s lib-cv", other));
	EXPECT_EQ(0, sh("$LOCKDEV --fd %d -u lib-cv", fd));
	close(other);
	close(fd);
}

TEST_F(prog, usage_errors)
{
	EXPECT_EQ(64, sh("$LOCKDEV 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV lib-usage 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV -E 256 lib-usage true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV -E -1 lib-usage true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV -w abc lib-usage true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV -w -1 lib-usage true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV --bogus lib-usage true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV lib-usage -c 'true' extra 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV --level x lib-usage true 2>/dev/null"));
	EXPECT_EQ(0, sh("$LOCKDEV --help >/dev/null"));
	EXPECT_EQ(0, sh("$LOCKDEV run --help >/dev/null"));
}

TEST_F(prog, lockspace_and_verbose)
{
	char *out;

	EXPECT_EQ(1, sh("$LOCKDEV --lockspace lib-prog-space lib-ls sh -c '$LOCKDEV -S lib-prog-space -n lib-ls true'"));
	EXPECT_EQ(0, sh("$LOCKDEV --lockspace lib-prog-space lib-ls sh -c '$LOCKDEV -n lib-ls true'"));
	EXPECT_EQ(65, sh("$LOCKDEV --lockspace-mode 0600 --lockspace '' lib-ls true 2>/dev/null"));
	out = sh_out("$LOCKDEV --verbose lib-ls true");
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "getting lock took"));
	EXPECT_NE(NULL, strstr(out, "executing true"));
	free(out);
}

TEST_F(prog, list)
{
	char *out, cmd[256], pid[32];
	struct kid k;

	holder_start(_metadata, &k, "lib-list", LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lockdev_lock_async(self->ld, "lib-list",
					LOCKDEV_MODE_SHARED, 0,
					LOCKDEV_FOREVER, 0, NULL));
	snprintf(pid, sizeof(pid), "%d", k.pid);

	out = sh_out("$LOCKDEV list --name lib-list");
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "WAITS-FOR"));
	EXPECT_NE(NULL, strstr(out, "exclusive held"));
	EXPECT_NE(NULL, strstr(out, "shared    waiting"));
	EXPECT_NE(NULL, strstr(out, pid));
	free(out);

	snprintf(cmd, sizeof(cmd), "$LOCKDEV list --pid %d --json", k.pid);
	out = sh_out("%s", cmd);
	ASSERT_NE(NULL, out);
	EXPECT_EQ('[', out[0]);
	EXPECT_NE(NULL, strstr(out, "\"name\": \"lib-list\""));
	EXPECT_NE(NULL, strstr(out, "\"state\": \"held\""));
	EXPECT_EQ(NULL, strstr(out, "\"state\": \"waiting\""));
	free(out);

	snprintf(cmd, sizeof(cmd), "$LOCKDEV list --pid %d --json", getpid());
	out = sh_out("%s", cmd);
	ASSERT_NE(NULL, out);
	snprintf(cmd, sizeof(cmd), "\"waits_for\": [%d]", k.pid);
	EXPECT_NE(NULL, strstr(out, cmd));
	free(out);

	out = sh_out("$LOCKDEV list --name lib-nothing --json");
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("[]\n", out);
	free(out);
	EXPECT_EQ(64, sh("$LOCKDEV list --bogus 2>/dev/null"));
	holder_stop(_metadata, &k, 'u');
}

/*
 * lockdev list names the processes that have a session open now: after the
 * process that took the lock has exited, the child that inherited its
 * session, found by the session's id in its fdinfo.
 */
TEST_F(prog, list_names_openers)
{
	char name[64], cmd[256], want[64], *out;
	struct lockdev *ld;
	pid_t child = -1, p;
	struct kid k;

	snprintf(name, sizeof(name), "lib-openers-%d", getpid());
	/* The grandchild is reaped here once its parent has gone. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (lockdev_open(&ld, 0) ||
		    lockdev_lock(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL))
			_exit(2);
		p = fork();
		if (p < 0)
			_exit(3);
		if (p == 0) {
			/* The child keeps the session until told to go. */
			if (kid_recv(&k, KID_TIMEOUT_S * 1000) == 'u' &&
			    lockdev_unlock_name(ld, name))
				_exit(4);
			_exit(0);
		}
		_exit(write(k.wr, &p, sizeof(p)) == sizeof(p) ? 0 : 5);
	}
	ASSERT_EQ(sizeof(child), read(k.rd, &child, sizeof(child)));
	ASSERT_EQ(0, reap(k.pid, WAIT_MS));

	snprintf(cmd, sizeof(cmd), "$LOCKDEV list --name %s --json", name);
	out = sh_out("%s", cmd);
	ASSERT_NE(NULL, out);
	snprintf(want, sizeof(want), "\"open_by\": [%d]", child);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"state\": \"held\""));
	EXPECT_EQ(NULL, strstr(out, "\"session\": 0"));
	free(out);
	snprintf(cmd, sizeof(cmd), "$LOCKDEV list --name %s", name);
	out = sh_out("%s", cmd);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "OPEN-BY"));
	snprintf(want, sizeof(want), " %d ", child);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	free(out);

	EXPECT_EQ(0, kid_send(&k, 'u'));
	EXPECT_EQ(0, reap(child, WAIT_MS));
	close(k.rd);
	close(k.wr);
	EXPECT_EQ(0, lockdev_trylock(self->ld, name, LOCKDEV_MODE_EXCLUSIVE, 0,
				     NULL));
	EXPECT_EQ(0, lockdev_unlock_name(self->ld, name));
}

/*
 * Idle resident locks: one whose owner died is listed (owner-died), the
 * others only with --all (idle).
 */
TEST_F(prog, list_all)
{
	char cmd[256], *out;
	struct lockdev_grant g;

	lib_require(_metadata, LOCKDEV_FEATURE_RESIDENT, "resident locks");
	ASSERT_EQ(0, lockdev_lock(self->ld, "lib-list-idle",
				  LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g));
	ASSERT_EQ(0, lockdev_unlock(self->ld, g.handle));
	out = sh_out("$LOCKDEV list --name lib-list-idle --json");
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("[]\n", out);
	free(out);
	out = sh_out("$LOCKDEV list --all --name lib-list-idle --json");
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "\"state\": \"idle\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"open_by\": []"));
	free(out);

	/* The command's session ends holding it, lockdev killed under it. */
	EXPECT_EQ(137, sh("$LOCKDEV -x lib-list-died sh -c 'kill -9 $PPID' 2>/dev/null; exit 137"));
	snprintf(cmd, sizeof(cmd), "$LOCKDEV list --name lib-list-died");
	out = sh_out("%s", cmd);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, " owner-died ")) TH_LOG("%s", out);
	free(out);
	ASSERT_EQ(0, lockdev_lock(self->ld, "lib-list-died",
				  LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED,
		  g.result & LOCKDEV_RESULT_OWNER_DIED);
	EXPECT_EQ(0, lockdev_consistent(self->ld, g.handle));
	EXPECT_EQ(0, lockdev_unlock(self->ld, g.handle));
}

TEST_F(prog, stats_order_monitor)
{
	char *out = sh_out("$LOCKDEV stats");

	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, strncmp(out, "version ", 8));
	free(out);
	if (access("/proc/lockdev/order", F_OK)) {
		EXPECT_EQ(70, sh("$LOCKDEV order 2>/dev/null"));
	} else {
		/* Classes taken in both orders: two edges and an inversion. */
		ASSERT_EQ(0, lockdev_lock(self->ld, "libpa:1",
					  LOCKDEV_MODE_SHARED, 0, 0, NULL));
		ASSERT_EQ(0, lockdev_lock(self->ld, "libpb:1",
					  LOCKDEV_MODE_SHARED, 0, 0, NULL));
		ASSERT_EQ(0, sh("exec 9<>/dev/lockdev && $LOCKDEV --fd 9 -s libpb:2 && $LOCKDEV --fd 9 -s libpa:2"));
		out = sh_out("$LOCKDEV order");
		ASSERT_NE(NULL, out);
		EXPECT_NE(NULL, strstr(out, "libpa:1 -> libpb:1"));
		EXPECT_NE(NULL, strstr(out, "libpb:2 -> libpa:2"));
		free(out);
		out = sh_out("$LOCKDEV order --json");
		ASSERT_NE(NULL, out);
		EXPECT_NE(NULL, strstr(out, "\"from\": \"libpa\", \"to\": \"libpb\""));
		EXPECT_NE(NULL, strstr(out, "\"inversions\": [\n    {"));
		EXPECT_NE(NULL, strstr(out, "\"to_name2\": \"libpb:1\""));
		free(out);
		EXPECT_EQ(0, sh("$LOCKDEV order --lockspace nosuchspace | grep -q libpa && exit 1; exit 0"));
	}
	if (access("/proc/lockdev/lock_stat", F_OK)) {
		EXPECT_EQ(70, sh("$LOCKDEV stats --classes 2>/dev/null"));
	} else {
		EXPECT_EQ(0, sh("$LOCKDEV stats --classes >/dev/null"));
	}
	EXPECT_EQ(64, sh("$LOCKDEV monitor --bogus 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV monitor --held x 2>/dev/null"));
	EXPECT_EQ(77, sh("setpriv --reuid 65534 --regid 65534 --clear-groups $LOCKDEV monitor 2>/dev/null"));
}

/* lockdev monitor prints the event of an owner killed under lockdev run. */
TEST_F(prog, monitor_owner_died)
{
	struct lockdev_consistent c = { 0 };
	struct lockdev_lock l;
	char *out;
	int fd;

	out = sh_out("$LOCKDEV monitor --count 1 --json & m=$!; sleep 1; "
		     "$LOCKDEV -x prog-died:x sh -c 'kill -9 $PPID' 2>/dev/null; "
		     "wait $m");
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "\"event\": \"owner-died\""));
	EXPECT_NE(NULL, strstr(out, "\"name\": \"prog-died:x\""));
	EXPECT_NE(NULL, strstr(out, "\"mode\": \"exclusive\""));
	EXPECT_EQ(0, strncmp(out, "{\"time\": \"", 10)) TH_LOG("%s", out);
	free(out);
	fd = open_session();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_call(fd, "prog-died:x", LOCKDEV_MODE_EXCLUSIVE, 0,
			       &l));
	c.handle = l.handle;
	EXPECT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c));
	close(fd);
}

/* The examples of lib/examples run their patterns to the end. */
TEST_F(prog, examples)
{
	static const char * const examples[] = {
		"cyrus-copy", "dovecot-mailbox", "rpm-transaction",
	};
	unsigned int i;

	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		EXPECT_EQ(0, sh("\"$(dirname $LOCKDEV)\"/../lib/examples/%s >/dev/null",
				examples[i])) {
			TH_LOG("example %s failed", examples[i]);
		}
	}
}

/* Not loaded (69), no device (72), permission denied (77). */
TEST_F(prog, module_state_exit_codes)
{
	struct kid k;

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		ASSERT_EQ(0, unshare(CLONE_NEWNS));
		ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
		ASSERT_EQ(0, mount("none", "/dev", "tmpfs", 0, NULL));
		EXPECT_EQ(72, sh("$LOCKDEV version 2>/dev/null"));
		EXPECT_EQ(72, sh("$LOCKDEV lib-state true 2>/dev/null"));
		ASSERT_EQ(0, mount("none", "/proc", "tmpfs", 0, NULL));
		EXPECT_EQ(69, sh("$LOCKDEV version 2>/dev/null"));
		EXPECT_EQ(69, sh("$LOCKDEV list 2>/dev/null"));
		EXPECT_EQ(69, sh("$LOCKDEV -n lib-state true 2>/dev/null"));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));

	ASSERT_EQ(0, chmod(LOCKDEV_DEV, 0600));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		ASSERT_EQ(0, become(65534, 65534));
		EXPECT_EQ(77, sh("$LOCKDEV version 2>/dev/null"));
		EXPECT_EQ(77, sh("$LOCKDEV lib-state true 2>/dev/null"));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_EQ(0, chmod(LOCKDEV_DEV, 0666));
}

TEST_HARNESS_MAIN
