// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev: the command-line program of the lockdev module.
 *
 *   lockdev [run] [options] NAME command [args...]   run under a named lock,
 *   lockdev [run] [options] NAME -c command          as util-linux flock(1)
 *   lockdev [run] [options] --fd N NAME              lock in an open session
 *   lockdev list | order | stats | version | monitor | help
 *
 * Exit codes (sysexits.h): 0 success; for run, the command's status (128 +
 * the signal that killed it) and the -E code (1 by default) on a conflict
 * or timeout; 64 usage error; 65 the lock was refused (deadlock, order, a
 * limit); 69 module not loaded (and, for run, as in flock(1), a command
 * that cannot be executed); 70 not available in this version (a /proc file
 * an older module lacks); 71 any other error; 72 module loaded
 * but no device node; 77 permission denied.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <paths.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockdev.h"

#define PROC_DIR	"/proc/lockdev"
/* Exit code of a subcommand or /proc file this version does not have. */
#define EXIT_NOT_AVAILABLE	EX_SOFTWARE
/* Fields in the widest /proc/lockdev line. */
#define MAX_FIELDS	16

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const char *prog = "lockdev";

/* The exit code and message for a failure to open the device. */
static int open_failure(int err)
{
	if (err == -ENOENT && access(PROC_DIR, F_OK) != 0) {
		fprintf(stderr, "%s: the lockdev module is not loaded (modprobe lockdev)\n",
			prog);
		return EX_UNAVAILABLE;
	}
	if (err == -ENOENT || err == -ENXIO || err == -ENODEV) {
		fprintf(stderr, "%s: the lockdev module is loaded but %s is missing\n",
			prog, LOCKDEV_DEVICE_PATH);
		return EX_OSFILE;
	}
	if (err == -EACCES || err == -EPERM) {
		fprintf(stderr, "%s: %s: permission denied (see lockdev(7), PERMISSIONS)\n",
			prog, LOCKDEV_DEVICE_PATH);
		return EX_NOPERM;
	}
	fprintf(stderr, "%s: %s: %s\n", prog, LOCKDEV_DEVICE_PATH,
		strerror(-err));
	return EX_OSERR;
}

/* The exit code and message for a /proc/lockdev file that cannot be read. */
static int proc_failure(const char *path, int err)
{
	if (err == ENOENT && access(PROC_DIR, F_OK) != 0) {
		fprintf(stderr, "%s: the lockdev module is not loaded (modprobe lockdev)\n",
			prog);
		return EX_UNAVAILABLE;
	}
	if (err == ENOENT) {
		fprintf(stderr, "%s: %s: not provided by the loaded lockdev module (too old)\n",
			prog, path);
		return EXIT_NOT_AVAILABLE;
	}
	if (err == EACCES || err == EPERM) {
		fprintf(stderr, "%s: %s: permission denied\n", prog, path);
		return EX_NOPERM;
	}
	fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(err));
	return EX_OSERR;
}

static int parse_uint(const char *s, unsigned long max, int base,
		      unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, base);
	if (!*s || *end || errno || *out > max || s[0] == '-')
		return -1;
	return 0;
}

/* ---- /proc/lockdev tables ---------------------------------------------- */

/* A line of a /proc/lockdev table, split at single spaces. */
struct fields {
	char *f[MAX_FIELDS];
	int n;
};

static void split(char *line, struct fields *fs)
{
	char *s = line, *sp;

	line[strcspn(line, "\n")] = 0;
	fs->n = 0;
	while (fs->n < MAX_FIELDS) {
		fs->f[fs->n++] = s;
		sp = strchr(s, ' ');
		if (!sp)
			break;
		*sp = 0;
		s = sp + 1;
	}
}

/* Undo the /proc escapes (\ooo) of @s into @out; its length. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			out[n++] = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					  (s[3] - '0'));
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = 0;
	return n;
}

/* True if the escaped field @field names @want exactly. */
static bool field_is(const char *field, const char *want)
{
	char buf[4 * LOCKDEV_NAME_MAX + 8];
	size_t n;

	if (strlen(field) >= sizeof(buf))
		return false;
	n = unescape(field, buf);
	return n == strlen(want) && !memcmp(buf, want, n);
}

/* @n bytes at @buf as a JSON string. */
static void json_bytes(const char *buf, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* @field (escaped as in /proc) as a JSON string. */
static void json_string(const char *field)
{
	char buf[4 * LOCKDEV_NAME_MAX + 8];

	if (strlen(field) >= sizeof(buf)) {
		fputs("null", stdout);
		return;
	}
	json_bytes(buf, unescape(field, buf));
}

/* A field that must be a decimal number, as JSON (0 if it is not). */
static void json_number(const char *field)
{
	const char *p = field;

	while (isdigit((unsigned char)*p))
		p++;
	fputs(*field && !*p ? field : "0", stdout);
}

/* Milliseconds as a short human age. */
static const char *fmt_age(unsigned long long ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%llums", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%llu.%llus", ms / 1000, ms % 1000 / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%llum%02llus", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, len, "%lluh%02llum", ms / 3600000,
			 ms / 60000 % 60);
	return buf;
}

/* A field of milliseconds as a short human age. */
static const char *age(const char *ms_field, char *buf, size_t len)
{
	return fmt_age(strtoull(ms_field, NULL, 10), buf, len);
}

/* @n bytes at @buf escaped as /proc/lockdev shows them, into @out. */
static char *escape_to(char *out, const char *buf, size_t n)
{
	char *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (c < 0x21 || c > 0x7e || c == '\\' || c == '~')
			o += sprintf(o, "\\%03o", c);
		else
			*o++ = (char)c;
	}
	*o = 0;
	return out;
}

static const char *mode_str(uint32_t mode)
{
	static const char *const names[] = { "?", "shared", "append",
					     "exclusive", "none" };

	return names[mode <= LOCKDEV_MODE_NONE ? mode : 0];
}

