// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/lockdev/locks (format, escapes, holders, waiters, conversions, who
 * may see what, pids per pid namespace) and how the /proc/lockdev/stats
 * counters move.
 *
 * Other tasks are forked children; every child dies by SIGALRM after
 * KID_TIMEOUT_S and every wait is bounded, so a broken module fails a test,
 * never hangs it. A request is known to be queued when QUERY shows it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define LOCKS		"/proc/lockdev/locks"

/* Deadline of a child's blocking request: it must be granted long before. */
#define KID_DEADLINE_NS	15000000000ull

/* Unprivileged ids of readers. */
#define UID_READER	3001
#define UID_GROUP	3002
/* The uid that opens /proc/lockdev files for root to read. */
#define UID_OPENER	3003

#define COLUMNS "lockspace name level mode state pid comm age_ms owner_died " \
		"generation waits_for session"

static void __attribute__((constructor)) ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static int kid_write(struct kid *k, const void *buf, size_t len)
{
	return write(k->wr, buf, len) == (ssize_t)len ? 0 : -1;
}

/* Read @len bytes from the other side within @timeout_ms, or fail. */
static int kid_read(struct kid *k, void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = k->rd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&p, 1, timeout_ms) != 1)
			return -1;
		n = read(k->rd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int attach_str(int fd, const char *name, __u32 mode)
{
	struct lockdev_attach a;

	memset(&a, 0, sizeof(a));
	a.name = ptr(name);
	a.name_len = strlen(name);
	a.mode = mode;
	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

/* LOCK @len bytes at @name; outputs in @l (poisoned first), may be NULL. */
static int do_lock(int fd, const void *name, size_t len, __u32 mode,
		   __u32 level, __u32 flags, __u64 deadline,
		   struct lockdev_lock *l)
{
	struct lockdev_lock tmp;

	if (!l)
		l = &tmp;
	memset(l, 0, sizeof(*l));
	l->name = ptr(name);
	l->name_len = len;
	l->mode = mode;
	l->level = level;
	l->flags = flags;
	l->deadline_ns = deadline;
	poison(&l->handle, sizeof(l->handle));
	poison(&l->generation, sizeof(l->generation));
	poison(&l->result, sizeof(l->result));
	return ioctl(fd, LOCKDEV_IOC_LOCK, l);
}

static int lock_str(int fd, const char *name, __u32 mode, __u32 flags,
		    struct lockdev_lock *l)
{
	return do_lock(fd, name, strlen(name), mode, 0, flags, 0, l);
}

/* A child's blocking request, bounded by KID_DEADLINE_NS. */
static int lock_wait(int fd, const char *name, __u32 mode)
{
	return do_lock(fd, name, strlen(name), mode, 0, LOCKDEV_LOCK_DEADLINE,
		       now_ns() + KID_DEADLINE_NS, NULL);
}

static int unlock_str(int fd, const char *name)
{
	struct lockdev_unlock u;

	memset(&u, 0, sizeof(u));
	u.name = ptr(name);
	u.name_len = strlen(name);
	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

static int convert_wait(int fd, const char *name, __u32 mode)
{
	struct lockdev_convert c;

	memset(&c, 0, sizeof(c));
	c.name = ptr(name);
	c.name_len = strlen(name);
	c.mode = mode;
	c.flags = LOCKDEV_LOCK_DEADLINE;
	c.deadline_ns = now_ns() + KID_DEADLINE_NS;
	poison(&c.generation, sizeof(c.generation));
	poison(&c.result, sizeof(c.result));
	return ioctl(fd, LOCKDEV_IOC_CONVERT, &c);
}

static int do_query(int fd, const void *name, size_t len,
		    struct lockdev_entry *e, __u32 nr, struct lockdev_query *q)
{
	memset(q, 0, sizeof(*q));
	q->name = ptr(name);
	q->name_len = len;
	q->entries = ptr(e);
	q->nr_entries = nr;
	poison(&q->lock_flags, sizeof(q->lock_flags));
	poison(&q->generation, sizeof(q->generation));
	if (e)
		poison(e, nr * sizeof(*e));
	return ioctl(fd, LOCKDEV_IOC_QUERY, q);
}

/* The lock's generation by QUERY, or 0. */
static __u64 generation_of(int fd, const void *name, size_t len)
{
	struct lockdev_query q;

	if (do_query(fd, name, len, NULL, 0, &q))
		return 0;
	return q.generation;
}

/* Wait up to WAIT_MS for QUERY to show task @pid's request in @state. */
static int wait_task_state(int fd, const char *name, __u32 state, pid_t pid)
{
	struct lockdev_entry e[16];
	struct lockdev_query q;
	unsigned int i;
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 5) {
		if (!do_query(fd, name, strlen(name), e, 16, &q))
			for (i = 0; i < q.nr_entries && i < 16; i++)
				if (e[i].state == state &&
				    e[i].pid == (__u32)pid)
					return 0;
		sleep_ms(5);
	}
	return -1;
}

/* Stats */

static const char *const stat_names[] = {
	"version", "sessions", "sessions_opened", "lockspaces", "locks",
	"holders", "waiters", "grants", "contended", "timeouts", "cancels",
	"eagains", "deadlocks", "owner_deaths", "memory",
};

#define NR_STATS ARRAY_SIZE(stat_names)

struct stats {
	long long v[NR_STATS];
};

static int stat_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_STATS; i++)
		if (!strcmp(stat_names[i], name))
			return i;
	return -1;
}

static void read_stats(struct stats *s)
{
	char key[64];
	long long value;
	FILE *f = fopen(STATS, "r");
	int i;

	for (i = 0; i < (int)NR_STATS; i++)
		s->v[i] = -1;
	if (!f)
		return;
	while (fscanf(f, "%63s %lld", key, &value) == 2) {
		i = stat_index(key);
		if (i >= 0)
			s->v[i] = value;
	}
	fclose(f);
}

/*
 * Expect every counter of @now to be the one of @then plus the delta named
 * in @deltas ("name", delta, ..., NULL), or unchanged; memory and the
 * session counters are left out.
 */
static void expect_stats(struct __test_metadata *_metadata,
			 const struct stats *then, const struct stats *now,
			 const char *step, const char *const *names,
			 const int *deltas)
{
	unsigned int i, j;
	long long want;

	for (i = 0; i < NR_STATS; i++) {
		if (!strcmp(stat_names[i], "memory") ||
		    !strncmp(stat_names[i], "sessions", 8))
			continue;
		want = then->v[i];
		for (j = 0; names[j]; j++)
			if (!strcmp(names[j], stat_names[i]))
				want += deltas[j];
		EXPECT_EQ(want, now->v[i])
			TH_LOG("%s: %s", step, stat_names[i]);
	}
}

/* /proc/lockdev/locks */

struct pline {
	char space[4 * (LOCKDEV_NAME_MAX + 1)];
	char name[4 * (LOCKDEV_NAME_MAX + 1)];
	unsigned long level;
	char mode[16];
	char state[16];
	long pid;
	char comm[4 * 16 + 1];
	long long age_ms;
	long owner_died;
	unsigned long long generation;
	char waits_for[512];
	unsigned long long session;
};

static int copy_field(char *dst, size_t size, const char *src)
{
	if (!*src || strlen(src) >= size)
		return -1;
	strcpy(dst, src);
	return 0;
}

static int num_field(const char *src, long long *v)
{
	char *end;

	if (!*src)
		return -1;
	errno = 0;
	*v = strtoll(src, &end, 10);
	return errno || *end ? -1 : 0;
}

