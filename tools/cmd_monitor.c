// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev monitor: the module's events, live, one line each, with the time
 * this program received it: text, or one JSON object per line.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"

static const char *const event_names[] = {
	[LOCKDEV_EVENT_DEADLOCK] = "deadlock",
	[LOCKDEV_EVENT_ORDER] = "order",
	[LOCKDEV_EVENT_INVERSION] = "inversion",
	[LOCKDEV_EVENT_OWNER_DIED] = "owner-died",
	[LOCKDEV_EVENT_HELD_LONG] = "held-long",
	[LOCKDEV_EVENT_WAITED_LONG] = "waited-long",
	[LOCKDEV_EVENT_SPACE_REMOVED] = "space-removed",
};

static const char *event_str(uint32_t kind)
{
	if (kind < sizeof(event_names) / sizeof(event_names[0]) &&
	    event_names[kind])
		return event_names[kind];
	return "unknown";
}

/* Now as ISO 8601 local time with microseconds and the UTC offset. */
static const char *timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char zone[8];
	size_t n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf + n, len - n, ".%06ld%.3s:%s", (long)tv.tv_usec, zone,
		 zone + 3);
	return buf;
}

/* @n bytes as /proc/lockdev shows them: \ooo outside 0x21-0x7e, \ and ~. */
static void print_escaped(const char *buf, size_t n)
{
	char out[4 * LOCKDEV_NAME_MAX + 1];

	fputs(proc_escape(out, buf, n < LOCKDEV_NAME_MAX ? n :
			  LOCKDEV_NAME_MAX), stdout);
}

/* A task's name, escaped: any process may choose its own. */
static void print_comm(const char *comm, size_t size)
{
	print_escaped(comm, strnlen(comm, size));
}

static void member_text(const struct lockdev_event *e,
			const struct lockdev_event_member *m, bool first)
{
	printf("%s pid %u (", first ? ":" : ";", m->pid);
	print_comm(m->comm, sizeof(m->comm));
	printf(") holds ");
	print_escaped(m->held_name, m->held_name_len);
	printf(" %s%s", m->flags & LOCKDEV_MEMBER_QUEUED ? "queued-" : "",
	       mode_str(m->held_mode));
	printf(", %s ", e->kind == LOCKDEV_EVENT_ORDER ? "asks" : "waits for");
	print_escaped(m->wait_name, m->wait_name_len);
	printf(" %s", mode_str(m->wait_mode));
}

static void edge_text(const struct lockdev_event_edge *g, bool first)
{
	printf("%s ", first ? ": new" : "; first");
	print_escaped(g->class_from, g->class_from_len);
	printf(" -> ");
	print_escaped(g->class_to, g->class_to_len);
	printf(" by pid %u (", g->pid);
	print_comm(g->comm, sizeof(g->comm));
	printf("): ");
	print_escaped(g->from_name, g->from_name_len);
	printf(" then ");
	print_escaped(g->to_name, g->to_name_len);
}

static void monitor_text(const struct lockdev_event *e, const char *when)
{
	uint32_t i;

	printf("%s %s", when, event_str(e->kind));
	if (e->kind == LOCKDEV_EVENT_ORDER)
		printf(" %s", e->order_mode == LOCKDEV_ORDER_WARN ?
		       "warn" : "strict");
	/* The lockspace comes escaped, as /proc/lockdev/locks shows it. */
	printf(" %s", e->lockspace);
	if (e->kind == LOCKDEV_EVENT_DEADLOCK ||
	    e->kind == LOCKDEV_EVENT_ORDER) {
		for (i = 0; i < e->nr_members; i++)
			member_text(e, &e->members[i], !i);
	} else if (e->kind == LOCKDEV_EVENT_INVERSION) {
		for (i = 0; i < e->nr_edges; i++)
			edge_text(&e->edges[i], !i);
	} else if (e->kind != LOCKDEV_EVENT_SPACE_REMOVED) {
		putchar(' ');
		print_escaped(e->name, e->name_len);
		printf(" %s pid %u (", mode_str(e->mode), e->pid);
		print_comm(e->comm, sizeof(e->comm));
		putchar(')');
		if (e->kind == LOCKDEV_EVENT_OWNER_DIED)
			printf(" generation %llu",
			       (unsigned long long)e->generation);
		else
			printf(" for %llu ms",
			       (unsigned long long)(e->age_ns / 1000000));
	}
	putchar('\n');
}

static void comm_json(const char *comm)
{
	json_name(stdout, "comm", comm, strnlen(comm, 16));
}

static void member_json(const struct lockdev_event_member *m, bool first)
{
	printf("%s{\"pid\": %u, ", first ? "" : ", ", m->pid);
	comm_json(m->comm);
	fputs(", ", stdout);
	json_name(stdout, "held", m->held_name, m->held_name_len);
	printf(", \"held_mode\": \"%s\", \"queued\": %s, ",
	       mode_str(m->held_mode),
	       m->flags & LOCKDEV_MEMBER_QUEUED ? "true" : "false");
	json_name(stdout, "waits_for", m->wait_name, m->wait_name_len);
	printf(", \"wait_mode\": \"%s\"}", mode_str(m->wait_mode));
}

