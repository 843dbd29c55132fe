// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev deadlocks: the deadlocks and order violations the module kept,
 * /proc/lockdev/deadlocks, one report per cycle with its members, as text
 * or JSON.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { D_SEQ, D_SPACE, D_REASON, D_AGE, D_MEMBER, D_PID, D_COMM,
	D_HELD_MODE, D_HELD_LEVEL, D_HELD_NAME, D_WAIT_MODE, D_WAIT_LEVEL,
	D_WAIT_NAME, D_FIELDS };

static const char *const member_keys[D_FIELDS] = {
	[D_PID] = "pid", [D_COMM] = "comm", [D_HELD_MODE] = "held_mode",
	[D_HELD_LEVEL] = "held_level", [D_HELD_NAME] = "held_name",
	[D_WAIT_MODE] = "wait_mode", [D_WAIT_LEVEL] = "wait_level",
	[D_WAIT_NAME] = "wait_name",
};

static void report_json(const struct fields *fs, bool new_report,
			bool first)
{
	int i;

	if (new_report) {
		if (!first)
			fputs("]},", stdout);
		printf("\n  {\"seq\": %llu, ", strtoull(fs->f[D_SEQ], NULL, 10));
		json_proc_name(stdout, "lockspace", fs->f[D_SPACE]);
		printf(", \"reason\": \"%s\", \"age_ms\": %llu, \"members\": [",
		       strcmp(fs->f[D_REASON], "order") ? "cycle" : "order",
		       strtoull(fs->f[D_AGE], NULL, 10));
	} else {
		fputs(", ", stdout);
	}
	fputs("{", stdout);
	for (i = D_PID; i < D_FIELDS; i++) {
		if (i > D_PID)
			fputs(", ", stdout);
		json_proc_value(stdout, member_keys[i], fs->f[i],
				i == D_COMM || i == D_HELD_NAME ||
				i == D_WAIT_NAME);
	}
	fputs("}", stdout);
}

static void report_text(const struct fields *fs, bool new_report)
{
	char agebuf[32];

	if (new_report)
		printf("#%s %s ago, lockspace %s, %s:\n", fs->f[D_SEQ],
		       fmt_age(strtoull(fs->f[D_AGE], NULL, 10), agebuf,
			       sizeof(agebuf)),
		       fs->f[D_SPACE], fs->f[D_REASON]);
	printf("  pid %s (%s) holds %s %s, %s %s %s\n", fs->f[D_PID],
	       fs->f[D_COMM], fs->f[D_HELD_NAME], fs->f[D_HELD_MODE],
	       strcmp(fs->f[D_REASON], "order") ? "waits for" : "asks",
	       fs->f[D_WAIT_NAME], fs->f[D_WAIT_MODE]);
}

static int deadlocks_show(char **lines, size_t n, const char *space,
			  bool json)
{
	const char *seq = "";
	struct fields fs;
	int reports = 0;
	size_t i;

	if (json)
		fputs("[", stdout);
	for (i = 0; i < n; i++) {
		if (lines[i][0] == '#')
			continue;
		proc_split(lines[i], &fs);
		if (fs.n < D_FIELDS ||
		    (space && !proc_field_is(fs.f[D_SPACE], space)))
			continue;
		if (json)
			report_json(&fs, strcmp(seq, fs.f[D_SEQ]), !reports);
		else
			report_text(&fs, strcmp(seq, fs.f[D_SEQ]));
		reports += !!strcmp(seq, fs.f[D_SEQ]);
		seq = fs.f[D_SEQ];
	}
	if (json)
		fputs(reports ? "]}\n]\n" : "]\n", stdout);
	else if (!reports)
		puts("no deadlocks or order violations kept");
	return 0;
}

int cmd_deadlocks(int argc, char **argv)
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

	while ((c = getopt_long(argc, argv, "S:Jh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			space = optarg;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			printf("usage: %s deadlocks [--lockspace NAME] [--json]\n",
			       cli_prog);
			return 0;
		default:
			return cli_bad_option();
		}
	}
	if (optind != argc)
		return cli_usage_err("unexpected argument %s",
				     msg_str(argv[optind]));
	ret = proc_table_read("deadlocks", &lines, &n);
	if (ret)
		return ret;
	ret = deadlocks_show(lines, n, space, json);
	proc_lines_free(lines, n);
	return ret;
}