/* A decimal u64 field. */
static int u64_field(const char *src, unsigned long long *v)
{
	char *end;

	if (!*src || *src == '-')
		return -1;
	errno = 0;
	*v = strtoull(src, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Parse one line of entries: 12 fields, one space apart. */
static int parse_line(const char *line, struct pline *p)
{
	char copy[8192], *rest = copy, *f[13];
	long long v[5];
	int n = 0;

	if (strlen(line) >= sizeof(copy))
		return -1;
	strcpy(copy, line);
	while (rest && n < 13)
		f[n++] = strsep(&rest, " ");
	if (n != 12 || rest)
		return -1;
	if (copy_field(p->space, sizeof(p->space), f[0]) ||
	    copy_field(p->name, sizeof(p->name), f[1]) ||
	    num_field(f[2], &v[0]) ||
	    copy_field(p->mode, sizeof(p->mode), f[3]) ||
	    copy_field(p->state, sizeof(p->state), f[4]) ||
	    num_field(f[5], &v[1]) ||
	    copy_field(p->comm, sizeof(p->comm), f[6]) ||
	    num_field(f[7], &v[2]) ||
	    num_field(f[8], &v[3]) ||
	    copy_field(p->waits_for, sizeof(p->waits_for), f[10]) ||
	    u64_field(f[9], &p->generation) ||
	    u64_field(f[11], &p->session))
		return -1;
	p->level = v[0];
	p->pid = v[1];
	p->age_ms = v[2];
	p->owner_died = v[3];
	return 0;
}

/*
 * Read /proc/lockdev/locks and return how many lines there are for lock
 * @name (escaped) of lockspace @space (escaped), copying up to @max of them
 * to @out; -1 if the file cannot be read, -2 if a line does not parse.
 */
static int find_lines(const char *space, const char *name,
		      struct pline *out, int max)
{
	char *buf = read_file(LOCKS), *line, *save = NULL;
	struct pline *p = malloc(sizeof(*p));
	int n = 0, nr = 0;

	if (!buf || !p) {
		free(buf);
		free(p);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (++nr <= 2)
			continue;
		if (parse_line(line, p)) {
			n = -2;
			break;
		}
		if (strcmp(p->space, space) || strcmp(p->name, name))
			continue;
		if (n < max)
			out[n] = *p;
		n++;
	}
	free(p);
	free(buf);
	return n;
}

/* The line of @lines[@n] of task @pid in @state, or NULL. */
static struct pline *line_of(struct pline *lines, int n, long pid,
			     const char *state)
{
	int i;

	for (i = 0; i < n; i++)
		if (lines[i].pid == pid && !strcmp(lines[i].state, state))
			return &lines[i];
	return NULL;
}

/*
 * Escape @len bytes as /proc/lockdev/locks does: every byte outside
 * 0x21-0x7e, the backslash and the tilde become \ooo.
 */
static char *escape(char *out, const void *bytes, size_t len)
{
	const unsigned char *s = bytes;
	char *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '\\' || s[i] == '~')
			o += sprintf(o, "\\%03o", s[i]);
		else
			*o++ = s[i];
	}
	*o = 0;
	return out;
}

static char *escape_str(char *out, const char *s)
{
	return escape(out, s, strlen(s));
}

/* The escaped comm of the calling task. */
static char *my_comm(char *out)
{
	char comm[17] = "";

	prctl(PR_GET_NAME, comm);
	return escape_str(out, comm);
}

/* The default lockspace of the caller's uid, as /proc shows it. */
static char *default_space(char *out)
{
	sprintf(out, "~%u", geteuid());
	return out;
}

/* Whether comma-separated @list is exactly the set {@a, @b} (@b 0: {@a}). */
static int is_pid_set(const char *list, long a, long b)
{
	char copy[512], *rest = copy, *f;
	int seen_a = 0, seen_b = 0, n = 0;

	snprintf(copy, sizeof(copy), "%s", list);
	while ((f = strsep(&rest, ","))) {
		n++;
		if (atol(f) == a && !seen_a)
			seen_a = 1;
		else if (b && atol(f) == b && !seen_b)
			seen_b = 1;
		else
			return 0;
	}
	return seen_a && (!b || seen_b) && n == (b ? 2 : 1);
}

TEST(header)
{
	char *buf = read_file(LOCKS), *nl, *second;
	char first[64];
	struct stat st;

	ASSERT_NE(NULL, buf);
	snprintf(first, sizeof(first), "# lockdev locks %d",
		 LOCKDEV_PROC_LOCKS_VERSION);
	nl = strchr(buf, '\n');
	ASSERT_NE(NULL, nl);
	*nl = 0;
	EXPECT_STREQ(first, buf);
	second = nl + 1;
	nl = strchr(second, '\n');
	ASSERT_NE(NULL, nl);
	*nl = 0;
	/* The header does not say whether the column line starts with "# ". */
	if (!strncmp(second, "# ", 2))
		second += 2;
	EXPECT_STREQ(COLUMNS, second);
	free(buf);

	ASSERT_EQ(0, stat(LOCKS, &st));
	EXPECT_EQ(S_IFREG | 0444, st.st_mode);
}

/* Every line parses, with the documented words in mode and state. */
TEST(all_lines_parse)
{
	char *buf, *line, *save = NULL;
	int fd = open_session(), nr = 0;
	struct pline *p = malloc(sizeof(*p));

	ASSERT_NE(NULL, p);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_str(fd, "proc-parse-lock", LOCKDEV_MODE_SHARED, 0,
			      NULL));
	buf = read_file(LOCKS);
	ASSERT_NE(NULL, buf);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (++nr <= 2)
			continue;
		ASSERT_EQ(0, parse_line(line, p)) TH_LOG("line '%s'", line);
		EXPECT_LE(0, p->age_ms);
		EXPECT_NE(0, p->generation);
		/* An idle owner-died lock: no mode, pid, comm nor session. */
		if (!strcmp(p->state, "owner-died")) {
			EXPECT_STREQ("-", p->mode);
			EXPECT_EQ(0, p->pid);
			EXPECT_STREQ("-", p->comm);
			EXPECT_EQ(1, p->owner_died);
			EXPECT_STREQ("-", p->waits_for);
			EXPECT_EQ(0, p->session);
			continue;
		}
		EXPECT_TRUE(!strcmp(p->mode, "none") ||
			    !strcmp(p->mode, "shared") ||
			    !strcmp(p->mode, "append") ||
			    !strcmp(p->mode, "exclusive") ||
			    !strcmp(p->mode, "none"));
		EXPECT_TRUE(!strcmp(p->state, "held") ||
			    !strcmp(p->state, "waiting") ||
			    !strcmp(p->state, "converting"));
		EXPECT_NE(0, p->session);
		EXPECT_TRUE(p->owner_died == 0 || p->owner_died == 1);
	}
	EXPECT_LE(3, nr);
	free(buf);
	free(p);
	close(fd);
}

