// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev space load FILE: create, or update, the lockspaces a
 * configuration file lists (/etc/lockdev/spaces.conf at boot, by
 * lockdev-spaces.service), one per line:
 *
 *   NAME [mode=OCTAL] [owner=USER] [group=GROUP] [order=strict|warn|off]
 *        [persistent] [level=PREFIX=LEVEL]...
 *
 * with # starting a comment, NAME and PREFIX in the escapes /proc/lockdev
 * shows (\ooo). Every line is read whole before anything of it is done: a
 * bad line is reported as FILE:LINE and skipped, the others are applied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Bytes of a message about one line. */
#define LOAD_ERR_MAX	512

/* One word key=value of a line into @a; -1 with a message if bad. */
static int load_word(char *word, struct space_args *a, char *err)
{
	char *val = strchr(word, '=');
	unsigned long v;
	unsigned int id;

	if (!strcmp(word, "persistent"))
		return 0;
	if (!val) {
		snprintf(err, LOAD_ERR_MAX, "unknown word %s", msg_str(word));
		return -1;
	}
	*val++ = 0;
	if (!strcmp(word, "mode")) {
		if (!parse_uint(val, 0777, 8, &v)) {
			a->mode = v;
			return 0;
		}
		snprintf(err, LOAD_ERR_MAX,
			 "mode: %s is not octal from 0 to 0777", msg_str(val));
	} else if (!strcmp(word, "owner") || !strcmp(word, "group")) {
		if (space_parse_id(word, val, word[0] == 'g', &id, err,
				   LOAD_ERR_MAX))
			return -1;
		if (word[0] == 'g')
			a->gid = id;
		else
			a->uid = id;
		return 0;
	} else if (!strcmp(word, "order")) {
		if (!space_parse_order(val, &a->order))
			return 0;
		snprintf(err, LOAD_ERR_MAX,
			 "order: %s is not strict, warn or off", msg_str(val));
	} else if (!strcmp(word, "level")) {
		if (space_parse_level(val, a, err, LOAD_ERR_MAX))
			return -1;
		if (a->levels[a->nr_levels - 1].level)
			return 0;
		snprintf(err, LOAD_ERR_MAX, "level: %s: the level must be above 0",
			 msg_str(val));
	} else {
		snprintf(err, LOAD_ERR_MAX, "unknown word %s", msg_str(word));
	}
	return -1;
}

/*
 * Line @line, cut at its comment, into @name and @a: 0, 1 for a line with
 * nothing on it, -1 with a message if it is bad.
 */
static int load_line(char *line, char *name, struct space_args *a, char *err)
{
	const char *sep = " \t\r\n";
	char *word, *save = NULL;
	size_t n;

	space_args_init(a);
	word = strtok_r(line, sep, &save);
	if (!word || word[0] == '#')
		return 1;
	n = proc_unescape(word, name, LOCKDEV_NAME_MAX);
	if (n == 0 || n == (size_t)-1 || strlen(name) != n) {
		snprintf(err, LOAD_ERR_MAX,
			 "%s is not a lockspace name of 1 to %d bytes (no \\000)",
			 msg_str(word), LOCKDEV_NAME_MAX);
		return -1;
	}
	while ((word = strtok_r(NULL, sep, &save)) && word[0] != '#')
		if (load_word(word, a, err))
			return -1;
	return 0;
}

/**
 * cmd_space_load() - lockdev space load FILE
 * @file: the configuration file, "-" for standard input
 *
 * Return: 0 if every line was applied, else the exit code of the last
 * line that failed (EXIT_REFUSED for a bad one).
 */
int cmd_space_load(const char *file)
{
	char where[4200], name[LOCKDEV_NAME_MAX + 1], err[LOAD_ERR_MAX];
	FILE *f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	static struct space_args a;
	unsigned long nr = 0;
	size_t cap = 0;
	char *line = NULL;
	int ret = 0, r;

	if (!f) {
		cli_err("%s: %s", msg_str(file), strerror(errno));
		return EX_NOINPUT;
	}
	while (getline(&line, &cap, f) != -1) {
		snprintf(where, sizeof(where), "%s:%lu: ", msg_str(file), ++nr);
		r = load_line(line, name, &a, err);
		if (r < 0) {
			cli_err("%s%s", where, err);
			ret = EXIT_REFUSED;
		} else if (!r) {
			r = space_apply(where, "load", name, &a);
			ret = r ?: ret;
		}
	}
	if (ferror(f)) {
		cli_err("%s: %s", msg_str(file), strerror(errno));
		ret = EXIT_SYSTEM;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}
