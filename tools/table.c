// SPDX-License-Identifier: GPL-2.0
/*
 * Tables as lslocks(8) prints them: the rows are kept until table_print()
 * so that the columns can be as wide as their widest cell.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "table.h"

void table_init(struct table *t, const struct col *cols, int nr_cols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->nr_cols = nr_cols;
}

static int find_col(const struct table *t, const char *name, size_t len)
{
	int i;

	for (i = 0; i < t->nr_cols; i++)
		if (strlen(t->cols[i].name) == len &&
		    !strncasecmp(t->cols[i].name, name, len))
			return i;
	return -1;
}

static void default_columns(struct table *t)
{
	int i;

	t->nr_shown = 0;
	for (i = 0; i < t->nr_cols; i++)
		if (t->cols[i].dflt)
			t->shown[t->nr_shown++] = i;
}

/* -o @list: column names separated by commas, "+" first to add. */
int table_columns(struct table *t, const char *list)
{
	const char *p = list, *end;
	int col;

	if (*p == '+') {
		default_columns(t);
		p++;
	} else {
		t->nr_shown = 0;
	}
	t->chosen = true;
	while (*p) {
		end = p + strcspn(p, ",");
		col = find_col(t, p, end - p);
		if (col < 0)
			return cli_usage_err("unknown column: %s",
					     msg_name(p, end - p));
		if (t->nr_shown == TABLE_MAX_COLS)
			return cli_usage_err("too many columns: %s",
					     msg_str(list));
		t->shown[t->nr_shown++] = col;
		p = *end ? end + 1 : end;
	}
	if (!t->nr_shown)
		return cli_usage_err("no columns in %s", msg_str(list));
	return 0;
}

void table_help(FILE *f, const struct col *cols, int nr_cols)
{
	int i;

	fputs("\ncolumns (-o; * shown by default):\n", f);
	for (i = 0; i < nr_cols; i++)
		fprintf(f, " %c%-12s %s\n", cols[i].dflt ? '*' : ' ',
			cols[i].name, cols[i].help);
}

/* Start a row; 0, or EXIT_SYSTEM out of memory. */
int table_row(struct table *t)
{
	size_t n = t->nr_cols, cap = t->cap ? 2 * t->cap : 16;
	char **text, **json;

	if (t->rows < t->cap) {
		t->rows++;
		return 0;
	}
	text = realloc(t->text, cap * n * sizeof(*text));
	if (text)
		t->text = text;
	json = text ? realloc(t->json, cap * n * sizeof(*json)) : NULL;
	if (!json)
		return cli_no_memory();
	t->json = json;
	memset(t->text + t->cap * n, 0, (cap - t->cap) * n * sizeof(*text));
	memset(t->json + t->cap * n, 0, (cap - t->cap) * n * sizeof(*json));
	t->cap = cap;
	t->rows++;
	return 0;
}

/* Where to write the JSON members of the next cell. */
FILE *table_json(struct table *t)
{
	t->jf = open_memstream(&t->jbuf, &t->jlen);
	return t->jf ? t->jf : stderr;
}

/* Fill cell @col of the last row: @text, and what table_json() got. */
int table_cell(struct table *t, int col, const char *text)
{
	size_t i = (t->rows - 1) * t->nr_cols + col;

	if (t->jf) {
		fclose(t->jf);
		t->jf = NULL;
		t->json[i] = t->jbuf;
		t->jbuf = NULL;
	}
	t->text[i] = strdup(text);
	if (!t->text[i])
		return cli_no_memory();
	return 0;
}

static void print_json(const struct table *t)
{
	size_t r;
	int c;

	fputs("[", stdout);
	for (r = 0; r < t->rows; r++) {
		fputs(r ? ",\n  {" : "\n  {", stdout);
		for (c = 0; c < t->nr_shown; c++)
			printf("%s%s", c ? ", " : "",
			       t->json[r * t->nr_cols + t->shown[c]] ?: "");
		fputs("}", stdout);
	}
	fputs(t->rows ? "\n]\n" : "]\n", stdout);
}

static void print_line(const struct table *t, const char *const *cells,
		       const int *width)
{
	const struct col *col;
	int c, last = t->nr_shown - 1;

	for (c = 0; c <= last; c++) {
		col = &t->cols[t->shown[c]];
		if (t->format == TABLE_RAW)
			printf("%s%s", c ? " " : "", cells[t->shown[c]]);
		else if (col->right)
			printf("%s%*s", c ? " " : "", width[c],
			       cells[t->shown[c]]);
		else
			printf("%s%-*s", c ? " " : "", c == last ? 0 : width[c],
			       cells[t->shown[c]]);
	}
	putchar('\n');
}

void table_print(struct table *t)
{
	const char *heads[TABLE_MAX_COLS];
	int width[TABLE_MAX_COLS], c, w;
	size_t r;

	if (!t->chosen) {
		default_columns(t);
		if (t->format == TABLE_JSON)
			for (c = t->nr_shown = 0; c < t->nr_cols; c++)
				t->shown[t->nr_shown++] = c;
	}
	if (t->format == TABLE_JSON) {
		print_json(t);
		return;
	}
	for (c = 0; c < t->nr_cols; c++)
		heads[c] = t->cols[c].name;
	for (c = 0; c < t->nr_shown; c++) {
		width[c] = t->noheadings ? 0 :
			   (int)strlen(t->cols[t->shown[c]].name);
		for (r = 0; r < t->rows; r++) {
			w = strlen(t->text[r * t->nr_cols + t->shown[c]]);
			if (w > width[c])
				width[c] = w;
		}
	}
	if (!t->noheadings)
		print_line(t, heads, width);
	for (r = 0; r < t->rows; r++)
		print_line(t, (const char *const *)t->text + r * t->nr_cols,
			   width);
}

/* Free the rows, to fill the table again. */
void table_clear(struct table *t)
{
	size_t i;

	for (i = 0; i < t->rows * t->nr_cols; i++) {
		free(t->text[i]);
		free(t->json[i]);
		t->text[i] = NULL;
		t->json[i] = NULL;
	}
	t->rows = 0;
}

void table_free(struct table *t)
{
	table_clear(t);
	free(t->text);
	free(t->json);
	t->text = NULL;
	t->json = NULL;
	t->cap = 0;
}