/* A held lock: one line with every field right, its name escaped. */
TEST(held_line)
{
	char name[128], esc_name[512], space[64], esc_space[256], comm[80];
	char esc[512];
	static const char tail[] = " a\tb\nc\\d~\xe9\0e";
	int fd = open_session(), fd2 = open_session(), n, len;
	struct pline lines[4];
	struct lockdev_lock l;
	__u64 gen;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(space, sizeof(space), "proc-held-%d", getpid());
	len = snprintf(name, sizeof(name), "proc-held-lock-%d", getpid());
	memcpy(name + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	escape(esc_name, name, len);
	escape(esc_space, space, strlen(space));
	/* The bytes come out as octal escapes. */
	snprintf(esc, sizeof(esc),
		 "proc-held-lock-%d\\040a\\011b\\012c\\134d\\176\\351\\000e",
		 getpid());
	ASSERT_STREQ(esc, esc_name);

	ASSERT_EQ(0, attach_str(fd, space, 0600));
	ASSERT_EQ(0, do_lock(fd, name, len, LOCKDEV_MODE_APPEND, 7, 0, 0, &l));
	sleep_ms(100);
	gen = generation_of(fd, name, len);
	EXPECT_EQ(l.generation, gen);

	n = find_lines(esc_space, esc_name, lines, 4);
	ASSERT_EQ(1, n);
	EXPECT_EQ(7, lines[0].level);
	EXPECT_STREQ("append", lines[0].mode);
	EXPECT_STREQ("held", lines[0].state);
	EXPECT_EQ(getpid(), lines[0].pid);
	EXPECT_STREQ(my_comm(comm), lines[0].comm);
	EXPECT_LE(50, lines[0].age_ms);
	EXPECT_GT(60000, lines[0].age_ms);
	EXPECT_EQ(0, lines[0].owner_died);
	EXPECT_EQ(gen, lines[0].generation);
	EXPECT_STREQ("-", lines[0].waits_for);

	/* An exclusive lock at level 0 in the default lockspace. */
	snprintf(name, sizeof(name), "proc-held-default-%d", getpid());
	ASSERT_EQ(0, lock_str(fd2, name, LOCKDEV_MODE_EXCLUSIVE, 0, &l));
	n = find_lines(default_space(space), escape_str(esc_name, name),
		       lines, 4);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, lines[0].level);
	EXPECT_STREQ("exclusive", lines[0].mode);
	EXPECT_STREQ("held", lines[0].state);
	EXPECT_EQ(getpid(), lines[0].pid);
	EXPECT_LE(0, lines[0].age_ms);
	EXPECT_EQ(l.generation, lines[0].generation);
	EXPECT_STREQ("-", lines[0].waits_for);

	/* Released, it is gone. */
	EXPECT_EQ(0, unlock_str(fd2, name));
	EXPECT_EQ(0, find_lines(space, esc_name, lines, 4));
	close(fd);
	close(fd2);
}

/* Two shared holders are two lines; a lockspace's '~' is \176. */
TEST(shared_holders_and_tilde)
{
	char space[64], esc_space[256], esc_name[256];
	int fd = open_session(), fd2 = open_session(), n;
	const char *name = "proc-tilde-lock";
	struct pline lines[4];
	struct kid k;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(space, sizeof(space), "~proc-tilde-%d~", getpid());
	escape(esc_space, space, strlen(space));
	ASSERT_EQ('\\', esc_space[0]);
	ASSERT_EQ(0, strncmp(esc_space, "\\176proc-tilde-", 15));
	ASSERT_EQ(0, attach_str(fd, space, 0600));
	ASSERT_EQ(0, attach_str(fd2, space, 0600));
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));

	/* The other holder is a child, to tell the lines apart by pid. */
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		EXPECT_EQ(0, lock_str(fd2, name, LOCKDEV_MODE_SHARED, 0,
				      NULL));
		kid_send(&k, _metadata->passed ? 'L' : 'E');
		kid_recv(&k, WAIT_MS);
		KID_EXIT();
	}
	ASSERT_EQ('L', kid_recv(&k, WAIT_MS));
	n = find_lines(esc_space, escape_str(esc_name, name), lines, 4);
	EXPECT_EQ(2, n);
	EXPECT_NE(NULL, line_of(lines, n, getpid(), "held"));
	EXPECT_NE(NULL, line_of(lines, n, k.pid, "held"));
	kid_send(&k, 'q');
	EXPECT_EQ(0, kid_reap(&k));
	close(fd);
	close(fd2);
}

/*
 * Waiters: state waiting, the mode asked for, their own pid and comm, and
 * whom they wait for: the holder, and an incompatible earlier waiter.
 */
TEST(waiter_lines)
{
	char name[64], esc_name[256], space[32], comm[80];
	int fd = open_session(), n, fdk;
	struct pline lines[8], *p;
	struct kid b, c;
	__u64 gen;

	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "proc-wait-%d", getpid());
	escape_str(esc_name, name);
	default_space(space);
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));

	/* b waits for exclusive. */
	ASSERT_LE(0, kid_fork(&b));
	if (b.pid == 0) {
		prctl(PR_SET_NAME, "ld waiter\\b");
		fdk = open_session();
		EXPECT_LE(0, fdk);
		EXPECT_EQ(0, lock_wait(fdk, name, LOCKDEV_MODE_EXCLUSIVE));
		EXPECT_EQ(0, unlock_str(fdk, name));
		KID_EXIT();
	}
	ASSERT_EQ(0, wait_task_state(fd, name, LOCKDEV_STATE_WAITING, b.pid));

	/* c waits for shared, behind b. */
	ASSERT_LE(0, kid_fork(&c));
	if (c.pid == 0) {
		prctl(PR_SET_NAME, "ldwaitc");
		fdk = open_session();
		EXPECT_LE(0, fdk);
		EXPECT_EQ(0, lock_wait(fdk, name, LOCKDEV_MODE_SHARED));
		KID_EXIT();
	}
	ASSERT_EQ(0, wait_task_state(fd, name, LOCKDEV_STATE_WAITING, c.pid));
	sleep_ms(20);
	gen = generation_of(fd, name, strlen(name));

	n = find_lines(space, esc_name, lines, 8);
	EXPECT_EQ(3, n);
	p = line_of(lines, n, getpid(), "held");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("exclusive", p->mode);
	EXPECT_STREQ("-", p->waits_for);
	EXPECT_STREQ(my_comm(comm), p->comm);

	p = line_of(lines, n, b.pid, "waiting");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("exclusive", p->mode);
	EXPECT_STREQ("ld\\040waiter\\134b", p->comm);
	EXPECT_EQ(0, p->level);
	EXPECT_LE(0, p->age_ms);
	EXPECT_EQ(0, p->owner_died);
	EXPECT_EQ(gen, p->generation);
	EXPECT_TRUE(is_pid_set(p->waits_for, getpid(), 0))
		TH_LOG("b waits for '%s'", p->waits_for);

	p = line_of(lines, n, c.pid, "waiting");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("shared", p->mode);
	EXPECT_STREQ("ldwaitc", p->comm);
	EXPECT_EQ(gen, p->generation);
	EXPECT_TRUE(is_pid_set(p->waits_for, getpid(), b.pid))
		TH_LOG("c waits for '%s'", p->waits_for);

	/* Released: b, then c get it and go. */
	EXPECT_EQ(0, unlock_str(fd, name));
	EXPECT_EQ(0, kid_reap(&b));
	EXPECT_EQ(0, kid_reap(&c));
	EXPECT_EQ(0, find_lines(space, esc_name, lines, 8));
	close(fd);
}

/*
 * How many of comma-separated @list are @pid, and whether it ends in "...";
 * -1 if an element is neither.
 */
static int count_pid(const char *list, long pid, int *more)
{
	char copy[512], *rest = copy, *f;
	int n = 0;

	*more = 0;
	snprintf(copy, sizeof(copy), "%s", list);
	while ((f = strsep(&rest, ","))) {
		if (*more)
			return -1;
		if (!strcmp(f, "..."))
			*more = 1;
		else if (atol(f) == pid)
			n++;
		else
			return -1;
	}
	return n;
}

/*
 * waits_for lists at most LOCKDEV_PROC_WAITS_FOR_MAX pids, then "...", so
 * that a lock's lines grow linearly with its waiters.
 */