/*
 * Open /proc/lockdev/@file and check its first line, "# lockdev @file N":
 * columns are only ever added at the end, so a newer N is read as far as
 * the known columns go. 0 and *fp, or an exit code.
 */
static int proc_table_open(const char *file, FILE **fp)
{
	char path[64], want[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), PROC_DIR "/%s", file);
	f = fopen(path, "r");
	if (!f)
		return proc_failure(path, errno);
	snprintf(want, sizeof(want), "# lockdev %s ", file);
	if (getline(&line, &cap, f) < 0 || strncmp(line, want, strlen(want))) {
		fprintf(stderr, "%s: %s: not in a format this program knows\n",
			prog, path);
		free(line);
		fclose(f);
		return EX_DATAERR;
	}
	free(line);
	*fp = f;
	return 0;
}

/* ---- lockdev list ------------------------------------------------------ */

/* A process that has a session open, from its /proc/PID/fdinfo. */
struct opener {
	uint64_t session;
	pid_t pid;
};

struct list_ctx {
	const char *space;
	const char *name;
	pid_t pid;		/* --pid, or 0 */
	bool json;
	bool started;		/* the table's header or the array's '[' is out */
	bool first;		/* no line yet */
	struct opener *openers;	/* sorted by session, then pid */
	size_t nr_openers;
};

static int opener_cmp(const void *a, const void *b)
{
	const struct opener *x = a, *y = b;

	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The session of descriptor @fd of @pid, from its "lockdev_session:" line. */
static uint64_t fd_session(int pid_dir, const char *fd)
{
	static const char key[] = "lockdev_session:";
	char path[64], buf[4096], *p;
	uint64_t session = 0;
	struct stat st;
	ssize_t n;
	int f;

	/* Only a character device can be /dev/lockdev. */
	snprintf(path, sizeof(path), "fd/%s", fd);
	if (fstatat(pid_dir, path, &st, 0) || !S_ISCHR(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "fdinfo/%s", fd);
	f = openat(pid_dir, path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, sizeof(key) - 1)) {
			session = strtoull(p + sizeof(key) - 1, NULL, 10);
			break;
		}
	}
	return session;
}

/* Add each session @pid has open (once) to @c->openers; -1 out of memory. */
static int scan_pid(struct list_ctx *c, int proc, const char *pid_name,
		    size_t *cap)
{
	struct opener *more;
	struct dirent *e;
	size_t i, first = c->nr_openers;
	uint64_t session;
	int pid_dir, fds;
	DIR *d;

	pid_dir = openat(proc, pid_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_dir < 0)
		return 0;
	fds = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fds < 0 ? NULL : fdopendir(fds);
	if (!d) {
		if (fds >= 0)
			close(fds);
		close(pid_dir);
		return 0;
	}
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		session = fd_session(pid_dir, e->d_name);
		if (!session)
			continue;
		for (i = first; i < c->nr_openers; i++)
			if (c->openers[i].session == session)
				break;
		if (i < c->nr_openers)
			continue;
		if (c->nr_openers == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			more = realloc(c->openers, *cap * sizeof(*more));
			if (!more) {
				closedir(d);
				close(pid_dir);
				return -1;
			}
			c->openers = more;
		}
		c->openers[c->nr_openers].session = session;
		c->openers[c->nr_openers++].pid = atoi(pid_name);
	}
	closedir(d);
	close(pid_dir);
	return 0;
}

/*
 * Find the processes that have each session open, as lslocks does for open
 * file description locks: by the "lockdev_session:" line of every
 * /proc/PID/fdinfo the caller may read. This process is left out: it may
 * have inherited a session from its shell, but goes away at once.
 */
static int scan_openers(struct list_ctx *c)
{
	struct dirent *e;
	size_t cap = 0;
	int proc, ret = 0;
	char self[16];
	DIR *d;

	proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = proc < 0 ? NULL : fdopendir(dup(proc));
	if (!d) {
		if (proc >= 0)
			close(proc);
		return 0;
	}
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while (!ret && (e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) &&
		    strcmp(e->d_name, self))
			ret = scan_pid(c, proc, e->d_name, &cap);
	closedir(d);
	close(proc);
	if (!ret)
		qsort(c->openers, c->nr_openers, sizeof(*c->openers),
		      opener_cmp);
	return ret;
}

/* The openers of @session: *@n of them from the returned one. */
static const struct opener *openers_of(const struct list_ctx *c,
				       uint64_t session, size_t *n)
{
	size_t lo = 0, hi = c->nr_openers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->openers[mid].session < session)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (*n = 0; lo + *n < c->nr_openers &&
	     c->openers[lo + *n].session == session; (*n)++)
		;
	return c->openers + lo;
}

static const char *state_str(const struct lockdev_lock_info *l)
{
	switch (l->state) {
	case LOCKDEV_STATE_HELD:
		return "held";
	case LOCKDEV_STATE_WAITING:
		return "waiting";
	case LOCKDEV_STATE_CONVERTING:
		return "converting";
	case LOCKDEV_STATE_IDLE:
		return l->owner_died ? "owner-died" : "idle";
	}
	return "?";
}

/* The pids of @n openers at @o, comma-separated, in @buf; "-" for none. */
static const char *pid_list(const struct opener *o, size_t n, char *buf,
			    size_t len)
{
	size_t i, used = 0;

	buf[0] = 0;
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%d", i ? "," : "",
				 (int)o[i].pid);
	if (!n)
		snprintf(buf, len, "-");
	return buf;
}

