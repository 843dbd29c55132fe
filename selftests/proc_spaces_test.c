// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/lockdev/spaces: its header, one line per lockspace with owner,
 * group, mode, sessions, locks and idle locks that follow what sessions do,
 * escaped names, the line gone with its lockspace, and who may see which
 * lockspace (as in /proc/lockdev/locks: read permission, the uid's own
 * default lockspace, and what the opener of the file may see, asked again
 * at each read, here and in /proc/lockdev/levels); walks of the lockspaces
 * while they come and go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define SPACES		"/proc/lockdev/spaces"
#define UID_READER	3011
#define UID_MEMBER	3012
#define HEADER		"# lockdev spaces 3\n" \
			"# lockspace uid gid mode sessions locks idle state order\n"

/* One line of the file, its name as the file escapes it. */
struct sline {
	char name[4 * LOCKDEV_NAME_MAX + 1];
	unsigned int uid, gid, mode, sessions, locks, idle;
	char state[16];
	char order[16];
};

static int attach(int fd, const char *name, __u32 mode)
{
	struct lockdev_attach a;

	memset(&a, 0, sizeof(a));
	a.name = ptr(name);
	a.name_len = strlen(name);
	a.mode = mode;
	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

/*
 * The line of lockspace @esc (as the file escapes it) in the file's text
 * @text, or /proc/lockdev/spaces read now; 1 found, 0 not, -1 bad line.
 */
static int find_space(const char *text, const char *esc, struct sline *s)
{
	char *buf = text ? strdup(text) : read_file(SPACES), *line, *save;
	int ret = 0, n;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		n = sscanf(line, "%1020s %u %u %o %u %u %u %15s %15s", s->name,
			   &s->uid, &s->gid, &s->mode, &s->sessions, &s->locks,
			   &s->idle, s->state, s->order);
		if (n != 9)
			ret = -1;
		else if (!strcmp(s->name, esc))
			ret = 1;
	}
	free(buf);
	return ret;
}

static int lock_str(int fd, const char *name, __u32 mode)
{
	struct lockdev_lock l;

	return lock_call(fd, name, mode, 0, &l);
}

TEST(header)
{
	char *buf = read_file(SPACES);

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, strncmp(buf, HEADER, strlen(HEADER))) TH_LOG("%s", buf);
	free(buf);
}

/* The counts follow sessions, locks and idle locks; the line goes last. */
TEST(counts)
{
	int a = open_session(), b = open_session(), i;
	struct sline s;
	char name[64];

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	snprintf(name, sizeof(name), "spaces-counts-%d", getpid());
	EXPECT_EQ(0, find_space(NULL, name, &s));
	ASSERT_EQ(0, attach(a, name, 0640));
	ASSERT_EQ(1, find_space(NULL, name, &s));
	EXPECT_EQ(0, s.uid);
	EXPECT_EQ(0, s.gid);
	EXPECT_EQ(0640, s.mode);
	EXPECT_EQ(1, s.sessions);
	EXPECT_EQ(0, s.locks);
	EXPECT_EQ(0, s.idle);
	EXPECT_STREQ("transient", s.state);
	EXPECT_STREQ("strict", s.order);

	ASSERT_EQ(0, attach(b, name, 0600));
	ASSERT_EQ(0, lock_str(a, "held", LOCKDEV_MODE_SHARED));
	ASSERT_EQ(0, lock_str(b, "released", LOCKDEV_MODE_SHARED));
	ASSERT_EQ(0, unlock_name(b, "released"));
	ASSERT_EQ(1, find_space(NULL, name, &s));
	/* The mode of the second attach does not change the first one's. */
	EXPECT_EQ(0640, s.mode);
	EXPECT_EQ(2, s.sessions);
	EXPECT_EQ(1, s.locks);
	EXPECT_EQ(1, s.idle);

	close(b);
	ASSERT_EQ(1, find_space(NULL, name, &s));
	EXPECT_EQ(1, s.sessions);
	close(a);
	/* No session, no lock: the lockspace goes, and its line. */
	for (i = 0; i < 100 && find_space(NULL, name, &s); i++)
		sleep_ms(20);
	EXPECT_EQ(0, find_space(NULL, name, &s));
}

