// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev list: the holders and waiters of every lock the caller may see,
 * from the module's netlink dump, as a table (lslocks' -o, --noheadings,
 * --raw), JSON, a tree of who waits for whom, or redrawn every few seconds.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "list.h"
#include "table.h"

enum { C_SPACE, C_NAME, C_LEVEL, C_MODE, C_STATE, C_PID, C_COMM, C_AGE,
	C_DIED, C_GEN, C_OPEN_BY, C_WAITS_FOR, C_SESSION, C_NR };

static const struct col list_cols[C_NR] = {
	[C_SPACE] = { "LOCKSPACE", "lockspace (~UID: a uid's default one)", false, true },
	[C_NAME] = { "NAME", "lock name, escaped as in /proc/lockdev/locks", false, true },
	[C_LEVEL] = { "LEVEL", "level in the lock order", true, false },
	[C_MODE] = { "MODE", "mode held or asked for", false, true },
	[C_STATE] = { "STATE", "held, waiting, converting, idle, owner-died", false, true },
	[C_PID] = { "PID", "process that asked", true, true },
	[C_COMM] = { "COMM", "its command name", false, true },
	[C_AGE] = { "AGE", "how long held, waiting or idle", true, true },
	[C_DIED] = { "OWNER-DIED", "1 if marked owner-died", true, false },
	[C_GEN] = { "GENERATION", "the lock's generation", true, false },
	[C_OPEN_BY] = { "OPEN-BY", "processes that have the session open", false, true },
	[C_WAITS_FOR] = { "WAITS-FOR", "pids a waiter waits for", false, true },
	[C_SESSION] = { "SESSION", "the session's id", true, false },
};

struct list_opts {
	const char *space;
	const char *name;
	pid_t pid;		/* --pid, or 0 */
	unsigned int flags;	/* LOCKDEV_DUMP_* */
	bool tree;
	uint64_t watch_ns;	/* --watch, or 0 */
	struct table t;
};

const char *state_str(const struct lockdev_lock_info *l)
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

static int collect(const struct lockdev_lock_info *l, void *arg)
{
	struct list_opts *lo = ((void **)arg)[0];
	struct lines *ls = ((void **)arg)[1];
	struct lockdev_lock_info *more;

	if ((lo->space && !proc_field_is(l->lockspace, lo->space)) ||
	    (lo->name && (l->name_len != strlen(lo->name) ||
			  memcmp(l->name, lo->name, l->name_len))) ||
	    (lo->pid && (pid_t)l->pid != lo->pid))
		return 0;
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? 2 * ls->cap : 64;
		more = realloc(ls->v, ls->cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		ls->v = more;
	}
	ls->v[ls->n++] = *l;
	return 0;
}

/* The dump into @ls, and the openers into @o; 0 or an exit code. */
static int dump(struct list_opts *lo, struct lines *ls, struct openers *o)
{
	void *arg[2] = { lo, ls };
	int ret;

	ls->n = 0;
	/* The module's /proc/lockdev says it is loaded, as for the others. */
	if (access(PROC_DIR, F_OK))
		return cli_proc_failure(PROC_DIR, errno);
	if (openers_scan(o))
		return cli_no_memory();
	ret = lockdev_locks_dump(lo->flags, collect, arg);
	if (!ret)
		return 0;
	if (ret == -ENOENT) {
		cli_err("the module's netlink family is not reachable here (an older module, or another network namespace)");
		return EXIT_NOT_AVAILABLE;
	}
	if (ret == -ENOMEM)
		return cli_no_memory();
	cli_err("%s", strerror(-ret));
	return ret == -EPERM || ret == -EACCES ? EXIT_PERMISSION : EXIT_SYSTEM;
}

static void pids_text(char *buf, size_t len, const uint32_t *pids, size_t n,
		      bool more)
{
	size_t i, used = 0;

	buf[0] = 0;
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%u", i ? "," : "",
				 pids[i]);
	if (!n)
		snprintf(buf, len, "-");
	else if (more && used < len)
		snprintf(buf + used, len - used, ",...");
}

static void pids_json(FILE *f, const char *key, const uint32_t *pids,
		      size_t n)
{
	size_t i;

	fprintf(f, "\"%s\": [", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? ", " : "", pids[i]);
	fputc(']', f);
}

