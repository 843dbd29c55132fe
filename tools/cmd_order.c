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

static void order_text(const struct fields *fs, bool inversion)
{
	char agebuf[32];

	if (inversion)
		printf("%-16s %-16s %-16s %8s %7s %-16s %s -> %s; %s: %s -> %s\n",
		       fs->f[I_SPACE], fs->f[I_FROM], fs->f[I_TO],
		       fmt_age(strtoull(fs->f[I_AGE], NULL, 10), agebuf,
			       sizeof(agebuf)),
		       fs->f[I_PID], fs->f[I_COMM], fs->f[I_FROM_NAME],
		       fs->f[I_TO_NAME], fs->f[I_PID2], fs->f[I_FROM_NAME2],
		       fs->f[I_TO_NAME2]);
	else
		printf("%-16s %-16s %-16s %8s %8s %7s %-16s %s -> %s\n",
		       fs->f[E_SPACE], fs->f[E_FROM], fs->f[E_TO],
		       fs->f[E_COUNT],
		       fmt_age(strtoull(fs->f[E_AGE], NULL, 10), agebuf,
			       sizeof(agebuf)),
		       fs->f[E_PID], fs->f[E_COMM], fs->f[E_FROM_NAME],
		       fs->f[E_TO_NAME]);
}

static void order_heading(bool json, int pass)
{
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
}

/* One snapshot, two passes: the edges, then the inversions. */
static void order_show(char **lines, size_t n, const char *space, bool json)
{
	int pass, counts[2] = { 0, 0 };
	const char *summary = NULL;
	struct fields fs;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		const char *kind = pass ? "inversion" : "edge";

		order_heading(json, pass);
		for (i = 0; i < n; i++) {
			if (!strncmp(lines[i], "# classes ", 10))
				summary = lines[i] + 2;
			if (strncmp(lines[i], kind, strlen(kind)) ||
			    lines[i][strlen(kind)] != ' ')
				continue;
			proc_split(lines[i], &fs);
			if (fs.n < (pass ? I_FIELDS : E_FIELDS) ||
			    (space && !proc_field_is(fs.f[1], space)))
				continue;
			if (json)
				order_json(&fs, pass ? inversion_keys : edge_keys,
					   pass ? I_FIELDS : E_FIELDS,
					   !counts[pass]);
			else
				order_text(&fs, pass);
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