static void list_text(const struct lockdev_lock_info *l,
		      const struct opener *o, size_t n)
{
	char name[4 * LOCKDEV_NAME_MAX + 1], comm[4 * 16 + 1], pid[16];
	char agebuf[32], open_by[256];
	uint32_t i;

	escape_to(name, l->name, l->name_len);
	escape_to(comm, l->comm, strnlen(l->comm, sizeof(l->comm)));
	if (l->state == LOCKDEV_STATE_IDLE)
		snprintf(comm, sizeof(comm), "-");
	snprintf(pid, sizeof(pid), l->pid ? "%u" : "-", l->pid);
	printf("%-16s %-24s %-9s %-10s %7s %-16s %8s %-12s ", l->lockspace,
	       name, l->mode ? mode_str(l->mode) : "-", state_str(l), pid,
	       comm, fmt_age(l->age_ns / 1000000, agebuf, sizeof(agebuf)),
	       pid_list(o, n, open_by, sizeof(open_by)));
	for (i = 0; i < l->nr_waits_for; i++)
		printf("%s%u", i ? "," : "", l->waits_for[i]);
	printf("%s%s%s\n", l->nr_waits_for ? "" : "-",
	       l->waits_for_truncated ? ",..." : "",
	       l->owner_died ? " (owner died)" : "");
}

static void list_json(const struct lockdev_lock_info *l,
		      const struct opener *o, size_t n, bool first)
{
	uint32_t i;
	size_t k;

	printf("%s\n  {\"lockspace\": ", first ? "" : ",");
	json_string(l->lockspace);
	fputs(", \"name\": ", stdout);
	json_bytes(l->name, l->name_len);
	printf(", \"level\": %u, \"mode\": \"%s\", \"state\": \"%s\", \"pid\": %u, \"comm\": ",
	       l->level, l->mode ? mode_str(l->mode) : "-", state_str(l),
	       l->pid);
	if (l->state == LOCKDEV_STATE_IDLE)
		fputs("\"-\"", stdout);
	else
		json_bytes(l->comm, strnlen(l->comm, sizeof(l->comm)));
	printf(", \"age_ms\": %llu, \"owner_died\": %s, \"generation\": %llu, \"waits_for\": [",
	       (unsigned long long)(l->age_ns / 1000000),
	       l->owner_died ? "true" : "false",
	       (unsigned long long)l->generation);
	for (i = 0; i < l->nr_waits_for; i++)
		printf("%s%u", i ? ", " : "", l->waits_for[i]);
	printf("], \"waits_for_truncated\": %s, \"session\": %llu, \"open_by\": [",
	       l->waits_for_truncated ? "true" : "false",
	       (unsigned long long)l->session);
	for (k = 0; k < n; k++)
		printf("%s%d", k ? ", " : "", (int)o[k].pid);
	fputs("]}", stdout);
}

/* The header of the table, or the start of the array, once. */
static void list_start(struct list_ctx *c)
{
	if (c->started)
		return;
	c->started = true;
	if (c->json)
		fputs("[", stdout);
	else
		printf("%-16s %-24s %-9s %-10s %7s %-16s %8s %-12s %s\n",
		       "LOCKSPACE", "NAME", "MODE", "STATE", "PID", "COMM",
		       "AGE", "OPEN-BY", "WAITS-FOR");
}