TEST(waits_for_bounded)
{
	int fd[LOCKDEV_PROC_WAITS_FOR_MAX + 2], n, i, more;
	char name[64], esc_name[256], space[32];
	const int nr = LOCKDEV_PROC_WAITS_FOR_MAX + 2;
	struct lockdev_lock l[2];
	struct pline *lines;

	lines = calloc(nr + 1, sizeof(*lines));
	ASSERT_NE(NULL, lines);
	snprintf(name, sizeof(name), "proc-bounded-%d", getpid());
	escape_str(esc_name, name);
	default_space(space);
	for (i = 0; i < nr; i++) {
		fd[i] = open_session();
		ASSERT_LE(0, fd[i]);
	}
	/* LOCKDEV_PROC_WAITS_FOR_MAX readers; two writers queue behind. */
	for (i = 0; i < LOCKDEV_PROC_WAITS_FOR_MAX; i++)
		ASSERT_EQ(0, lock_str(fd[i], name, LOCKDEV_MODE_SHARED, 0,
				      NULL));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, lock_str(fd[nr - 2 + i], name,
				      LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_ASYNC, &l[i]));
		ASSERT_EQ(LOCKDEV_RESULT_QUEUED, l[i].result);
	}

	n = find_lines(space, esc_name, lines, nr + 1);
	ASSERT_EQ(nr, n);
	/* The first writer waits for each reader: all listed. */
	for (i = 0; i < n && strcmp(lines[i].state, "waiting"); i++)
		;
	ASSERT_LT(i + 1, n);
	EXPECT_EQ(LOCKDEV_PROC_WAITS_FOR_MAX,
		  count_pid(lines[i].waits_for, getpid(), &more));
	EXPECT_EQ(0, more);
	/* The second for each reader and the first writer: one too many. */
	EXPECT_STREQ("waiting", lines[i + 1].state);
	EXPECT_EQ(LOCKDEV_PROC_WAITS_FOR_MAX,
		  count_pid(lines[i + 1].waits_for, getpid(), &more)) {
		TH_LOG("waits_for '%s'", lines[i + 1].waits_for);
	}
	EXPECT_EQ(1, more);

	for (i = 0; i < nr; i++)
		close(fd[i]);
	free(lines);
}

/*
 * A holder whose process has exited, its session still open in another,
 * shows pid 0, and so does every waits_for that names it: not its old
 * number, which another process may have by now.
 */
TEST(waits_for_exited)
{
	char name[64], esc_name[256], space[32];
	int fd = open_session(), w = open_session(), n;
	struct pline lines[4], *p;
	struct lockdev_lock l;
	struct kid k;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, w);
	snprintf(name, sizeof(name), "proc-exited-%d", getpid());
	escape_str(esc_name, name);
	default_space(space);
	/* A child asks on the inherited session, then exits. */
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		EXPECT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK, NULL));
		KID_EXIT();
	}
	ASSERT_EQ(0, kid_reap(&k));
	ASSERT_EQ(0, lock_str(w, name, LOCKDEV_MODE_SHARED, LOCKDEV_LOCK_ASYNC,
			      &l));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, l.result);

	n = find_lines(space, esc_name, lines, 4);
	ASSERT_EQ(2, n);
	p = line_of(lines, n, 0, "held");
	ASSERT_NE(NULL, p);
	p = line_of(lines, n, getpid(), "waiting");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("0", p->waits_for);
	close(w);
	close(fd);
}

#define HELD_FOR_MS	1500

/*
 * A waiting upgrade: state converting, the mode it asks for, and the age of
 * its wait, from when it queued; the same request's held line keeps the
 * age of its hold.
 */
TEST(converting_line)
{
	char name[64], esc_name[256], space[32];
	int fd = open_session(), n, fdk;
	struct pline lines[8], *p;
	struct kid b;

	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "proc-conv-%d", getpid());
	escape_str(esc_name, name);
	default_space(space);
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));

	ASSERT_LE(0, kid_fork(&b));
	if (b.pid == 0) {
		fdk = open_session();
		EXPECT_LE(0, fdk);
		EXPECT_EQ(0, lock_str(fdk, name, LOCKDEV_MODE_SHARED, 0, NULL));
		sleep_ms(HELD_FOR_MS);
		EXPECT_EQ(0, convert_wait(fdk, name, LOCKDEV_MODE_EXCLUSIVE));
		KID_EXIT();
	}
	ASSERT_EQ(0, wait_task_state(fd, name, LOCKDEV_STATE_CONVERTING, b.pid));

	n = find_lines(space, esc_name, lines, 8);
	EXPECT_LE(2, n);
	p = line_of(lines, n, b.pid, "converting");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("exclusive", p->mode);
	EXPECT_TRUE(is_pid_set(p->waits_for, getpid(), 0))
		TH_LOG("b waits for '%s'", p->waits_for);
	EXPECT_GT(HELD_FOR_MS, p->age_ms);
	p = line_of(lines, n, b.pid, "held");
	ASSERT_NE(NULL, p);
	EXPECT_LE(HELD_FOR_MS, p->age_ms);
	p = line_of(lines, n, getpid(), "held");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("shared", p->mode);
	EXPECT_STREQ("-", p->waits_for);

	EXPECT_EQ(0, unlock_str(fd, name));
	EXPECT_EQ(0, kid_reap(&b));
	close(fd);
}

/* An unprivileged reader sees only lockspaces it may read. */
TEST(visibility)
{
	char priv[64], pub[64], grp[64], esc[256], lk[64], def[32];
	int fds[4], i, fdk;
	struct pline lines[4];
	struct kid k;

	snprintf(priv, sizeof(priv), "proc-priv-%d", getpid());
	snprintf(pub, sizeof(pub), "proc-pub-%d", getpid());
	snprintf(grp, sizeof(grp), "proc-grp-%d", getpid());
	snprintf(lk, sizeof(lk), "proc-vis-lock-%d", getpid());
	default_space(def);
	for (i = 0; i < 4; i++) {
		fds[i] = open_session();
		ASSERT_LE(0, fds[i]);
	}
	/* Created by root, group 0. */
	ASSERT_EQ(0, attach_str(fds[0], priv, 0600));
	ASSERT_EQ(0, attach_str(fds[1], pub, 0644));
	ASSERT_EQ(0, attach_str(fds[2], grp, 0640));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, lock_str(fds[i], lk, LOCKDEV_MODE_SHARED, 0,
				      NULL));
	/* Root sees all four. */
	EXPECT_EQ(1, find_lines(priv, lk, lines, 4));
	EXPECT_EQ(1, find_lines(pub, lk, lines, 4));
	EXPECT_EQ(1, find_lines(grp, lk, lines, 4));
	EXPECT_EQ(1, find_lines(def, lk, lines, 4));

	/* Others: pub only, and its own default lockspace. */
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_READER, UID_READER))
			_exit(2);
		EXPECT_EQ(0, find_lines(priv, lk, lines, 4));
		EXPECT_EQ(1, find_lines(pub, lk, lines, 4));
		EXPECT_EQ(0, find_lines(grp, lk, lines, 4));
		EXPECT_EQ(0, find_lines(def, lk, lines, 4));
		fdk = open_session();
		EXPECT_LE(0, fdk);
		EXPECT_EQ(0, lock_str(fdk, lk, LOCKDEV_MODE_SHARED, 0, NULL));
		EXPECT_EQ(1, find_lines(default_space(esc), lk, lines, 4));
		EXPECT_STREQ("~3001", esc);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));

	/* A member of group 0: pub and grp. */
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_GROUP, 0))
			_exit(2);
		EXPECT_EQ(0, find_lines(priv, lk, lines, 4));
		EXPECT_EQ(1, find_lines(pub, lk, lines, 4));
		EXPECT_EQ(1, find_lines(grp, lk, lines, 4));
		EXPECT_EQ(0, find_lines(def, lk, lines, 4));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	for (i = 0; i < 4; i++)
		close(fds[i]);
}

/* Every file of /proc/lockdev/ that shows lockspaces. */
static const char *const space_files[] = {
	"/proc/lockdev/locks", "/proc/lockdev/deadlocks",
	"/proc/lockdev/order", "/proc/lockdev/lock_stat",
};

#define NR_SPACE_FILES ARRAY_SIZE(space_files)

