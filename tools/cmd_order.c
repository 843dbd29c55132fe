// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev order: the order of lock classes the module learned, from
 * /proc/lockdev/order: each edge with its first example, then each
 * inversion with both examples; as tables or as one JSON object.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * The fields of an edge line and of an inversion line of
 * /proc/lockdev/order; the first four (kind, lockspace, from, to) are the
 * same in both, and named E_ where either is meant.
 */
enum { E_KIND, E_SPACE, E_FROM, E_TO, E_COUNT, E_AGE, E_PID, E_COMM,
	E_FROM_NAME, E_TO_NAME, E_FIELDS };
enum { I_KIND, I_SPACE, I_FROM, I_TO, I_AGE, I_PID, I_COMM, I_FROM_NAME,
	I_TO_NAME, I_PID2, I_COMM2, I_FROM_NAME2, I_TO_NAME2, I_FIELDS };

static const char *const edge_keys[E_FIELDS] = {
	NULL, "lockspace", "from", "to", "count", "age_ms", "pid", "comm",
	"from_name", "to_name",
};
static const char *const inversion_keys[I_FIELDS] = {
	NULL, "lockspace", "from", "to", "age_ms", "pid", "comm", "from_name",
	"to_name", "pid2", "comm2", "from_name2", "to_name2",
};

static void order_json(const struct fields *fs, const char *const *keys,
		       int n, bool first)
{
	int i;

	fputs(first ? "\n    {" : ",\n    {", stdout);
	for (i = 1; i < n; i++) {
		if (i > 1)
			fputs(", ", stdout);
		/* Every field but the counts, ages and pids is a name. */
		json_proc_value(stdout, keys[i], fs->f[i],
				!strstr(keys[i], "count") &&
				!strstr(keys[i], "age") &&
				strncmp(keys[i], "pid", 3));
	}
	fputs("}", stdout);
}

/*
 * Widths of the name columns of a table: lockspace, from, to and comm, at
 * least 16 and as wide as the widest shown, so that the columns line up
 * whatever the class names.
 */
struct widths {
	int space, from, to, comm;
};

static int widest(int w, const char *s)
{
	int n = strlen(s);

	return n > w ? n : w;
}

static void order_text(const struct fields *fs, bool inversion,
		       const struct widths *w)
{
	char agebuf[32];

	if (inversion)
		printf("%-*s %-*s %-*s %8s %7s %-*s %s -> %s; %s: %s -> %s\n",
		       w->space, fs->f[I_SPACE], w->from, fs->f[I_FROM],
		       w->to, fs->f[I_TO],
		       fmt_age(strtoull(fs->f[I_AGE], NULL, 10), agebuf,
			       sizeof(agebuf)),
		       fs->f[I_PID], w->comm, fs->f[I_COMM],
		       fs->f[I_FROM_NAME], fs->f[I_TO_NAME], fs->f[I_PID2],
		       fs->f[I_FROM_NAME2], fs->f[I_TO_NAME2]);
	else
		printf("%-*s %-*s %-*s %8s %8s %7s %-*s %s -> %s\n",
		       w->space, fs->f[E_SPACE], w->from, fs->f[E_FROM],
		       w->to, fs->f[E_TO], fs->f[E_COUNT],
		       fmt_age(strtoull(fs->f[E_AGE], NULL, 10), agebuf,
			       sizeof(agebuf)),
		       fs->f[E_PID], w->comm, fs->f[E_COMM],
		       fs->f[E_FROM_NAME], fs->f[E_TO_NAME]);
}

static void order_heading(bool json, int pass, const struct widths *w)
{
	if (json)
		printf("%s\"%s\": [", pass ? ",\n  " : "{\n  ",
		       pass ? "inversions" : "edges");
	else if (pass)
		printf("\n%-*s %-*s %-*s %8s %7s %-*s %s\n", w->space,
		       "LOCKSPACE", w->from, "FROM", w->to, "TO", "AGE", "PID",
		       w->comm, "COMM", "HELD -> ASKED; AND BACK");
	else
		printf("%-*s %-*s %-*s %8s %8s %7s %-*s %s\n", w->space,
		       "LOCKSPACE", w->from, "FROM", w->to, "TO", "COUNT",
		       "AGE", "PID", w->comm, "COMM", "HELD -> ASKED");
}

/* Whether @line is a line of @kind of @space (all when NULL): split in @fs. */
static bool order_line(char *line, const char *kind, const char *space,
		       int fields, struct fields *fs)
{
	if (strncmp(line, kind, strlen(kind)) || line[strlen(kind)] != ' ')
		return false;
	proc_split(line, fs);
	return fs->n >= fields &&
	       (!space || proc_field_is(fs->f[E_SPACE], space));
}

/* One snapshot, two passes: the edges, then the inversions. */
static void order_show(char **lines, size_t n, const char *space, bool json)
{
	int pass, counts[2] = { 0, 0 };
	const char *summary = NULL;
	struct widths w;
	struct fields fs;
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(lines[i], "# classes ", 10))
			summary = lines[i] + 2;
	for (pass = 0; pass < 2; pass++) {
		const char *kind = pass ? "inversion" : "edge";
		int fields = pass ? I_FIELDS : E_FIELDS;

		w = (struct widths){ 16, 16, 16, 16 };
		for (i = 0; !json && i < n; i++) {
			/* A copy: splitting the line ends its fields. */
			char *copy = strdup(lines[i]);

			if (copy && order_line(copy, kind, space, fields, &fs)) {
				w.space = widest(w.space, fs.f[E_SPACE]);
				w.from = widest(w.from, fs.f[E_FROM]);
				w.to = widest(w.to, fs.f[E_TO]);
				w.comm = widest(w.comm,
						fs.f[pass ? I_COMM : E_COMM]);
			}
			free(copy);
		}
		order_heading(json, pass, &w);
		for (i = 0; i < n; i++) {
			if (!order_line(lines[i], kind, space, fields, &fs))
				continue;
			if (json)
				order_json(&fs, pass ? inversion_keys : edge_keys,
					   fields, !counts[pass]);
			else
				order_text(&fs, pass, &w);
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
}

int cmd_order(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lockspace", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *space = NULL;
	bool json = false;
	char **lines;
	size_t n;
	int c, ret;

	while ((c = getopt_long(argc, argv, "S:l:Jh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
		case 'l':
			space = optarg;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			printf("usage: %s order [--lockspace NAME] [--json]\n",
			       cli_prog);
			return 0;
		default:
			return cli_bad_option();
		}
	}
	if (optind != argc)
		return cli_usage_err("unexpected argument %s",
				     msg_str(argv[optind]));
	ret = proc_table_read("order", &lines, &n);
	if (ret)
		return ret;
	order_show(lines, n, space, json);
	proc_lines_free(lines, n);
	return 0;
}