static int list_one(const struct lockdev_lock_info *l, void *arg)
{
	struct list_ctx *c = arg;
	const struct opener *o = NULL;
	size_t n = 0;

	if (l->session)
		o = openers_of(c, l->session, &n);
	if ((c->space && !field_is(l->lockspace, c->space)) ||
	    (c->name && (l->name_len != strlen(c->name) ||
			 memcmp(l->name, c->name, l->name_len))) ||
	    (c->pid && (pid_t)l->pid != c->pid))
		return 0;
	list_start(c);
	if (c->json)
		list_json(l, o, n, c->first);
	else
		list_text(l, o, n);
	c->first = false;
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lockspace", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'N' },
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *usage_line =
		"usage: %s list [--lockspace NAME] [--name NAME] [--pid PID] [--all] [--json]\n";
	struct list_ctx c = { .first = true };
	unsigned int flags = 0;
	unsigned long v;
	int ch, ret;

	while ((ch = getopt_long(argc, argv, "l:N:p:aJh", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			c.space = optarg;
			break;
		case 'N':
			c.name = optarg;
			break;
		case 'p':
			if (parse_uint(optarg, INT32_MAX, 10, &v) || !v) {
				fprintf(stderr, "%s: list: bad pid '%s'\n",
					prog, optarg);
				return EX_USAGE;
			}
			c.pid = (pid_t)v;
			break;
		case 'a':
			flags |= LOCKDEV_DUMP_IDLE;
			break;
		case 'J':
			c.json = true;
			break;
		case 'h':
			printf(usage_line, prog);
			return 0;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, usage_line, prog);
		return EX_USAGE;
	}
	/* The module's /proc/lockdev says it is loaded, as for the others. */
	if (access(PROC_DIR, F_OK))
		return proc_failure(PROC_DIR, errno);
	if (scan_openers(&c)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EX_OSERR;
	}
	ret = lockdev_locks_dump(flags, list_one, &c);
	free(c.openers);
	if (!ret)
		list_start(&c);
	if (c.json && c.started)
		fputs(c.first ? "]\n" : "\n]\n", stdout);
	if (!ret)
		return 0;
	fflush(stdout);
	if (ret == -ENOENT) {
		fprintf(stderr, "%s: list: the module's netlink family is not reachable here (an older module, or another network namespace)\n",
			prog);
		return EXIT_NOT_AVAILABLE;
	}
	fprintf(stderr, "%s: list: %s\n", prog, strerror(-ret));
	return ret == -EPERM || ret == -EACCES ? EX_NOPERM : EX_OSERR;
}

/* ---- lockdev order ----------------------------------------------------- */

enum { E_KIND, E_SPACE, E_FROM, E_TO, E_COUNT, E_AGE, E_PID, E_COMM,
	E_FROM_NAME, E_TO_NAME, E_FIELDS };
enum { I_KIND, I_SPACE, I_FROM, I_TO, I_AGE, I_PID, I_COMM, I_FROM_NAME,
	I_TO_NAME, I_PID2, I_COMM2, I_FROM_NAME2, I_TO_NAME2, I_FIELDS };

static void order_json_edge(const struct fields *fs, bool first)
{
	printf("%s\n    {\"lockspace\": ", first ? "" : ",");
	json_string(fs->f[E_SPACE]);
	fputs(", \"from\": ", stdout);
	json_string(fs->f[E_FROM]);
	fputs(", \"to\": ", stdout);
	json_string(fs->f[E_TO]);
	fputs(", \"count\": ", stdout);
	json_number(fs->f[E_COUNT]);
	fputs(", \"age_ms\": ", stdout);
	json_number(fs->f[E_AGE]);
	fputs(", \"pid\": ", stdout);
	json_number(fs->f[E_PID]);
	fputs(", \"comm\": ", stdout);
	json_string(fs->f[E_COMM]);
	fputs(", \"from_name\": ", stdout);
	json_string(fs->f[E_FROM_NAME]);
	fputs(", \"to_name\": ", stdout);
	json_string(fs->f[E_TO_NAME]);
	fputs("}", stdout);
}

static void order_json_inversion(const struct fields *fs, bool first)
{
	printf("%s\n    {\"lockspace\": ", first ? "" : ",");
	json_string(fs->f[I_SPACE]);
	fputs(", \"from\": ", stdout);
	json_string(fs->f[I_FROM]);
	fputs(", \"to\": ", stdout);
	json_string(fs->f[I_TO]);
	fputs(", \"age_ms\": ", stdout);
	json_number(fs->f[I_AGE]);
	fputs(", \"pid\": ", stdout);
	json_number(fs->f[I_PID]);
	fputs(", \"comm\": ", stdout);
	json_string(fs->f[I_COMM]);
	fputs(", \"from_name\": ", stdout);
	json_string(fs->f[I_FROM_NAME]);
	fputs(", \"to_name\": ", stdout);
	json_string(fs->f[I_TO_NAME]);
	fputs(", \"pid2\": ", stdout);
	json_number(fs->f[I_PID2]);
	fputs(", \"comm2\": ", stdout);
	json_string(fs->f[I_COMM2]);
	fputs(", \"from_name2\": ", stdout);
	json_string(fs->f[I_FROM_NAME2]);
	fputs(", \"to_name2\": ", stdout);
	json_string(fs->f[I_TO_NAME2]);
	fputs("}", stdout);
}

/* The lines after the first of /proc/lockdev/@file, read at once. */
static int proc_table_read(const char *file, char ***linesp, size_t *np)
{
	char *line = NULL, **lines = NULL, **more;
	size_t cap = 0, n = 0;
	FILE *f = NULL;
	int ret;

	ret = proc_table_open(file, &f);
	if (ret)
		return ret;
	while (getline(&line, &cap, f) >= 0) {
		more = realloc(lines, (n + 1) * sizeof(*lines));
		if (!more) {
			ret = EX_OSERR;
			break;
		}
		lines = more;
		lines[n] = strdup(line);
		if (!lines[n]) {
			ret = EX_OSERR;
			break;
		}
		n++;
	}
	free(line);
	fclose(f);
	if (ret) {
		fprintf(stderr, "%s: out of memory\n", prog);
		while (n)
			free(lines[--n]);
		free(lines);
		return ret;
	}
	*linesp = lines;
	*np = n;
	return 0;
}

static int cmd_order(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lockspace", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *usage_line = "usage: %s order [--lockspace NAME] [--json]\n";
	int c, ret, pass, counts[2] = { 0, 0 };
	const char *space = NULL, *summary = NULL;
	char **lines, agebuf[32];
	bool json = false;
	struct fields fs;
	size_t i, n;

	while ((c = getopt_long(argc, argv, "l:Jh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			space = optarg;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			printf(usage_line, prog);
			return 0;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, usage_line, prog);
		return EX_USAGE;
	}
	ret = proc_table_read("order", &lines, &n);
	if (ret)
		return ret;

	/* One snapshot, two passes: the edges, then the inversions. */
	for (pass = 0; pass < 2; pass++) {
		const char *kind = pass ? "inversion" : "edge";

		if (json)
			printf("%s\"%s\": [", pass ? ",\n  " : "{\n  ",
			       pass ? "inversions" : "edges");
		else if (pass)
			printf("\n%-16s %-16s %-16s %8s %7s %-16s %s\n", "LOCKSPACE",
			       "FROM", "TO", "AGE", "PID", "COMM",
			       "HELD -> ASKED; AND BACK");
		else
			printf("%-16s %-16s %-16s %8s %8s %7s %-16s %s\n",
			       "LOCKSPACE", "FROM", "TO", "COUNT", "AGE", "PID",
			       "COMM", "HELD -> ASKED");
		for (i = 0; i < n; i++) {
			if (!strncmp(lines[i], "# classes ", 10))
				summary = lines[i] + 2;
			if (strncmp(lines[i], kind, strlen(kind)) ||
			    lines[i][strlen(kind)] != ' ')
				continue;
			split(lines[i], &fs);
			if (fs.n < (pass ? I_FIELDS : E_FIELDS) ||
			    (space && !field_is(fs.f[1], space)))
				continue;
			if (json && pass)
				order_json_inversion(&fs, !counts[pass]);
			else if (json)
				order_json_edge(&fs, !counts[pass]);
			else if (pass)
				printf("%-16s %-16s %-16s %8s %7s %-16s %s -> %s; %s: %s -> %s\n",
				       fs.f[I_SPACE], fs.f[I_FROM], fs.f[I_TO],
				       age(fs.f[I_AGE], agebuf, sizeof(agebuf)),
				       fs.f[I_PID], fs.f[I_COMM],
				       fs.f[I_FROM_NAME], fs.f[I_TO_NAME],
				       fs.f[I_PID2], fs.f[I_FROM_NAME2],
				       fs.f[I_TO_NAME2]);
			else
				printf("%-16s %-16s %-16s %8s %8s %7s %-16s %s -> %s\n",
				       fs.f[E_SPACE], fs.f[E_FROM], fs.f[E_TO],
				       fs.f[E_COUNT],
				       age(fs.f[E_AGE], agebuf, sizeof(agebuf)),
				       fs.f[E_PID], fs.f[E_COMM],
				       fs.f[E_FROM_NAME], fs.f[E_TO_NAME]);
			counts[pass]++;
		}
		if (json)
			fputs(counts[pass] ? "\n  ]" : "]", stdout);
	}
	if (json)
		fputs("\n}\n", stdout);
	else
		printf("\n%d edges, %d inversions shown; module: %s", counts[0],
		       counts[1], summary ? summary : "(no summary line)\n");
	while (n)
		free(lines[--n]);
	free(lines);
	return 0;
}

/* ---- lockdev stats ----------------------------------------------------- */

static int cat_file(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return proc_failure(path, errno);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "classes", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *usage_line = "usage: %s stats [--classes]\n";
	bool classes = false;
	int c;

	while ((c = getopt_long(argc, argv, "Ch", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			classes = true;
			break;
		case 'h':
			printf(usage_line, prog);
			return 0;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, usage_line, prog);
		return EX_USAGE;
	}
	return cat_file(classes ? PROC_DIR "/lock_stat" : PROC_DIR "/stats");
}

/* ---- lockdev version, monitor ------------------------------------------ */

static int cmd_version(int argc, char **argv)
{
	struct lockdev_version v;
	struct lockdev *ld;
	int ret;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s version\n", prog);
		return EX_USAGE;
	}
	ret = lockdev_open(&ld, 0);
	if (ret)
		return open_failure(ret);
	ret = lockdev_get_version(ld, &v);
	lockdev_close(ld);
	if (ret) {
		fprintf(stderr, "%s: version: %s\n", prog, strerror(-ret));
		return EX_OSERR;
	}
	printf("module %u.%u.%u\nabi %u\nfeatures 0x%llx\nname_max %u\n",
	       v.major, v.minor, v.patch, v.abi_version,
	       (unsigned long long)v.features, v.name_max);
	return 0;
}

/* @n bytes as /proc/lockdev shows them: \ooo outside 0x21-0x7e, \ and ~. */
static void print_escaped(const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (c < 0x21 || c > 0x7e || c == '\\' || c == '~')
			printf("\\%03o", c);
		else
			putchar(c);
	}
}

static const char *const event_names[] = {
	[LOCKDEV_EVENT_DEADLOCK] = "deadlock",
	[LOCKDEV_EVENT_ORDER] = "order",
	[LOCKDEV_EVENT_INVERSION] = "inversion",
	[LOCKDEV_EVENT_OWNER_DIED] = "owner-died",
	[LOCKDEV_EVENT_HELD_LONG] = "held-long",
	[LOCKDEV_EVENT_WAITED_LONG] = "waited-long",
};

static const char *event_str(uint32_t kind)
{
	if (kind < sizeof(event_names) / sizeof(event_names[0]) &&
	    event_names[kind])
		return event_names[kind];
	return "unknown";
}

static void monitor_text(const struct lockdev_event *e)
{
	const struct lockdev_event_member *m;
	const struct lockdev_event_edge *g;
	uint32_t i;

	printf("%s", event_str(e->kind));
	if (e->kind == LOCKDEV_EVENT_ORDER)
		printf(" %s", e->order_mode == LOCKDEV_ORDER_WARN ?
		       "warn" : "strict");
	/* The lockspace comes escaped, as /proc/lockdev/locks shows it. */
	printf(" %s", e->lockspace);
	switch (e->kind) {
	case LOCKDEV_EVENT_DEADLOCK:
	case LOCKDEV_EVENT_ORDER:
		for (i = 0; i < e->nr_members; i++) {
			m = &e->members[i];
			printf("%s pid %u (%.16s) holds ", i ? ";" : ":",
			       m->pid, m->comm);
			print_escaped(m->held_name, m->held_name_len);
			printf(" %s%s", m->flags & LOCKDEV_MEMBER_QUEUED ?
			       "queued-" : "", mode_str(m->held_mode));
			printf(", %s ", e->kind == LOCKDEV_EVENT_ORDER ?
			       "asks" : "waits for");
			print_escaped(m->wait_name, m->wait_name_len);
			printf(" %s", mode_str(m->wait_mode));
		}
		break;
	case LOCKDEV_EVENT_INVERSION:
		for (i = 0; i < e->nr_edges; i++) {
			g = &e->edges[i];
			printf("%s ", i ? "; first" : ": new");
			print_escaped(g->class_from, g->class_from_len);
			printf(" -> ");
			print_escaped(g->class_to, g->class_to_len);
			printf(" by pid %u (%.16s): ", g->pid, g->comm);
			print_escaped(g->from_name, g->from_name_len);
			printf(" then ");
			print_escaped(g->to_name, g->to_name_len);
		}
		break;
	default:
		putchar(' ');
		print_escaped(e->name, e->name_len);
		printf(" %s pid %u (%.16s)", mode_str(e->mode), e->pid, e->comm);
		if (e->kind == LOCKDEV_EVENT_OWNER_DIED)
			printf(" generation %llu",
			       (unsigned long long)e->generation);
		else
			printf(" for %llu ms",
			       (unsigned long long)(e->age_ns / 1000000));
		break;
	}
	putchar('\n');
}

static void monitor_json(const struct lockdev_event *e)
{
	const struct lockdev_event_member *m;
	const struct lockdev_event_edge *g;
	uint32_t i;

	printf("{\"event\":\"%s\",\"lockspace\":", event_str(e->kind));
	json_string(e->lockspace);
	if (e->kind == LOCKDEV_EVENT_DEADLOCK ||
	    e->kind == LOCKDEV_EVENT_ORDER) {
		if (e->kind == LOCKDEV_EVENT_ORDER)
			printf(",\"order_mode\":\"%s\"",
			       e->order_mode == LOCKDEV_ORDER_WARN ?
			       "warn" : "strict");
		fputs(",\"members\":[", stdout);
		for (i = 0; i < e->nr_members; i++) {
			m = &e->members[i];
			printf("%s{\"pid\":%u,\"comm\":", i ? "," : "", m->pid);
			json_bytes(m->comm, strnlen(m->comm, sizeof(m->comm)));
			fputs(",\"held\":", stdout);
			json_bytes(m->held_name, m->held_name_len);
			printf(",\"held_mode\":\"%s\",\"queued\":%s,\"waits_for\":",
			       mode_str(m->held_mode),
			       m->flags & LOCKDEV_MEMBER_QUEUED ? "true" : "false");
			json_bytes(m->wait_name, m->wait_name_len);
			printf(",\"wait_mode\":\"%s\"}", mode_str(m->wait_mode));
		}
		putchar(']');
	} else if (e->kind == LOCKDEV_EVENT_INVERSION) {
		fputs(",\"edges\":[", stdout);
		for (i = 0; i < e->nr_edges; i++) {
			g = &e->edges[i];
			fputs(i ? ",{\"from\":" : "{\"from\":", stdout);
			json_bytes(g->class_from, g->class_from_len);
			fputs(",\"to\":", stdout);
			json_bytes(g->class_to, g->class_to_len);
			printf(",\"pid\":%u,\"comm\":", g->pid);
			json_bytes(g->comm, strnlen(g->comm, sizeof(g->comm)));
			fputs(",\"from_name\":", stdout);
			json_bytes(g->from_name, g->from_name_len);
			fputs(",\"to_name\":", stdout);
			json_bytes(g->to_name, g->to_name_len);
			putchar('}');
		}
		putchar(']');
	} else {
		fputs(",\"name\":", stdout);
		json_bytes(e->name, e->name_len);
		printf(",\"mode\":\"%s\",\"pid\":%u,\"comm\":",
		       mode_str(e->mode), e->pid);
		json_bytes(e->comm, strnlen(e->comm, sizeof(e->comm)));
		if (e->kind == LOCKDEV_EVENT_OWNER_DIED)
			printf(",\"generation\":%llu",
			       (unsigned long long)e->generation);
		else
			printf(",\"age_ms\":%llu",
			       (unsigned long long)(e->age_ns / 1000000));
	}
	puts("}");
}

/* A threshold option: milliseconds, 0 to turn that kind off. */
static int parse_ms(const char *arg, int64_t *ms)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || v > UINT32_MAX || *arg == '-')
		return -1;
	*ms = (int64_t)v;
	return 0;
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "held", required_argument, NULL, 'H' },
		{ "wait", required_argument, NULL, 'W' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *usage_line =
		"usage: %s monitor [--held MS] [--wait MS] [--count N] [--json]\n";
	int64_t held_ms = -1, wait_ms = -1, count = -1;
	struct lockdev_monitor *mon;
	struct lockdev_event e;
	bool json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "JH:W:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': json = true; break;
		case 'H':
		case 'W':
		case 'n':
			if (parse_ms(optarg, c == 'H' ? &held_ms :
				     c == 'W' ? &wait_ms : &count)) {
				fprintf(stderr, "%s: monitor: bad number '%s'\n",
					prog, optarg);
				return EX_USAGE;
			}
			break;
		case 'h': printf(usage_line, prog); return 0;
		default: return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, usage_line, prog);
		return EX_USAGE;
	}
	ret = lockdev_monitor_open(&mon, 0);
	if (ret == -EPERM) {
		fprintf(stderr, "%s: monitor: permission denied: listening to lockdev's events needs CAP_NET_ADMIN\n",
			prog);
		return EX_NOPERM;
	}
	if (ret == -ENOENT) {
		fprintf(stderr, "%s: the lockdev module is not loaded (modprobe lockdev)\n",
			prog);
		return EX_UNAVAILABLE;
	}
	if (ret) {
		fprintf(stderr, "%s: monitor: %s\n", prog, strerror(-ret));
		return EX_OSERR;
	}
	if (held_ms >= 0 || wait_ms >= 0) {
		ret = lockdev_monitor_thresholds(mon, held_ms, wait_ms, NULL,
						 NULL);
		if (ret) {
			fprintf(stderr, "%s: monitor: thresholds: %s\n", prog,
				strerror(-ret));
			lockdev_monitor_close(mon);
			return ret == -EPERM ? EX_NOPERM : EX_OSERR;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (count != 0) {
		ret = lockdev_monitor_read(mon, &e);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "%s: monitor: events were lost\n", prog);
			continue;
		}
		if (ret == -EINTR)
			continue;
		if (ret) {
			fprintf(stderr, "%s: monitor: %s\n", prog, strerror(-ret));
			lockdev_monitor_close(mon);
			return EX_OSERR;
		}
		if (json)
			monitor_json(&e);
		else
			monitor_text(&e);
		if (count > 0)
			count--;
	}
	lockdev_monitor_close(mon);
	return 0;
}