/* Names escaped as /proc/lockdev/locks escapes them; default ones as ~UID. */
TEST(escaped_and_default)
{
	int fd = open_session(), fd2 = open_session();
	char name[64], esc[256];
	struct sline s;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "spaces esc\n~\\%d", getpid());
	snprintf(esc, sizeof(esc), "spaces\\040esc\\012\\176\\134%d",
		 getpid());
	ASSERT_EQ(0, attach(fd, name, 0600));
	EXPECT_EQ(1, find_space(NULL, esc, &s));
	EXPECT_EQ(1, s.sessions);
	/* A session that locks without attaching is in ~0. */
	ASSERT_EQ(0, lock_str(fd2, "spaces-default", LOCKDEV_MODE_SHARED));
	ASSERT_EQ(1, find_space(NULL, "~0", &s));
	EXPECT_EQ(0600, s.mode);
	EXPECT_LE(1, s.sessions);
	EXPECT_LE(1, s.locks);
	close(fd);
	close(fd2);
}

/* Read @fd to its end (up to 64 KiB) into a NUL-terminated buffer. */
static char *read_fd_text(int fd)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size);
	ssize_t n;

	while (buf && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (buf)
		buf[len] = 0;
	return buf;
}

/*
 * Read permission decides, as for /proc/lockdev/locks: others see a 0644
 * lockspace and not a 0600 or 0640 one, a member of the group the 0640
 * one, and each uid its own default lockspace only. What a descriptor
 * shows is decided by the task that opened it: one root opened still shows
 * everything after its process became another uid.
 */
TEST(visibility)
{
	char pub[64], priv[64], grp[64], *text;
	int fds[3], i;
	struct sline s;
	struct kid k;

	snprintf(pub, sizeof(pub), "spaces-pub-%d", getpid());
	snprintf(priv, sizeof(priv), "spaces-priv-%d", getpid());
	snprintf(grp, sizeof(grp), "spaces-grp-%d", getpid());
	for (i = 0; i < 3; i++) {
		fds[i] = open_session();
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_EQ(0, attach(fds[0], pub, 0644));
	ASSERT_EQ(0, attach(fds[1], priv, 0600));
	ASSERT_EQ(0, attach(fds[2], grp, 0640));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		int own, opened = open(SPACES, O_RDONLY | O_CLOEXEC);

		if (opened < 0 || become(UID_READER, UID_READER))
			_exit(2);
		EXPECT_EQ(1, find_space(NULL, pub, &s));
		EXPECT_EQ(0, find_space(NULL, priv, &s));
		EXPECT_EQ(0, find_space(NULL, grp, &s));
		EXPECT_EQ(0, find_space(NULL, "~0", &s));
		own = open_session();
		EXPECT_LE(0, own);
		EXPECT_EQ(0, lock_str(own, "mine", LOCKDEV_MODE_SHARED));
		EXPECT_EQ(1, find_space(NULL, "~3011", &s));
		EXPECT_EQ(UID_READER, s.uid);
		EXPECT_EQ(UID_READER, s.gid);
		/* Root's descriptor, read now: root's view. */
		text = read_fd_text(opened);
		EXPECT_NE(NULL, text);
		EXPECT_EQ(1, find_space(text, priv, &s));
		EXPECT_EQ(1, find_space(text, grp, &s));
		free(text);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_MEMBER, 0))
			_exit(2);
		EXPECT_EQ(1, find_space(NULL, pub, &s));
		EXPECT_EQ(0, find_space(NULL, priv, &s));
		EXPECT_EQ(1, find_space(NULL, grp, &s));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));

	/* Root sees all three. */
	EXPECT_EQ(1, find_space(NULL, pub, &s));
	EXPECT_EQ(1, find_space(NULL, priv, &s));
	EXPECT_EQ(1, find_space(NULL, grp, &s));
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

/*
 * The offset in @text of the first line whose first field is @name, as the
 * file escapes it: how much a reader reads before that lockspace's line;
 * -1 if there is none.
 */
static long line_offset(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, name, len) && line[len] == ' ')
			return line - text;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

/* LOCKDEV_SPACE_LEVEL: names of @space from @prefix on have @level. */
static int declare_level(int fd, const char *space, const char *prefix,
			 __u32 level)
{
	struct lockdev_space_ctl c;

	memset(&c, 0, sizeof(c));
	c.name = ptr(space);
	c.name_len = strlen(space);
	c.op = LOCKDEV_SPACE_LEVEL;
	c.prefix = ptr(prefix);
	c.prefix_len = strlen(prefix);
	c.level = level;
	return ioctl(fd, LOCKDEV_IOC_SPACE, &c);
}