/* Read @fd to its end into a NUL-terminated buffer to free(), or NULL. */
static char *read_fd(int fd)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size), *p;
	ssize_t n;

	while (buf) {
		if (size - len < 4096) {
			p = realloc(buf, size * 2);
			if (!p)
				break;
			buf = p;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[len] = 0;
			return buf;
		}
		len += n;
	}
	free(buf);
	return NULL;
}

#define RECHECKED	300

/*
 * A reader that opened /proc/lockdev/locks while it could read a lockspace
 * sees no more of its locks once the lockspace's mode shuts it out, only
 * what the read before had formatted already (a page, which may hold none
 * of them: the lockspaces come in the order of their table).
 */
TEST(visibility_rechecked)
{
	char space[64], name[32], prefix[80], buf[100], *rest, *p;
	int fd, i, fdp, n;
	struct kid k;

	snprintf(space, sizeof(space), "proc-recheck-%d", getpid());
	snprintf(prefix, sizeof(prefix), "\n%s ", space);
	fd = open_session();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, attach_str(fd, space, 0644));
	for (i = 0; i < RECHECKED; i++) {
		snprintf(name, sizeof(name), "v%03d", i);
		ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));
	}
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_READER, UID_READER))
			_exit(2);
		/* While it may, the reader sees them all. */
		rest = read_file("/proc/lockdev/locks");
		ASSERT_NE(NULL, rest);
		for (n = 0, p = rest; (p = strstr(p, prefix)); p++)
			n++;
		EXPECT_EQ(RECHECKED, n);
		free(rest);
		fdp = open("/proc/lockdev/locks", O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fdp);
		ASSERT_EQ(sizeof(buf), read(fdp, buf, sizeof(buf)));
		kid_send(&k, 'r');
		ASSERT_EQ('c', kid_recv(&k, WAIT_MS));
		rest = read_fd(fdp);
		ASSERT_NE(NULL, rest);
		for (n = 0, p = rest; (p = strstr(p, prefix)); p++)
			n++;
		/* Lines of the lockspace: at most a page's, not all. */
		EXPECT_GT(RECHECKED / 2, n);
		free(rest);
		close(fdp);
		KID_EXIT();
	}
	ASSERT_EQ('r', kid_recv(&k, WAIT_MS));
	ASSERT_EQ(0, space_ctl_call(fd, space, strlen(space), LOCKDEV_SPACE_SET,
				    0, 0600, LOCKDEV_SPACE_KEEP,
				    LOCKDEV_SPACE_KEEP));
	ASSERT_EQ(0, kid_send(&k, 'c'));
	EXPECT_EQ(0, kid_reap(&k));
	close(fd);
}

/* Who opens the files in check_opener(). */
enum { OPENER_UID, OPENER_NAMESPACE };

/*
 * What a /proc/lockdev file shows is decided by the task that opened it, as
 * for /proc/PID files: root reading a descriptor that another task opened
 * sees no more than that task would, here not root's own default
 * lockspace; root's own descriptor shows it. The other task is an
 * unprivileged uid, or root in new user and IPC namespaces. Root leaves a
 * line in each file: a held lock (locks), an order violation (deadlocks), a
 * learned edge (order) and its classes (lock_stat), every name with @tag in
 * it.
 */