/* ---- lockdev run: util-linux flock(1) over a named lock ---------------- */

struct run_opts {
	unsigned int mode;
	unsigned int level;
	bool unlock;
	bool nonblock;
	bool timed;
	uint64_t timeout_ns;
	int conflict;
	bool close;
	bool nofork;
	bool verbose;
	const char *space;
	unsigned int space_mode;
	int fd;
	const char *command;
};

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s [run] [options] NAME command [args...]\n"
		"       %1$s [run] [options] NAME -c command\n"
		"       %1$s [run] [options] --fd N NAME\n"
		"\nRun a command while holding the lock NAME, as flock(1) does with a file.\n"
		"\noptions:\n"
		"  -s, --shared              take it SHARED (a reader)\n"
		"  -a, --append              take it APPEND (an appender)\n"
		"  -x, -e, --exclusive       take it EXCLUSIVE (the default)\n"
		"  -u, --unlock              release NAME instead (with --fd)\n"
		"  -n, --nb, --nonblock      fail rather than wait\n"
		"  -w, --timeout, --wait SECS  wait at most SECS (fractions allowed)\n"
		"  -E, --conflict-exit-code N  exit code on a conflict or timeout (1)\n"
		"  -o, --close               the command does not inherit the session\n"
		"  -F, --no-fork             execute the command in place of lockdev\n"
		"  -c, --command COMMAND     run COMMAND with $SHELL -c\n"
		"  -l, --level LEVEL         the lock's level in the order (0)\n"
		"  -S, --lockspace NAME      lock in the named lockspace\n"
		"      --lockspace-mode MODE its permission bits if created (0600)\n"
		"      --fd N                lock in the session open on fd N\n"
		"      --verbose             say how long getting the lock took\n"
		"  -h, --help                show this help\n", prog);
}

