// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev spaces: the lockspaces the caller may see, from
 * /proc/lockdev/spaces: owner, group, permission bits, sessions attached,
 * locks in use, idle locks, whether it is persistent and its order mode
 * default; as a table (-o,
 * --noheadings, --raw) or JSON.
 */
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "table.h"

enum { P_SPACE, P_OWNER, P_GROUP, P_MODE, P_SESSIONS, P_LOCKS, P_IDLE,
	P_STATE, P_ORDER, P_NR };

static const struct col space_cols[P_NR] = {
	[P_SPACE] = { "LOCKSPACE", "name (~UID: a uid's default one)", false, true },
	[P_OWNER] = { "OWNER", "owner (user name, or uid)", false, true },
	[P_GROUP] = { "GROUP", "group (name, or gid)", false, true },
	[P_MODE] = { "MODE", "permission bits", false, true },
	[P_SESSIONS] = { "SESSIONS", "sessions attached", true, true },
	[P_LOCKS] = { "LOCKS", "locks held, awaited or owner-died", true, true },
	[P_IDLE] = { "IDLE", "idle locks kept", true, true },
	[P_STATE] = { "STATE", "persistent, removed or transient", false, false },
	[P_ORDER] = { "ORDER", "order mode sessions start in", false, false },
};

/* Fields of a line of /proc/lockdev/spaces. */
enum { F_SPACE, F_UID, F_GID, F_MODE, F_SESSIONS, F_LOCKS, F_IDLE,
	F_FIELDS, F_STATE = F_FIELDS, F_ORDER };

static int owner_cell(struct table *t, int col, const char *id, bool group)
{
	unsigned long v = strtoul(id, NULL, 10);
	const char *name = NULL;
	struct passwd *pw;
	struct group *gr;
	FILE *f;

	if (group) {
		gr = getgrgid((gid_t)v);
		name = gr ? gr->gr_name : NULL;
	} else {
		pw = getpwuid((uid_t)v);
		name = pw ? pw->pw_name : NULL;
	}
	f = table_json(t);
	fprintf(f, "\"%s\": %lu, \"%s\": ", group ? "gid" : "uid", v,
		group ? "group" : "owner");
	if (name)
		json_str(f, name, strlen(name));
	else
		fputs("null", f);
	return table_cell(t, col, name ? name : id);
}

static int number_cell(struct table *t, int col, const char *key,
		       const char *field)
{
	json_proc_value(table_json(t), key, field, false);
	return table_cell(t, col, field);
}

static int space_row(struct table *t, const struct fields *fs)
{
	const char *state, *order;
	int ret = table_row(t);

	if (ret)
		return ret;
	json_proc_name(table_json(t), "lockspace", fs->f[F_SPACE]);
	ret = table_cell(t, P_SPACE, fs->f[F_SPACE]);
	ret = ret ?: owner_cell(t, P_OWNER, fs->f[F_UID], false);
	ret = ret ?: owner_cell(t, P_GROUP, fs->f[F_GID], true);
	fprintf(table_json(t), "\"mode\": \"%.6s\"", fs->f[F_MODE]);
	ret = ret ?: table_cell(t, P_MODE, fs->f[F_MODE]);
	ret = ret ?: number_cell(t, P_SESSIONS, "sessions", fs->f[F_SESSIONS]);
	ret = ret ?: number_cell(t, P_LOCKS, "locks", fs->f[F_LOCKS]);
	ret = ret ?: number_cell(t, P_IDLE, "idle", fs->f[F_IDLE]);
	/* Format 1 (a module before LOCKDEV_IOC_SPACE) has no state. */
	state = fs->n > F_STATE ? fs->f[F_STATE] : "transient";
	fprintf(table_json(t), "\"state\": \"%.12s\"", state);
	ret = ret ?: table_cell(t, P_STATE, state);
	/* Formats before 3 have no order mode: it was strict. */
	order = fs->n > F_ORDER ? fs->f[F_ORDER] : "strict";
	fprintf(table_json(t), "\"order\": \"%.8s\"", order);
	return ret ?: table_cell(t, P_ORDER, order);
}

static int spaces_show(struct table *t, const char *space)
{
	char **lines = NULL;
	struct fields fs;
	size_t i, n = 0;
	int ret;

	ret = proc_table_read("spaces", &lines, &n);
	for (i = 0; !ret && i < n; i++) {
		if (lines[i][0] == '#')
			continue;
		proc_split(lines[i], &fs);
		if (fs.n < F_FIELDS ||
		    (space && !proc_field_is(fs.f[F_SPACE], space)))
			continue;
		ret = space_row(t, &fs);
	}
	if (!ret)
		table_print(t);
	if (lines)
		proc_lines_free(lines, n);
	return ret;
}

static void spaces_usage(void)
{
	printf("usage: %s spaces [options]\n"
	       "\nThe lockspaces you may see.\n"
	       "\noptions:\n"
	       "  -S, --lockspace NAME  only that lockspace\n"
	       "  -o, --output LIST     the columns to show (+LIST: add)\n"
	       "  -n, --noheadings      no heading line\n"
	       "  -r, --raw             fields separated by one space\n"
	       "  -J, --json            JSON: an array of objects\n"
	       "  -h, --help            show this help\n", cli_prog);
	table_help(stdout, space_cols, P_NR);
}

int cmd_spaces(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lockspace", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *space = NULL;
	struct table t;
	int c, ret = 0;

	table_init(&t, space_cols, P_NR);
	while (!ret && (c = getopt_long(argc, argv, "S:o:nrJh", opts,
					NULL)) != -1) {
		switch (c) {
		case 'S':
			space = optarg;
			break;
		case 'o':
			ret = table_columns(&t, optarg);
			break;
		case 'n':
			t.noheadings = true;
			break;
		case 'r':
			t.format = TABLE_RAW;
			break;
		case 'J':
			t.format = TABLE_JSON;
			break;
		case 'h':
			spaces_usage();
			return 0;
		default:
			return cli_bad_option();
		}
	}
	if (!ret && optind != argc)
		ret = cli_usage_err("unexpected argument %s",
				    msg_str(argv[optind]));
	if (!ret)
		ret = spaces_show(&t, space);
	table_free(&t);
	return ret;
}
