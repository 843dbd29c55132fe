// SPDX-License-Identifier: GPL-2.0
/* /proc/lockdev/stats: its format and the session counters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"


TEST(format)
{
	const char *names[] = {
		"version", "sessions", "sessions_opened", "lockspaces",
		"locks", "holders", "waiters", "grants", "contended",
		"timeouts", "cancels", "eagains", "deadlocks", "owner_deaths",
		"memory", "cycles", "order_violations", "inversions",
		"classes", "class_edges", "order_full", "events",
		"events_dropped", "idle_locks", "idle_dropped",
		"handed_over", "idle_cuts",
	};
	char key[64];
	long long value;
	unsigned int i = 0;
	FILE *f = fopen(STATS, "r");

	ASSERT_NE(NULL, f);
	/* The names, in their documented order, with decimal values. */
	while (fscanf(f, "%63s %lld", key, &value) == 2) {
		ASSERT_GT(sizeof(names) / sizeof(names[0]), i);
		EXPECT_STREQ(names[i], key);
		EXPECT_LE(0, value);
		if (i == 0)
			EXPECT_EQ(LOCKDEV_PROC_STATS_VERSION, value);
		i++;
	}
	EXPECT_TRUE(feof(f));
	EXPECT_EQ(sizeof(names) / sizeof(names[0]), i);
	fclose(f);
}

TEST(read_only)
{
	struct stat st;
	int fd;

	ASSERT_EQ(0, stat(STATS, &st));
	EXPECT_EQ(S_IFREG | 0444, st.st_mode);
	/* Root may open it for writing, but a write changes nothing. */
	fd = open(STATS, O_WRONLY);
	if (fd < 0) {
		EXPECT_EQ(EACCES, errno);
		return;
	}
	EXPECT_EQ(-1, write(fd, "0\n", 2));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

TEST(sessions_counted)
{
	long long sessions = stat_value("sessions");
	long long opened = stat_value("sessions_opened");
	int fds[3], i;

	ASSERT_LE(0, sessions);
	for (i = 0; i < 3; i++) {
		fds[i] = open_session();
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(sessions + 3, stat_value("sessions"));
	EXPECT_LE(opened + 3, stat_value("sessions_opened"));
	for (i = 0; i < 3; i++)
		close(fds[i]);
	EXPECT_EQ(sessions, stat_value("sessions"));
}

/* A session is one open file description: fork shares it, exit drops it. */
TEST(session_shared_by_fork)
{
	long long sessions = stat_value("sessions");
	int fd = open_session(), status;
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(stat_value("sessions") == sessions + 1 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(sessions + 1, stat_value("sessions"));
	close(fd);
	EXPECT_EQ(sessions, stat_value("sessions"));
}

TEST(session_dropped_by_exit)
{
	long long sessions = stat_value("sessions");
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (open_session() < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(sessions, stat_value("sessions"));
}

TEST_HARNESS_MAIN