static int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(d) || d < 0 || d > 1e9)
		return -1;
	*ns = (uint64_t)(d * 1e9 + 0.5);
	return 0;
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	enum { OPT_VERBOSE = 256, OPT_SPACE_MODE, OPT_FD };
	static const struct option opts[] = {
		{ "shared", no_argument, NULL, 's' },
		{ "append", no_argument, NULL, 'a' },
		{ "exclusive", no_argument, NULL, 'x' },
		{ "unlock", no_argument, NULL, 'u' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "nonblocking", no_argument, NULL, 'n' },
		{ "nb", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "wait", required_argument, NULL, 'w' },
		{ "conflict-exit-code", required_argument, NULL, 'E' },
		{ "close", no_argument, NULL, 'o' },
		{ "no-fork", no_argument, NULL, 'F' },
		{ "command", required_argument, NULL, 'c' },
		{ "level", required_argument, NULL, 'l' },
		{ "lockspace", required_argument, NULL, 'S' },
		{ "lockspace-mode", required_argument, NULL, OPT_SPACE_MODE },
		{ "fd", required_argument, NULL, OPT_FD },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->mode = LOCKDEV_MODE_EXCLUSIVE;
	o->conflict = 1;
	o->space_mode = 0600;
	o->fd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+saxeunw:E:oFc:l:S:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 's':
			o->mode = LOCKDEV_MODE_SHARED;
			o->unlock = false;
			break;
		case 'a':
			o->mode = LOCKDEV_MODE_APPEND;
			o->unlock = false;
			break;
		case 'x':
		case 'e':
			o->mode = LOCKDEV_MODE_EXCLUSIVE;
			o->unlock = false;
			break;
		case 'u':
			o->unlock = true;
			break;
		case 'n':
			o->nonblock = true;
			break;
		case 'o':
			o->close = true;
			break;
		case 'F':
			o->nofork = true;
			break;
		case 'c':
			o->command = optarg;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case 'w':
			if (parse_seconds(optarg, &o->timeout_ns)) {
				fprintf(stderr, "%s: invalid timeout value: '%s'\n",
					prog, optarg);
				return EX_USAGE;
			}
			o->timed = true;
			break;
		case 'E':
			if (parse_uint(optarg, 255, 10, &v)) {
				fprintf(stderr, "%s: exit code out of range (expected 0 to 255): '%s'\n",
					prog, optarg);
				return EX_USAGE;
			}
			o->conflict = v;
			break;
		case 'l':
			if (parse_uint(optarg, UINT32_MAX, 10, &v)) {
				fprintf(stderr, "%s: invalid level: '%s'\n", prog,
					optarg);
				return EX_USAGE;
			}
			o->level = v;
			break;
		case 'S':
			o->space = optarg;
			break;
		case OPT_SPACE_MODE:
			if (parse_uint(optarg, 0777, 8, &v)) {
				fprintf(stderr, "%s: invalid lockspace mode: '%s'\n",
					prog, optarg);
				return EX_USAGE;
			}
			o->space_mode = v;
			break;
		case OPT_FD:
			if (parse_uint(optarg, INT32_MAX, 10, &v)) {
				fprintf(stderr, "%s: bad file descriptor: '%s'\n",
					prog, optarg);
				return EX_USAGE;
			}
			o->fd = v;
			break;
		case 'h':
			run_usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '%s run --help' for more information.\n",
				prog);
			return EX_USAGE;
		}
	}
	/* -w 0 is -n, as in flock(1). */
	if (o->timed && !o->timeout_ns) {
		o->timed = false;
		o->nonblock = true;
	}
	if (o->nofork && o->close) {
		fprintf(stderr, "%s: the --no-fork and --close options are incompatible\n",
			prog);
		return EX_USAGE;
	}
	return 0;
}