static void edge_json(const struct lockdev_event_edge *g, bool first)
{
	fputs(first ? "{" : ", {", stdout);
	json_name(stdout, "from", g->class_from, g->class_from_len);
	fputs(", ", stdout);
	json_name(stdout, "to", g->class_to, g->class_to_len);
	printf(", \"pid\": %u, ", g->pid);
	comm_json(g->comm);
	fputs(", ", stdout);
	json_name(stdout, "from_name", g->from_name, g->from_name_len);
	fputs(", ", stdout);
	json_name(stdout, "to_name", g->to_name, g->to_name_len);
	putchar('}');
}

static void monitor_json(const struct lockdev_event *e, const char *when)
{
	uint32_t i;

	printf("{\"time\": \"%s\", \"event\": \"%s\", ", when,
	       event_str(e->kind));
	json_proc_name(stdout, "lockspace", e->lockspace);
	if (e->kind == LOCKDEV_EVENT_DEADLOCK ||
	    e->kind == LOCKDEV_EVENT_ORDER) {
		if (e->kind == LOCKDEV_EVENT_ORDER)
			printf(", \"order_mode\": \"%s\"",
			       e->order_mode == LOCKDEV_ORDER_WARN ?
			       "warn" : "strict");
		fputs(", \"members\": [", stdout);
		for (i = 0; i < e->nr_members; i++)
			member_json(&e->members[i], !i);
		putchar(']');
	} else if (e->kind == LOCKDEV_EVENT_INVERSION) {
		fputs(", \"edges\": [", stdout);
		for (i = 0; i < e->nr_edges; i++)
			edge_json(&e->edges[i], !i);
		putchar(']');
	} else if (e->kind != LOCKDEV_EVENT_SPACE_REMOVED) {
		fputs(", ", stdout);
		json_name(stdout, "name", e->name, e->name_len);
		printf(", \"mode\": \"%s\", \"pid\": %u, ", mode_str(e->mode),
		       e->pid);
		comm_json(e->comm);
		if (e->kind == LOCKDEV_EVENT_OWNER_DIED)
			printf(", \"generation\": %llu",
			       (unsigned long long)e->generation);
		else
			printf(", \"age_ms\": %llu",
			       (unsigned long long)(e->age_ns / 1000000));
	}
	puts("}");
}

static int monitor_open(struct lockdev_monitor **mon, int64_t held_ms,
			int64_t wait_ms)
{
	int ret = lockdev_monitor_open(mon, 0);

	if (ret == -EPERM) {
		cli_err("permission denied: listening to lockdev's events needs CAP_NET_ADMIN");
		return EXIT_PERMISSION;
	}
	if (ret == -EDQUOT || ret == -ENOSPC) {
		cli_err("too many monitors: %s", strerror(-ret));
		return EXIT_NO_SPACE;
	}
	if (ret == -ENOENT) {
		cli_err("the lockdev module is not loaded (modprobe lockdev)");
		return EXIT_NOT_LOADED;
	}
	if (ret) {
		cli_err("%s", strerror(-ret));
		return EXIT_SYSTEM;
	}
	if (held_ms < 0 && wait_ms < 0)
		return 0;
	ret = lockdev_monitor_thresholds(*mon, held_ms, wait_ms, NULL, NULL);
	if (!ret)
		return 0;
	cli_err("thresholds: %s", strerror(-ret));
	lockdev_monitor_close(*mon);
	return ret == -EPERM ? EXIT_PERMISSION : EXIT_SYSTEM;
}

static int monitor_loop(struct lockdev_monitor *mon, int64_t count, bool json)
{
	struct lockdev_event e;
	char when[64];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (count != 0) {
		ret = lockdev_monitor_read(mon, &e);
		if (ret == -ENOBUFS) {
			cli_err("events were lost");
			continue;
		}
		if (ret == -EINTR)
			continue;
		if (ret) {
			cli_err("%s", strerror(-ret));
			return EXIT_SYSTEM;
		}
		timestamp(when, sizeof(when));
		if (json)
			monitor_json(&e, when);
		else
			monitor_text(&e, when);
		if (count > 0)
			count--;
	}
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "held", required_argument, NULL, 'H' },
		{ "wait", required_argument, NULL, 'W' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t held_ms = -1, wait_ms = -1, count = -1;
	struct lockdev_monitor *mon;
	bool json = false;
	unsigned long v;
	int c, ret = 0;

	while (!ret && (c = getopt_long(argc, argv, "JH:W:n:h", opts,
					NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'H':
			ret = parse_uint_opt("--held", optarg, 0, UINT32_MAX, &v);
			held_ms = v;
			break;
		case 'W':
			ret = parse_uint_opt("--wait", optarg, 0, UINT32_MAX, &v);
			wait_ms = v;
			break;
		case 'n':
			ret = parse_uint_opt("--count", optarg, 1, UINT32_MAX,
					     &v);
			count = v;
			break;
		case 'h':
			printf("usage: %s monitor [--held MS] [--wait MS] [--count N] [--json]\n",
			       cli_prog);
			return 0;
		default:
			return cli_bad_option();
		}
	}
	if (!ret && optind != argc)
		ret = cli_usage_err("unexpected argument %s",
				    msg_str(argv[optind]));
	if (!ret)
		ret = monitor_open(&mon, held_ms, wait_ms);
	if (ret)
		return ret;
	ret = monitor_loop(mon, count, json);
	lockdev_monitor_close(mon);
	return ret;
}
