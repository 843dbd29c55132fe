// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/lockdev tables: a first line "# lockdev FILE N", then for most a
 * line "# " and the column names, then lines of fields separated by single
 * spaces, names escaped (\ooo). Columns are only ever added at the end, so
 * a newer N is read as far as the known columns go.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void proc_split(char *line, struct fields *fs)
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

/* Open /proc/lockdev/@file and check its first line; 0 or an exit code. */
static int proc_table_open(const char *file, FILE **fp)
{
	char path[64], want[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), PROC_DIR "/%s", file);
	f = fopen(path, "r");
	if (!f)
		return cli_proc_failure(path, errno);
	snprintf(want, sizeof(want), "# lockdev %s ", file);
	if (getline(&line, &cap, f) < 0 || strncmp(line, want, strlen(want))) {
		cli_err("%s: not in a format this program knows", path);
		free(line);
		fclose(f);
		return EX_DATAERR;
	}
	free(line);
	*fp = f;
	return 0;
}

void proc_lines_free(char **lines, size_t n)
{
	while (n)
		free(lines[--n]);
	free(lines);
}

/* The lines after the first of /proc/lockdev/@file, read at once. */
int proc_table_read(const char *file, char ***linesp, size_t *np)
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
			ret = EXIT_SYSTEM;
			break;
		}
		lines = more;
		lines[n] = strdup(line);
		if (!lines[n]) {
			ret = EXIT_SYSTEM;
			break;
		}
		n++;
	}
	free(line);
	fclose(f);
	if (ret) {
		proc_lines_free(lines, n);
		return cli_no_memory();
	}
	*linesp = lines;
	*np = n;
	return 0;
}

/* Columns of the /proc/lockdev tables that hold names. */
static bool is_name_column(const char *col)
{
	static const char *const names[] = {
		"lockspace", "name", "comm", "class", "held_name", "wait_name",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(col, names[i]))
			return true;
	return false;
}

static void row_json(const struct fields *cols, const struct fields *fs,
		     bool first)
{
	int i;

	fputs(first ? "\n  {" : ",\n  {", stdout);
	for (i = 0; i < cols->n && i < fs->n; i++) {
		if (i)
			fputs(", ", stdout);
		json_proc_value(stdout, cols->f[i], fs->f[i],
				is_name_column(cols->f[i]));
	}
	fputs("}", stdout);
}

/*
 * /proc/lockdev/@file, whose second line names the columns, as a JSON
 * array of objects, one per line that @keep (if given) keeps.
 */
int proc_table_json(const char *file,
		    bool (*keep)(const struct fields *fs, void *arg), void *arg)
{
	struct fields cols, fs;
	char **lines;
	size_t i, n;
	bool first = true;
	int ret;

	ret = proc_table_read(file, &lines, &n);
	if (ret)
		return ret;
	if (!n || strncmp(lines[0], "# ", 2)) {
		proc_lines_free(lines, n);
		cli_err("%s/%s: no column names", PROC_DIR, file);
		return EX_DATAERR;
	}
	proc_split(lines[0] + 2, &cols);
	fputs("[", stdout);
	for (i = 1; i < n; i++) {
		proc_split(lines[i], &fs);
		if (keep && !keep(&fs, arg))
			continue;
		row_json(&cols, &fs, first);
		first = false;
	}
	fputs(first ? "]\n" : "\n]\n", stdout);
	proc_lines_free(lines, n);
	return 0;
}