static void check_opener(struct __test_metadata *_metadata, int opener)
{
	char tag[64], a[96], b[96], c[96], d[96], *text;
	int fd = open_session(), sv[2], fds[NR_SPACE_FILES], own;
	struct lockdev_lock l;
	unsigned int i;
	pid_t pid;

	ASSERT_LE(0, fd);
	snprintf(tag, sizeof(tag), "proc-opener-%d", getpid());
	snprintf(a, sizeof(a), "%s-a:1", tag);
	snprintf(b, sizeof(b), "%s-b:1", tag);
	snprintf(c, sizeof(c), "%s-c", tag);
	snprintf(d, sizeof(d), "%s-d", tag);
	/* In root's default lockspace, 0600: a held lock and an edge a -> b. */
	ASSERT_EQ(0, lock_str(fd, a, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	ASSERT_EQ(0, lock_str(fd, b, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	/* An order violation: level 1 while level 2 is held. */
	ASSERT_EQ(0, do_lock(fd, c, strlen(c), LOCKDEV_MODE_SHARED, 2, 0, 0,
			     NULL));
	ASSERT_EQ(-1, do_lock(fd, d, strlen(d), LOCKDEV_MODE_SHARED, 1, 0, 0,
			      &l));
	ASSERT_EQ(EDEADLK, errno);

	/* Root's own descriptors show all four. */
	for (i = 0; i < NR_SPACE_FILES; i++) {
		own = open(space_files[i], O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, own) TH_LOG("%s: %s", space_files[i],
					 strerror(errno));
		text = read_fd(own);
		close(own);
		ASSERT_NE(NULL, text);
		EXPECT_NE(NULL, strstr(text, tag)) {
			TH_LOG("root's own read of %s misses root's lines",
			       space_files[i]);
		}
		free(text);
	}

	/* Descriptors opened by another uid, handed to root. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KID_TIMEOUT_S);
		close(sv[0]);
		if (opener == OPENER_UID && become(UID_OPENER, UID_OPENER))
			_exit(2);
		if (opener == OPENER_NAMESPACE &&
		    (unshare(CLONE_NEWUSER | CLONE_NEWIPC) ||
		     write_str("/proc/self/setgroups", "deny") ||
		     write_str("/proc/self/uid_map", "0 0 1") ||
		     write_str("/proc/self/gid_map", "0 0 1")))
			_exit(2);
		for (i = 0; i < NR_SPACE_FILES; i++) {
			fds[i] = open(space_files[i], O_RDONLY | O_CLOEXEC);
			if (fds[i] < 0)
				_exit(3);
		}
		_exit(send_fds(sv[1], fds, NR_SPACE_FILES) ? 4 : 0);
	}
	close(sv[1]);
	ASSERT_EQ(0, recv_fds(sv[0], fds, NR_SPACE_FILES));
	close(sv[0]);
	EXPECT_EQ(0, reap(pid, WAIT_MS));
	for (i = 0; i < NR_SPACE_FILES; i++) {
		text = read_fd(fds[i]);
		close(fds[i]);
		ASSERT_NE(NULL, text);
		EXPECT_EQ(NULL, strstr(text, tag)) {
			TH_LOG("root reading %s opened by %s sees root's lines",
			       space_files[i], opener == OPENER_UID ?
			       "another uid" : "a task in other namespaces");
		}
		free(text);
	}
	close(fd);
}

TEST(visibility_of_opener)
{
	check_opener(_metadata, OPENER_UID);
}

TEST(visibility_of_opener_namespace)
{
	check_opener(_metadata, OPENER_NAMESPACE);
}

/* The pid of the one line of lock @name in /proc text @text; -1 if none. */
static long pid_in(const char *text, const char *space, const char *name)
{
	struct locks_line *l;
	long pid = -1;
	int n, i;

	n = read_locks(text, space, &l);
	for (i = 0; i < n; i++)
		if (!strcmp(l[i].name, name))
			pid = pid == -1 ? l[i].pid : -2;
	free(l);
	return pid;
}

/*
 * Pids in /proc/lockdev/locks are as the opener's pid namespace sees them:
 * root reading a descriptor opened by a task in a new pid namespace sees 0
 * for its own holder, which that namespace cannot see; its own descriptor
 * shows its pid.
 */
TEST(pid_namespace_of_opener)
{
	char space[64], lk[64], *text;
	int fd = open_session(), sv[2], f;
	pid_t pid, gpid;

	ASSERT_LE(0, fd);
	snprintf(space, sizeof(space), "proc-openerpid-%d", getpid());
	snprintf(lk, sizeof(lk), "proc-openerpid-lock-%d", getpid());
	ASSERT_EQ(0, attach_str(fd, space, 0666));
	ASSERT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	text = read_file(LOCKS);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(getpid(), pid_in(text, space, lk));
	free(text);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KID_TIMEOUT_S);
		close(sv[0]);
		if (unshare(CLONE_NEWPID))
			_exit(2);
		gpid = fork();
		if (gpid < 0)
			_exit(3);
		if (gpid == 0) {
			/* pid 1 of the new namespace opens the file. */
			f = open(LOCKS, O_RDONLY | O_CLOEXEC);
			_exit(f < 0 || send_fds(sv[1], &f, 1) ? 4 : 0);
		}
		_exit(reap(gpid, WAIT_MS));
	}
	close(sv[1]);
	ASSERT_EQ(0, recv_fds(sv[0], &f, 1));
	close(sv[0]);
	EXPECT_EQ(0, reap(pid, WAIT_MS));
	text = read_fd(f);
	close(f);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, pid_in(text, space, lk)) {
		TH_LOG("root reading a descriptor opened in another pid namespace");
	}
	free(text);
	close(fd);
}

/*
 * Pids as the reader's pid namespace sees them: a task in a new pid
 * namespace sees 0 for the host's holder and its own pid for itself; the
 * host sees the task's host pid. With @own_proc the task reads a /proc
 * mounted for its namespace; without, the host's /proc, which it shares, as
 * a task that only unshared its pid namespace does: the header names the
 * reader's pid namespace, not that of the /proc mount.
 */
static void check_pid_namespace(struct __test_metadata *_metadata,
				int own_proc)
{
	char space[64], host_lk[64], ns_lk[64];
	int fd = open_session(), fdk, n, go[2];
	struct lockdev_entry e[4];
	struct pline lines[4];
	struct lockdev_query q;
	pid_t gpid;
	struct kid k;

	ASSERT_LE(0, fd);
	snprintf(space, sizeof(space), "proc-pidns-%d", getpid());
	snprintf(host_lk, sizeof(host_lk), "proc-pidns-host-%d", getpid());
	snprintf(ns_lk, sizeof(ns_lk), "proc-pidns-ns-%d", getpid());
	ASSERT_EQ(0, attach_str(fd, space, 0666));
	ASSERT_EQ(0, lock_str(fd, host_lk, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (unshare(CLONE_NEWPID)) {
			TH_LOG("unshare(CLONE_NEWPID): %s", strerror(errno));
			_exit(2);
		}
		if (pipe(go))
			_exit(3);
		gpid = fork();
		if (gpid < 0)
			_exit(3);
		if (gpid == 0) {
			/* pid 1 of the new namespace, once its pid is sent. */
			close(go[1]);
			if (read(go[0], &n, 1) != 1)
				_exit(4);
			if (own_proc &&
			    (unshare(CLONE_NEWNS) ||
			     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			     mount("proc", "/proc", "proc", 0, NULL))) {
				TH_LOG("cannot mount /proc: %s",
				       strerror(errno));
				_exit(5);
			}
			fdk = open_session();
			EXPECT_LE(0, fdk);
			EXPECT_EQ(1, getpid());
			EXPECT_EQ(0, attach_str(fdk, space, 0666));
			EXPECT_EQ(0, lock_str(fdk, ns_lk,
					      LOCKDEV_MODE_SHARED, 0, NULL));
			n = find_lines(space, host_lk, lines, 4);
			EXPECT_EQ(1, n);
			if (n == 1)
				EXPECT_EQ(0, lines[0].pid)
					TH_LOG("the host's holder");
			n = find_lines(space, ns_lk, lines, 4);
			EXPECT_EQ(1, n);
			if (n == 1)
				EXPECT_EQ(1, lines[0].pid)
					TH_LOG("the reader's own lock");
			/* QUERY agrees. */
			EXPECT_EQ(0, do_query(fdk, host_lk, strlen(host_lk),
					      e, 4, &q));
			EXPECT_EQ(1, q.nr_entries);
			EXPECT_EQ(0, e[0].pid);
			kid_send(&k, _metadata->passed ? 'R' : 'E');
			kid_recv(&k, WAIT_MS);
			KID_EXIT();
		}
		/* The grandchild's pid in the host's namespace. */
		kid_write(&k, &gpid, sizeof(gpid));
		if (write(go[1], "g", 1) != 1)
			kill(gpid, SIGKILL);
		_exit(reap(gpid, WAIT_MS));
	}
	ASSERT_EQ(0, kid_read(&k, &gpid, sizeof(gpid), WAIT_MS));
	EXPECT_EQ('R', kid_recv(&k, WAIT_MS));
	n = find_lines(space, ns_lk, lines, 4);
	EXPECT_EQ(1, n);
	if (n == 1)
		EXPECT_EQ(gpid, lines[0].pid);
	kid_send(&k, 'q');
	EXPECT_EQ(0, kid_reap(&k));
	close(fd);
}

TEST(pid_namespace)
{
	check_pid_namespace(_metadata, 0);
}

TEST(pid_namespace_own_proc)
{
	check_pid_namespace(_metadata, 1);
}

/* The counters of /proc/lockdev/stats move as documented. */
TEST(stats_counters)
{
	const char *names[8];
	int deltas[8];
	struct stats start, s0, s1;
	int fd = open_session(), fd2 = open_session(), fdk;
	long long w0;
	char name[64];
	struct kid k;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "proc-stats-%d", getpid());

	read_stats(&start);
	for (fdk = 0; fdk < (int)NR_STATS; fdk++)
		ASSERT_LE(0, start.v[fdk]);

	/* A grant of a new lock. */
	read_stats(&s0);
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	read_stats(&s1);
	names[0] = "grants"; deltas[0] = 1;
	names[1] = "holders"; deltas[1] = 1;
	names[2] = "locks"; deltas[2] = 1;
	names[3] = "lockspaces"; deltas[3] = s1.v[3] - s0.v[3];
	names[4] = NULL;
	/* The default lockspace may have come into being with the lock. */
	EXPECT_LE(0, deltas[3]);
	EXPECT_GE(1, deltas[3]);
	expect_stats(_metadata, &s0, &s1, "lock", names, deltas);

	/* NONBLOCK on a held lock: eagains. */
	read_stats(&s0);
	EXPECT_EQ(-1, lock_str(fd2, name, LOCKDEV_MODE_SHARED,
			       LOCKDEV_LOCK_NONBLOCK, NULL));
	EXPECT_EQ(EAGAIN, errno);
	read_stats(&s1);
	names[0] = "eagains"; deltas[0] = 1;
	names[1] = NULL;
	expect_stats(_metadata, &s0, &s1, "eagain", names, deltas);

	/* A deadline passes: timeouts. */
	read_stats(&s0);
	EXPECT_EQ(-1, do_lock(fd2, name, strlen(name), LOCKDEV_MODE_SHARED, 0,
			      LOCKDEV_LOCK_DEADLINE, now_ns() + 100000000ull,
			      NULL));
	EXPECT_EQ(ETIMEDOUT, errno);
	read_stats(&s1);
	names[0] = "timeouts"; deltas[0] = 1;
	names[1] = NULL;
	expect_stats(_metadata, &s0, &s1, "timeout", names, deltas);

	/* A waiter killed: waiters while it waits, then cancels. */
	read_stats(&s0);
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		fdk = open_session();
		lock_wait(fdk, name, LOCKDEV_MODE_SHARED);
		_exit(1);
	}
	ASSERT_EQ(0, wait_task_state(fd, name, LOCKDEV_STATE_WAITING, k.pid));
	read_stats(&s1);
	names[0] = "waiters"; deltas[0] = 1;
	names[1] = NULL;
	expect_stats(_metadata, &s0, &s1, "waiting", names, deltas);
	kill(k.pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kid_reap(&k));
	w0 = s0.v[stat_index("waiters")];
	EXPECT_EQ(w0, wait_stat("waiters", w0));
	read_stats(&s1);
	names[0] = "cancels"; deltas[0] = 1;
	names[1] = NULL;
	expect_stats(_metadata, &s0, &s1, "killed", names, deltas);

	/* A waiter granted on release: contended. */
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		fdk = open_session();
		EXPECT_EQ(0, lock_wait(fdk, name, LOCKDEV_MODE_SHARED));
		kid_send(&k, 'G');
		kid_recv(&k, WAIT_MS);
		KID_EXIT();
	}
	ASSERT_EQ(0, wait_task_state(fd, name, LOCKDEV_STATE_WAITING, k.pid));
	read_stats(&s0);
	EXPECT_EQ(0, unlock_str(fd, name));
	EXPECT_EQ('G', kid_recv(&k, WAIT_MS));
	read_stats(&s1);
	names[0] = "grants"; deltas[0] = 1;
	names[1] = "contended"; deltas[1] = 1;
	names[2] = "waiters"; deltas[2] = -1;
	names[3] = NULL;
	/* fd's grant went, the child's came: holders and locks unchanged. */
	expect_stats(_metadata, &s0, &s1, "granted", names, deltas);
	kid_send(&k, 'q');
	EXPECT_EQ(0, kid_reap(&k));

	/* All gone: the gauges are back where they started. */
	EXPECT_EQ(start.v[stat_index("holders")],
		  wait_stat("holders", start.v[stat_index("holders")]));
	EXPECT_EQ(start.v[stat_index("waiters")], stat_value("waiters"));
	EXPECT_EQ(start.v[stat_index("locks")], stat_value("locks"));
	close(fd);
	close(fd2);
}

