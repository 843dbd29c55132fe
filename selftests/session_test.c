// SPDX-License-Identifier: GPL-2.0
/*
 * Session ids: every session has an id, unique since load, that shows as
 * the last column (session) of /proc/lockdev/locks, in QUERY's entries and
 * in the device's /proc/PID/fdinfo/FD as "lockdev_session:\t<id>". After
 * the process that asked has exited while a forked child keeps the session
 * open, /proc/lockdev/locks says pid 0 and comm "-", and the child's fdinfo
 * names the session: the processes that have it open now.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

#define S LOCKDEV_MODE_SHARED
#define X LOCKDEV_MODE_EXCLUSIVE

static int attach(int fd, const char *space)
{
	struct lockdev_attach a = {
		.name = ptr(space), .name_len = strlen(space), .mode = 0600,
	};

	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

/*
 * The session id in /proc/@pid/fdinfo/@fd: 0 if there is no
 * "lockdev_session:" line, -1 if it is there but not "\t<decimal>", or
 * there more than once.
 */
static long long fdinfo_session(pid_t pid, int fd)
{
	char path[64], *buf, *line, *save = NULL, *end;
	long long id = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	buf = read_file(path);
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "lockdev_session:", 16))
			continue;
		if (id || line[16] != '\t' || line[17] < '0' || line[17] > '9') {
			id = -1;
			break;
		}
		errno = 0;
		id = strtoll(line + 17, &end, 10);
		if (errno || *end || id <= 0) {
			id = -1;
			break;
		}
	}
	free(buf);
	return id;
}

/* The one line of /proc/lockdev/locks for @name in @space; 0 or -1. */
static int proc_line(const char *space, const char *name,
		     struct locks_line *out)
{
	struct locks_line *l;
	int nr, i, n = 0;

	nr = read_locks(NULL, space, &l);
	if (nr < 0)
		return -1;
	for (i = 0; i < nr; i++)
		if (!strcmp(l[i].name, name) && !n++)
			*out = l[i];
	free(l);
	return n == 1 ? 0 : -1;
}

/* The session column, QUERY's session and fdinfo agree; ids differ. */
TEST(ids_agree)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock l;
	struct locks_line pl;
	long long id1, id2, id3;
	char space[64];
	int fd1 = open_session(), fd2 = open_session(), fd3, p[2];

	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	snprintf(space, sizeof(space), "sess-%d", getpid());
	ASSERT_EQ(0, attach(fd1, space));
	ASSERT_EQ(0, attach(fd2, space));
	id1 = fdinfo_session(getpid(), fd1);
	id2 = fdinfo_session(getpid(), fd2);
	EXPECT_LT(0, id1);
	EXPECT_LT(0, id2);
	EXPECT_NE(id1, id2);
	/* Not a lockdev file: no such line. */
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(0, fdinfo_session(getpid(), p[0]));
	close(p[0]);
	close(p[1]);

	ASSERT_EQ(0, lock_call(fd1, "one", X, 0, &l));
	ASSERT_EQ(0, lock_call(fd2, "two", S, 0, &l));
	ASSERT_EQ(0, proc_line(space, "one", &pl));
	EXPECT_EQ(id1, pl.session);
	EXPECT_EQ(getpid(), pl.pid);
	ASSERT_EQ(0, proc_line(space, "two", &pl));
	EXPECT_EQ(id2, pl.session);
	ASSERT_EQ(0, query(fd2, "one", &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(id1, e[0].session);

	/* A session opened later has an id never seen. */
	close(fd2);
	fd3 = open_session();
	ASSERT_LE(0, fd3);
	id3 = fdinfo_session(getpid(), fd3);
	EXPECT_LT(0, id3);
	EXPECT_NE(id1, id3);
	EXPECT_NE(id2, id3);
	close(fd3);
	close(fd1);
}

/*
 * The asker exits, its forked child keeps the session: the line says
 * pid 0 and comm "-", the child's fdinfo names the session.
 */
TEST(child_keeps_session)
{
	struct lockdev_lock l;
	struct locks_line pl;
	long long id;
	char space[64];
	int up[2], down[2], msg[2], status, fd = -1;
	pid_t asker, child = 0;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	snprintf(space, sizeof(space), "sessk-%d", getpid());
	fflush(stdout);
	fflush(stderr);
	asker = fork();
	ASSERT_LE(0, asker);
	if (asker == 0) {
		char c;

		alarm(KID_TIMEOUT_S);
		close(up[0]);
		close(down[1]);
		fd = open_session();
		if (fd < 0 || attach(fd, space) ||
		    lock_call(fd, "kept", S, 0, &l))
			_exit(2);
		child = fork();
		if (child < 0)
			_exit(3);
		if (child == 0) {
			/* Keep the session until the test closes the pipe. */
			close(up[1]);
			while (read(down[0], &c, 1) > 0)
				;
			_exit(0);
		}
		msg[0] = child;
		msg[1] = fd;
		if (write(up[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(4);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	ASSERT_EQ(sizeof(msg), read(up[0], msg, sizeof(msg)));
	child = msg[0];
	fd = msg[1];
	ASSERT_EQ(asker, waitpid(asker, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	id = fdinfo_session(child, fd);
	EXPECT_LT(0, id);
	ASSERT_EQ(0, proc_line(space, "kept", &pl));
	EXPECT_EQ(id, pl.session);
	EXPECT_EQ(0, pl.pid);
	EXPECT_STREQ("-", pl.comm);
	EXPECT_STREQ("held", pl.state);

	/* The child goes: so does the session, and its lock. */
	close(down[1]);
	EXPECT_EQ(0, reap(child, WAIT_MS));
	EXPECT_EQ(-1, proc_line(space, "kept", &pl));
	close(up[0]);
}

TEST_HARNESS_MAIN