/* The cells of the columns that are names or words. */
static int row_names(struct table *t, const struct lockdev_lock_info *l)
{
	char buf[4 * LOCKDEV_NAME_MAX + 1];
	bool idle = l->state == LOCKDEV_STATE_IDLE;
	const char *mode = l->mode ? mode_str(l->mode) : "-";
	int ret;

	json_proc_name(table_json(t), "lockspace", l->lockspace);
	ret = table_cell(t, C_SPACE, l->lockspace);
	json_name(table_json(t), "name", l->name, l->name_len);
	ret = ret ?: table_cell(t, C_NAME, proc_escape(buf, l->name,
							l->name_len));
	fprintf(table_json(t), "\"mode\": \"%s\"", mode);
	ret = ret ?: table_cell(t, C_MODE, mode);
	fprintf(table_json(t), "\"state\": \"%s\"", state_str(l));
	snprintf(buf, sizeof(buf), "%s%s", state_str(l),
		 l->owner_died && !idle ? ",owner-died" : "");
	ret = ret ?: table_cell(t, C_STATE, buf);
	if (idle)
		fputs("\"comm\": \"-\"", table_json(t));
	else
		json_name(table_json(t), "comm", l->comm,
			  strnlen(l->comm, sizeof(l->comm)));
	proc_escape(buf, l->comm, strnlen(l->comm, sizeof(l->comm)));
	return ret ?: table_cell(t, C_COMM, idle ? "-" : buf);
}

static int row_numbers(struct table *t, const struct lockdev_lock_info *l,
		       const struct openers *o)
{
	unsigned long long ms = l->age_ns / 1000000;
	const struct opener *op = NULL;
	uint32_t pids[64];
	char buf[1024];
	FILE *f;
	size_t n = 0, i;
	int ret;

	fprintf(table_json(t), "\"level\": %u", l->level);
	snprintf(buf, sizeof(buf), "%u", l->level);
	ret = table_cell(t, C_LEVEL, buf);
	fprintf(table_json(t), "\"pid\": %u", l->pid);
	snprintf(buf, sizeof(buf), l->pid ? "%u" : "-", l->pid);
	ret = ret ?: table_cell(t, C_PID, buf);
	fprintf(table_json(t), "\"age_ms\": %llu", ms);
	ret = ret ?: table_cell(t, C_AGE, fmt_age(ms, buf, sizeof(buf)));
	fprintf(table_json(t), "\"owner_died\": %s",
		l->owner_died ? "true" : "false");
	ret = ret ?: table_cell(t, C_DIED, l->owner_died ? "1" : "0");
	fprintf(table_json(t), "\"generation\": %llu",
		(unsigned long long)l->generation);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->generation);
	ret = ret ?: table_cell(t, C_GEN, buf);
	fprintf(table_json(t), "\"session\": %llu",
		(unsigned long long)l->session);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->session);
	ret = ret ?: table_cell(t, C_SESSION, buf);
	if (l->session)
		op = openers_of(o, l->session, &n);
	for (i = 0; i < n && i < 64; i++)
		pids[i] = op[i].pid;
	pids_json(table_json(t), "open_by", pids, i);
	pids_text(buf, sizeof(buf), pids, i, n > i);
	ret = ret ?: table_cell(t, C_OPEN_BY, buf);
	f = table_json(t);
	pids_json(f, "waits_for", l->waits_for, l->nr_waits_for);
	fprintf(f, ", \"waits_for_truncated\": %s",
		l->waits_for_truncated ? "true" : "false");
	pids_text(buf, sizeof(buf), l->waits_for, l->nr_waits_for,
		  l->waits_for_truncated);
	return ret ?: table_cell(t, C_WAITS_FOR, buf);
}

static int list_once(struct list_opts *lo, struct lines *ls)
{
	struct openers o = { 0 };
	size_t i;
	int ret;

	ret = dump(lo, ls, &o);
	if (!ret && lo->tree)
		ret = list_tree(ls, &o, lo->t.noheadings);
	for (i = 0; !ret && !lo->tree && i < ls->n; i++) {
		ret = table_row(&lo->t);
		ret = ret ?: row_names(&lo->t, &ls->v[i]);
		ret = ret ?: row_numbers(&lo->t, &ls->v[i], &o);
	}
	if (!ret && !lo->tree)
		table_print(&lo->t);
	table_clear(&lo->t);
	openers_free(&o);
	return ret;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Redraw every @lo->watch_ns until interrupted, as watch(1) does. */
static int list_watch(struct list_opts *lo, struct lines *ls)
{
	struct timespec ts = { (time_t)(lo->watch_ns / 1000000000),
			       (long)(lo->watch_ns % 1000000000) };
	bool tty = isatty(STDOUT_FILENO);
	char when[64];
	time_t now;
	int ret = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop && !ret) {
		now = time(NULL);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			 localtime(&now));
		printf("%sEvery %.1fs: lockdev list%s  %s\n\n",
		       tty ? "\033[H\033[2J" : "\n", lo->watch_ns / 1e9,
		       lo->tree ? " --tree" : "", when);
		ret = list_once(lo, ls);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	return ret;
}