/* Owner death: the line says owner_died 1, and owner_deaths counts it. */
TEST(owner_died_line)
{
	int fd = open_session(), fd2 = open_session(), n;
	char name[64], esc_name[256], space[32];
	struct lockdev_consistent c;
	struct pline lines[4];
	struct lockdev_lock l;
	struct stats s0, s1;
	const char *names[2] = { "owner_deaths", NULL };
	int deltas[1] = { 1 };

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "proc-died-%d", getpid());
	escape_str(esc_name, name);
	default_space(space);
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_APPEND, 0, NULL));
	read_stats(&s0);
	/* The session goes away holding APPEND: one holder less, still a lock. */
	close(fd);
	read_stats(&s1);
	s0.v[stat_index("holders")]--;
	expect_stats(_metadata, &s0, &s1, "owner died", names, deltas);
	/* Idle and owner-died: one line, with no holder's fields. */
	n = find_lines(space, esc_name, lines, 4);
	ASSERT_EQ(1, n);
	EXPECT_STREQ("-", lines[0].mode);
	EXPECT_STREQ("owner-died", lines[0].state);
	EXPECT_EQ(0, lines[0].level);
	EXPECT_EQ(0, lines[0].pid);
	EXPECT_STREQ("-", lines[0].comm);
	EXPECT_LE(0, lines[0].age_ms);
	EXPECT_EQ(1, lines[0].owner_died);
	EXPECT_NE(0, lines[0].generation);
	EXPECT_STREQ("-", lines[0].waits_for);
	EXPECT_EQ(0, lines[0].session);

	ASSERT_EQ(0, lock_str(fd2, name, LOCKDEV_MODE_EXCLUSIVE, 0, &l));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, l.result);
	n = find_lines(space, esc_name, lines, 4);
	ASSERT_EQ(1, n);
	EXPECT_EQ(1, lines[0].owner_died);
	EXPECT_STREQ("held", lines[0].state);
	EXPECT_EQ(l.generation, lines[0].generation);

	/* Consistent again, the line says 0; unlocked, the lock is gone. */
	memset(&c, 0, sizeof(c));
	c.handle = l.handle;
	EXPECT_EQ(0, ioctl(fd2, LOCKDEV_IOC_CONSISTENT, &c));
	n = find_lines(space, esc_name, lines, 4);
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, lines[0].owner_died);
	EXPECT_EQ(0, unlock_str(fd2, name));
	EXPECT_EQ(s1.v[stat_index("locks")] - 1, stat_value("locks"));
	close(fd2);
}

/*
 * The "lockdev_session:" and "lockdev_lockspace:" lines of fdinfo @fd of
 * task @pid ("self" for the caller); 0, or -1 if either is missing or not
 * there exactly once.
 */
static int fdinfo_of(const char *pid, int fd, unsigned long long *session,
		     char *space, size_t size)
{
	static const char skey[] = "\nlockdev_session:\t";
	static const char lkey[] = "\nlockdev_lockspace:\t";
	char path[64], *buf, *p, *end;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%d", pid, fd);
	buf = read_file(path);
	if (!buf)
		return -1;
	p = strstr(buf, skey);
	if (!p || strstr(p + 1, skey))
		goto out;
	p += sizeof(skey) - 1;
	errno = 0;
	*session = strtoull(p, &end, 10);
	if (errno || end == p || *end != '\n')
		goto out;
	p = strstr(buf, lkey);
	if (!p || strstr(p + 1, lkey))
		goto out;
	p += sizeof(lkey) - 1;
	end = strchr(p, '\n');
	if (!end || (size_t)(end - p) >= size)
		goto out;
	memcpy(space, p, end - p);
	space[end - p] = 0;
	ret = 0;
out:
	free(buf);
	return ret;
}

/*
 * fdinfo names the session (unique, shared by dup() and fork()) and its
 * lockspace as /proc/lockdev/locks does, "-" until it has one; a file that
 * is not a session has no such lines.
 */
TEST(fdinfo_session)
{
	unsigned long long id, id2, id3;
	char sp[ESC_MAX], want[ESC_MAX], name[64], path[64], *buf;
	int fd = open_session(), fd2 = open_session(), fd3, pipefd[2];
	struct kid k;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fdinfo_of("self", fd, &id, sp, sizeof(sp)));
	EXPECT_STREQ("-", sp);
	ASSERT_EQ(0, fdinfo_of("self", fd2, &id2, sp, sizeof(sp)));
	EXPECT_STREQ("-", sp);
	EXPECT_NE(0, id);
	EXPECT_NE(0, id2);
	EXPECT_NE(id, id2);

	fd3 = dup(fd);
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, fdinfo_of("self", fd3, &id3, sp, sizeof(sp)));
	EXPECT_EQ(id, id3);
	close(fd3);

	/* Bound by a lock to the default lockspace, by ATTACH to a named one. */
	snprintf(name, sizeof(name), "proc-fdinfo-%d", getpid());
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));
	ASSERT_EQ(0, fdinfo_of("self", fd, &id3, sp, sizeof(sp)));
	EXPECT_EQ(id, id3);
	EXPECT_STREQ(default_space(want), sp);
	snprintf(name, sizeof(name), "proc fdinfo~%d", getpid());
	ASSERT_EQ(0, attach_str(fd2, name, 0600));
	ASSERT_EQ(0, fdinfo_of("self", fd2, &id3, sp, sizeof(sp)));
	EXPECT_EQ(id2, id3);
	EXPECT_STREQ(escape_str(want, name), sp);

	/* A child that inherited the session sees the same id. */
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		EXPECT_EQ(0, fdinfo_of("self", fd, &id3, sp, sizeof(sp)));
		EXPECT_EQ(id, id3);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));

	ASSERT_EQ(0, pipe(pipefd));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pipefd[0]);
	buf = read_file(path);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(NULL, strstr(buf, "lockdev_"));
	free(buf);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	close(fd2);
}

/*
 * The last column of a holder's or waiter's line is its session's id, the
 * one fdinfo gives: two sessions of one process are told apart, and a
 * waiter's session is that of the descriptor it waits through.
 */