/*
 * A reader whose read() stopped just before a lockspace's line, in this
 * file or in /proc/lockdev/levels, does not get that line in its next
 * read() once the lockspace's mode no longer lets it see it: the walk
 * stood on the lockspace when it could, and whether it may is asked again
 * when the line is shown.
 */
TEST(visibility_asked_again_at_each_read)
{
	const char *files[] = { SPACES, "/proc/lockdev/levels" };
	char pub[64], *text, buf[4096];
	int fd, i;
	struct kid k;

	snprintf(pub, sizeof(pub), "spaces-later-%d", getpid());
	fd = open_session();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, space_ctl_call(fd, pub, strlen(pub), LOCKDEV_SPACE_CREATE,
				    0, 0644, LOCKDEV_SPACE_KEEP,
				    LOCKDEV_SPACE_KEEP));
	ASSERT_EQ(0, declare_level(fd, pub, "secret:", 5));
	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, kid_fork(&k));
		if (k.pid == 0) {
			long off, got = 0;
			ssize_t n;
			int f;

			if (become(UID_READER, UID_READER))
				_exit(2);
			f = open(files[i], O_RDONLY | O_CLOEXEC);
			text = f < 0 ? NULL : read_fd_text(f);
			ASSERT_NE(NULL, text);
			close(f);
			off = line_offset(text, pub);
			ASSERT_LE(0, off);
			ASSERT_GT((long)sizeof(buf), off);
			free(text);
			f = open(files[i], O_RDONLY | O_CLOEXEC);
			ASSERT_LE(0, f);
			while (got < off && (n = read(f, buf, off - got)) > 0)
				got += n;
			EXPECT_EQ(off, got);
			ASSERT_EQ(0, kid_send(&k, 'r'));
			ASSERT_EQ('m', kid_recv(&k, WAIT_MS));
			text = read_fd_text(f);
			ASSERT_NE(NULL, text);
			EXPECT_EQ(-1, line_offset(text, pub)) {
				TH_LOG("%s shows %s after its mode became 0600",
				       files[i], pub);
			}
			free(text);
			close(f);
			KID_EXIT();
		}
		ASSERT_EQ('r', kid_recv(&k, WAIT_MS));
		EXPECT_EQ(0, space_ctl_call(fd, pub, strlen(pub),
					    LOCKDEV_SPACE_SET, 0, 0600,
					    LOCKDEV_SPACE_KEEP,
					    LOCKDEV_SPACE_KEEP));
		EXPECT_EQ(0, kid_send(&k, 'm'));
		EXPECT_EQ(0, kid_reap(&k));
		EXPECT_EQ(0, space_ctl_call(fd, pub, strlen(pub),
					    LOCKDEV_SPACE_SET, 0, 0644,
					    LOCKDEV_SPACE_KEEP,
					    LOCKDEV_SPACE_KEEP));
	}
	EXPECT_EQ(0, space_ctl_call(fd, pub, strlen(pub), LOCKDEV_SPACE_REMOVE,
				    LOCKDEV_SPACE_FORCE, 0, 0, 0));
	close(fd);
}

/*
 * Readers walk the lockspaces, in this file and in /proc/lockdev/locks, a
 * few bytes per read() so that each read goes on from the lockspace where
 * the last one stopped, while other processes create lockspaces and close
 * their last sessions, which frees them: a walk must never step onto a
 * freed lockspace (the debug lane's KASAN checks it), and every read must
 * succeed.
 */
TEST(walk_while_spaces_go)
{
	const char *files[] = { SPACES, "/proc/lockdev/locks" };
	long end = now_ns() / 1000000 + 3000;
	int i, n, fd, status;
	pid_t kids[4];
	char buf[64];
	ssize_t r;

	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		ASSERT_LE(0, kids[i]);
		if (kids[i])
			continue;
		for (n = 0; now_ns() / 1000000 < end; n++) {
			if (i < 2) {
				fd = open_session();
				snprintf(buf, sizeof(buf), "pw.%d.%d", i, n % 64);
				if (fd < 0 || attach(fd, buf, 0644) ||
				    lock_str(fd, "x", LOCKDEV_MODE_EXCLUSIVE))
					_exit(1);
			} else {
				fd = open(files[i & 1], O_RDONLY);
				if (fd < 0)
					_exit(2);
				while ((r = read(fd, buf, 7)) > 0)
					;
				if (r < 0)
					_exit(3);
			}
			close(fd);
		}
		_exit(0);
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
}

TEST_HARNESS_MAIN