static int run_open(const struct run_opts *o, struct lockdev **ld)
{
	int ret;

	if (o->fd >= 0) {
		ret = lockdev_open_fd(ld, o->fd, 0);
		if (ret == -EBADF || ret == -ENOTTY || ret == -EINVAL) {
			fprintf(stderr, "%s: fd %d is not an open lockdev session\n",
				prog, o->fd);
			return EX_USAGE;
		}
		return ret ? open_failure(ret) : 0;
	}
	if (!o->space) {
		ret = lockdev_open(ld, 0);
		return ret ? open_failure(ret) : 0;
	}
	ret = lockdev_open_space(ld, o->space, o->space_mode, 0);
	if (ret == -EACCES) {
		fprintf(stderr, "%s: lockspace %s: permission denied\n", prog,
			o->space);
		return EX_NOPERM;
	}
	if (ret == -EDQUOT || ret == -ENAMETOOLONG || ret == -EINVAL) {
		fprintf(stderr, "%s: lockspace %s: %s\n", prog, o->space,
			lockdev_strerror(ret, 0));
		return EX_DATAERR;
	}
	return ret ? open_failure(ret) : 0;
}

static int run_lock(const struct run_opts *o, struct lockdev *ld,
		    const char *name)
{
	struct lockdev_grant g;
	uint64_t start = 0;
	struct timespec ts;
	int ret;

	memset(&g, 0, sizeof(g));
	if (o->verbose) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		start = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	if (o->unlock) {
		ret = lockdev_unlock_name(ld, name);
		/* As flock(LOCK_UN): releasing a lock not held succeeds. */
		if (ret == -ENOLCK)
			ret = 0;
	} else if (o->nonblock) {
		ret = lockdev_trylock(ld, name, o->mode, o->level, &g);
	} else if (o->timed) {
		ret = lockdev_timedlock(ld, name, o->mode, o->level,
					o->timeout_ns, LOCKDEV_RESTART, &g);
	} else {
		ret = lockdev_lock(ld, name, o->mode, o->level,
				   LOCKDEV_RESTART, &g);
	}
	if (ret == -EAGAIN || ret == -ETIMEDOUT) {
		if (o->verbose)
			fprintf(stderr, "%s: %s\n", prog,
				ret == -EAGAIN ? "failed to get lock" :
				"timeout while waiting to get lock");
		return o->conflict;
	}
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, name,
			lockdev_strerror(ret, g.result));
		if (ret == -EACCES || ret == -EPERM)
			return EX_NOPERM;
		return ret == -ENOMEM ? EX_OSERR : EX_DATAERR;
	}
	if (o->verbose) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		start = ts.tv_sec * 1000000000ULL + ts.tv_nsec - start;
		printf("%s: getting lock took %llu.%06llu seconds\n", prog,
		       (unsigned long long)(start / 1000000000ULL),
		       (unsigned long long)(start % 1000000000ULL / 1000));
		if (g.result & LOCKDEV_RESULT_OWNER_DIED)
			printf("%s: %s: %s\n", prog, name,
			       lockdev_strerror(0, g.result));
		fflush(stdout);
	}
	return 0;
}