static void list_usage(void)
{
	printf("usage: %s list [options]\n"
	       "\nThe holders and waiters of the locks you may see.\n"
	       "\noptions:\n"
	       "  -S, -l, --lockspace NAME  only the locks of that lockspace\n"
	       "  -N, --name NAME           only that lock\n"
	       "  -p, --pid PID             only the requests of that process\n"
	       "  -a, --all                 idle locks too\n"
	       "  -t, --tree                each waiter under what it waits for\n"
	       "  -W, --watch [SECS]        redraw every SECS seconds (2)\n"
	       "  -o, --output LIST         the columns to show (+LIST: add)\n"
	       "  -n, --noheadings          no heading line\n"
	       "  -r, --raw                 fields separated by one space\n"
	       "  -J, --json                JSON: an array of objects\n"
	       "  -h, --help                show this help\n", cli_prog);
	table_help(stdout, list_cols, C_NR);
}

/* --watch's optional seconds: "--watch=S", or a number in the next word. */
static int watch_arg(struct list_opts *lo, int argc, char **argv)
{
	const char *arg = optarg;

	if (!arg && optind < argc && parse_seconds(argv[optind], 1e6,
						   &lo->watch_ns) == 0) {
		arg = argv[optind++];
	} else if (!arg) {
		lo->watch_ns = 2000000000ULL;
		return 0;
	}
	if (parse_seconds(arg, 1e6, &lo->watch_ns) || lo->watch_ns < 100000000)
		return cli_usage_err("--watch: %s is not a number of seconds from 0.1 to 1000000",
				     msg_str(arg));
	return 0;
}

static int list_parse(struct list_opts *lo, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lockspace", required_argument, NULL, 'S' },
		{ "name", required_argument, NULL, 'N' },
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "tree", no_argument, NULL, 't' },
		{ "watch", optional_argument, NULL, 'W' },
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *columns = NULL;
	unsigned long v;
	int c, ret = 0;

	while (!ret && (c = getopt_long(argc, argv, "S:l:N:p:atW::o:nrJh",
					opts, NULL)) != -1) {
		switch (c) {
		case 'S':
		case 'l':
			lo->space = optarg;
			break;
		case 'N':
			lo->name = optarg;
			break;
		case 'p':
			ret = parse_uint_opt("--pid", optarg, 1, INT32_MAX, &v);
			lo->pid = (pid_t)v;
			break;
		case 'a':
			lo->flags |= LOCKDEV_DUMP_IDLE;
			break;
		case 't':
			lo->tree = true;
			break;
		case 'W':
			ret = watch_arg(lo, argc, argv);
			break;
		case 'o':
			columns = optarg;
			break;
		case 'n':
			lo->t.noheadings = true;
			break;
		case 'r':
			lo->t.format = TABLE_RAW;
			break;
		case 'J':
			lo->t.format = TABLE_JSON;
			break;
		case 'h':
			list_usage();
			exit(0);
		default:
			return cli_bad_option();
		}
	}
	if (ret)
		return ret;
	if (optind != argc)
		return cli_usage_err("unexpected argument %s",
				     msg_str(argv[optind]));
	if (lo->t.format == TABLE_JSON && lo->watch_ns)
		return cli_usage_err("--watch has no JSON form");
	if (lo->tree && (columns || lo->t.format != TABLE_ALIGNED))
		return cli_usage_err("--tree has its own columns: not with -o, --raw or --json");
	return columns ? table_columns(&lo->t, columns) : 0;
}

int cmd_list(int argc, char **argv)
{
	struct lines ls = { 0 };
	struct list_opts lo;
	int ret;

	memset(&lo, 0, sizeof(lo));
	table_init(&lo.t, list_cols, C_NR);
	ret = list_parse(&lo, argc, argv);
	if (!ret)
		ret = lo.watch_ns ? list_watch(&lo, &ls) : list_once(&lo, &ls);
	table_free(&lo.t);
	free(ls.v);
	return ret;
}