TEST(session_column)
{
	unsigned long long id, id2, id3;
	int fd = open_session(), fd2 = open_session(), fd3 = open_session();
	char name[64], esc_name[256], space[32], sp[ESC_MAX];
	struct pline lines[8], *p;
	struct kid k;
	int n, i;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, fd3);
	snprintf(name, sizeof(name), "proc-session-%d", getpid());
	escape_str(esc_name, name);
	default_space(space);
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));
	ASSERT_EQ(0, lock_str(fd2, name, LOCKDEV_MODE_SHARED, 0, NULL));
	ASSERT_EQ(0, fdinfo_of("self", fd, &id, sp, sizeof(sp)));
	ASSERT_EQ(0, fdinfo_of("self", fd2, &id2, sp, sizeof(sp)));
	ASSERT_EQ(0, fdinfo_of("self", fd3, &id3, sp, sizeof(sp)));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		EXPECT_EQ(0, lock_wait(fd3, name, LOCKDEV_MODE_EXCLUSIVE));
		EXPECT_EQ(0, unlock_str(fd3, name));
		KID_EXIT();
	}
	ASSERT_EQ(0, wait_task_state(fd, name, LOCKDEV_STATE_WAITING, k.pid));

	n = find_lines(space, esc_name, lines, 8);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++)
		if (lines[i].session == id)
			break;
	EXPECT_LT(i, n) TH_LOG("no line of session %llu", id);
	for (i = 0; i < n; i++)
		if (lines[i].session == id2)
			break;
	EXPECT_LT(i, n) TH_LOG("no line of session %llu", id2);
	p = line_of(lines, n, k.pid, "waiting");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(id3, p->session);

	EXPECT_EQ(0, unlock_str(fd, name));
	EXPECT_EQ(0, unlock_str(fd2, name));
	EXPECT_EQ(0, kid_reap(&k));
	close(fd);
	close(fd2);
	close(fd3);
}

/* A conversion deadlock of two readers: deadlocks counts it once. */
TEST(stats_deadlocks)
{
	int fd = open_session(), fdk, ret, err, kret;
	long long deadlocks = stat_value("deadlocks");
	char name[64];
	struct kid b;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, deadlocks);
	snprintf(name, sizeof(name), "proc-deadlock-%d", getpid());
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));
	ASSERT_LE(0, kid_fork(&b));
	if (b.pid == 0) {
		fdk = open_session();
		if (fdk < 0 ||
		    lock_str(fdk, name, LOCKDEV_MODE_SHARED, 0, NULL))
			_exit(2);
		kid_send(&b, 'L');
		ret = convert_wait(fdk, name, LOCKDEV_MODE_EXCLUSIVE);
		/* 0: upgraded; 10: told of the deadlock. */
		if (ret && errno != EDEADLK)
			_exit(3);
		_exit(ret ? 10 : 0);
	}
	ASSERT_EQ('L', kid_recv(&b, WAIT_MS));
	ASSERT_EQ(0, wait_task_state(fd, name, LOCKDEV_STATE_CONVERTING, b.pid));

	/* Now both wait for each other: one of the two is told. */
	ret = convert_wait(fd, name, LOCKDEV_MODE_EXCLUSIVE);
	err = errno;
	if (ret) {
		EXPECT_EQ(EDEADLK, err);
		EXPECT_EQ(0, unlock_str(fd, name));
	}
	kret = kid_reap(&b);
	/* Exactly one was told: if this one was, the other upgraded. */
	EXPECT_EQ(ret ? 0 : 10, kret);
	EXPECT_EQ(deadlocks + 1, stat_value("deadlocks"));
	close(fd);
}

/* Is the running kernel a PREEMPT_RT one, whose spinlocks are rt_mutexes? */
static bool kernel_is_rt(void)
{
	FILE *f = fopen("/sys/kernel/realtime", "r");
	int rt = 0;

	if (f) {
		if (fscanf(f, "%d", &rt) != 1)
			rt = 0;
		fclose(f);
	}
	return rt == 1;
}

/*
 * memory grows with held locks and shrinks. The design's bar of 256 bytes
 * per held lock is for production kernels: lock debugging (lockdep, which
 * /proc/lockdep shows) makes every spinlock much larger, and so does
 * PREEMPT_RT (a spinlock is an rt_mutex of 32 bytes, not 4).
 */
TEST(stats_memory)
{
	const int nr = 1000;
	long long base = stat_value("memory"), one, all;
	long long holders = stat_value("holders"), locks = stat_value("locks");
	char name[64];
	int fd, i;

	ASSERT_LE(0, base);
	fd = open_session();
	ASSERT_LE(0, fd);
	/* A lockspace of its own, whose idle locks go when it closes. */
	snprintf(name, sizeof(name), "proc-mem-space-%d", getpid());
	ASSERT_EQ(0, attach_str(fd, name, 0600));
	snprintf(name, sizeof(name), "proc-mem-%d-%06d", getpid(), 0);
	ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));
	one = stat_value("memory");
	EXPECT_LT(base, one);
	for (i = 1; i <= nr; i++) {
		snprintf(name, sizeof(name), "proc-mem-%d-%06d", getpid(), i);
		ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));
	}
	all = stat_value("memory");
	EXPECT_EQ(holders + nr + 1, stat_value("holders"));
	EXPECT_EQ(locks + nr + 1, stat_value("locks"));
	EXPECT_LT(one, all);
	if (kernel_is_rt()) {
		EXPECT_GE((256LL + 64) * nr, all - one)
			TH_LOG("PREEMPT_RT: %lld bytes per held lock",
			       (all - one) / nr);
	} else if (access("/proc/lockdep", F_OK)) {
		EXPECT_GE(256LL * nr, all - one)
			TH_LOG("%lld bytes per held lock", (all - one) / nr);
	} else {
		TH_LOG("lock debugging on: %lld bytes per held lock, no bar",
		       (all - one) / nr);
	}

	close(fd);
	EXPECT_EQ(holders, wait_stat("holders", holders));
	EXPECT_EQ(locks, wait_stat("locks", locks));
	EXPECT_EQ(base, wait_stat("memory", base));
}

/*
 * The same for names of 200 bytes, a path's length: each lock costs its
 * name rounded up to 8 bytes, or to 16 above 128, not to a power of two (a
 * lock of a 200-byte name takes 344 bytes, where kmalloc() would give it
 * 512), so a held lock stays within the bar above plus its name's length.
 */
TEST(stats_memory_long_names)
{
	const int nr = 1000, len = 200;
	long long base = stat_value("memory"), one = 0, all;
	char space[64], name[256], id[8];
	int fd, i;

	ASSERT_LE(0, base);
	fd = open_session();
	ASSERT_LE(0, fd);
	snprintf(space, sizeof(space), "proc-mem-long-%d", getpid());
	ASSERT_EQ(0, attach_str(fd, space, 0600));
	for (i = 0; i <= nr; i++) {
		snprintf(id, sizeof(id), "%06d", i);
		memset(name, 'p', len);
		name[len] = 0;
		memcpy(name, id, 6);
		ASSERT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0, NULL));
		if (!i)
			one = stat_value("memory");
	}
	all = stat_value("memory");
	EXPECT_LT(base, one);
	EXPECT_LT(one, all);
	if (kernel_is_rt()) {
		EXPECT_GE((256LL + 64 + len) * nr, all - one)
			TH_LOG("PREEMPT_RT: %lld bytes per held lock",
			       (all - one) / nr);
	} else if (access("/proc/lockdep", F_OK)) {
		EXPECT_GE((256LL + len) * nr, all - one)
			TH_LOG("%lld bytes per held lock", (all - one) / nr);
	} else {
		TH_LOG("lock debugging on: %lld bytes per held lock, no bar",
		       (all - one) / nr);
	}
	close(fd);
	EXPECT_EQ(base, wait_stat("memory", base));
}

TEST_HARNESS_MAIN