static void __attribute__((noreturn)) run_exec(char **cmd)
{
	execvp(cmd[0], cmd);
	fprintf(stderr, "%s: failed to execute %s: %s\n", prog, cmd[0],
		strerror(errno));
	_exit(errno == ENOMEM ? EX_OSERR : EX_UNAVAILABLE);
}

/*
 * Run @cmd under the lock; *@killed says whether a signal ended it, which
 * leaves the lock to the session's close: owner-died, as for any holder
 * that dies without unlocking.
 */
static int run_command(const struct run_opts *o, struct lockdev *ld,
		       char **cmd, bool *killed)
{
	int fd = lockdev_fd(ld), status;
	pid_t pid, w;

	/* Unless -o, the command holds the session too, as it holds flock's file. */
	if (!o->close && fcntl(fd, F_SETFD, 0) < 0) {
		fprintf(stderr, "%s: %s\n", prog, strerror(errno));
		return EX_OSERR;
	}
	signal(SIGCHLD, SIG_DFL);
	if (o->verbose) {
		printf("%s: executing %s\n", prog, cmd[0]);
		fflush(stdout);
	}
	if (o->nofork)
		run_exec(cmd);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork failed: %s\n", prog, strerror(errno));
		return EX_OSERR;
	}
	if (!pid) {
		if (o->close)
			close(fd);
		run_exec(cmd);
	}
	do {
		w = waitpid(pid, &status, 0);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		fprintf(stderr, "%s: waitpid failed: %s\n", prog,
			strerror(errno));
		return EXIT_FAILURE;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	*killed = true;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EX_OSERR;
}

static int cmd_run(int argc, char **argv)
{
	char *sh_argv[4], **cmd = NULL;
	struct run_opts o;
	struct lockdev *ld;
	bool killed = false;
	const char *name;
	int ret;

	ret = run_parse(argc, argv, &o);
	if (ret)
		return ret;
	if (optind >= argc) {
		fprintf(stderr, "%s: requires a lock name\n", prog);
		run_usage(stderr);
		return EX_USAGE;
	}
	name = argv[optind++];
	if (optind < argc && (!strcmp(argv[optind], "-c") ||
			      !strcmp(argv[optind], "--command"))) {
		if (argc != optind + 2 || o.command) {
			fprintf(stderr, "%s: %s requires exactly one command argument\n",
				prog, argv[optind]);
			return EX_USAGE;
		}
		o.command = argv[optind + 1];
		optind = argc;
	}
	if (o.command) {
		if (optind < argc) {
			fprintf(stderr, "%s: -c takes one command, not arguments after the name\n",
				prog);
			return EX_USAGE;
		}
		sh_argv[0] = getenv("SHELL");
		if (!sh_argv[0] || !*sh_argv[0])
			sh_argv[0] = _PATH_BSHELL;
		sh_argv[1] = "-c";
		sh_argv[2] = (char *)o.command;
		sh_argv[3] = NULL;
		cmd = sh_argv;
	} else if (optind < argc) {
		cmd = &argv[optind];
	}
	if (!cmd && o.fd < 0) {
		fprintf(stderr, "%s: requires a command, or --fd with the session to lock in\n",
			prog);
		return EX_USAGE;
	}
	if (cmd && o.fd >= 0) {
		fprintf(stderr, "%s: --fd takes no command: the lock stays with that session\n",
			prog);
		return EX_USAGE;
	}

	ret = run_open(&o, &ld);
	if (ret)
		return ret;
	ret = run_lock(&o, ld, name);
	if (!ret && cmd) {
		ret = run_command(&o, ld, cmd, &killed);
		/* A command that ended by itself ends its holding. */
		if (!killed && !o.unlock)
			lockdev_unlock_name(ld, name);
	}
	lockdev_close(ld);
	return ret;
}

/* ---- dispatch ---------------------------------------------------------- */

static int cmd_help(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "run", cmd_run, "run a command under a named lock (the default)" },
	{ "list", cmd_list, "show holders and waiters of every lock" },
	{ "order", cmd_order, "show the learned lock order and its inversions" },
	{ "stats", cmd_stats, "show the module's counters (--classes: per class)" },
	{ "version", cmd_version, "show the module's version and features" },
	{ "monitor", cmd_monitor, "follow events, one line each (--json)" },
	{ "help", cmd_help, "show this help" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %1$s <command> [<args>]\n"
		"       %1$s [run] [options] NAME command [args...]\n\ncommands:\n",
		prog);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].help);
	fprintf(f, "\n'%s run --help' lists the options of run; see lockdev(1).\n",
		prog);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	/* The bare form: lockdev [options] NAME command... */
	return cmd_run(argc, argv);
}
