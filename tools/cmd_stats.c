// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev stats: the module's counters (/proc/lockdev/stats), or per class
 * (/proc/lockdev/lock_stat), as the module writes them or as JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cat_file(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return cli_proc_failure(path, errno);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

/* "name value" lines as one JSON object. */
static int stats_json(const char *path)
{
	char *line = NULL, *sp;
	bool first = true;
	size_t cap = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return cli_proc_failure(path, errno);
	fputs("{", stdout);
	while (getline(&line, &cap, f) >= 0) {
		line[strcspn(line, "\n")] = 0;
		sp = strchr(line, ' ');
		if (!sp || sp == line)
			continue;
		*sp++ = 0;
		printf("%s\n  ", first ? "" : ",");
		json_proc_value(stdout, line, sp, false);
		first = false;
	}
	fputs(first ? "}\n" : "\n}\n", stdout);
	free(line);
	fclose(f);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "classes", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool classes = false, json = false;
	int c;

	while ((c = getopt_long(argc, argv, "CJh", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			classes = true;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			printf("usage: %s stats [--classes] [--json]\n", cli_prog);
			return 0;
		default:
			return cli_bad_option();
		}
	}
	if (optind != argc)
		return cli_usage_err("unexpected argument %s",
				     msg_str(argv[optind]));
	if (classes && json)
		return proc_table_json("lock_stat", NULL, NULL);
	if (json)
		return stats_json(PROC_DIR "/stats");
	return cat_file(classes ? PROC_DIR "/lock_stat" : PROC_DIR "/stats");
}
