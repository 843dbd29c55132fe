/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tables as lslocks(8) prints them (table.c): columns chosen with -o (a
 * list, or "+LIST" to add to the default ones), aligned, or --raw (one space
 * between fields, which are escaped and so hold none), or --json (an array
 * of objects), with or without the heading line.
 */
#ifndef LOCKDEV_TOOLS_TABLE_H
#define LOCKDEV_TOOLS_TABLE_H

#include <stdbool.h>
#include <stdio.h>

struct col {
	const char *name;
	const char *help;
	bool right;		/* right-aligned: a number */
	bool dflt;		/* shown when -o does not say */
};

#define TABLE_MAX_COLS	24

enum table_format { TABLE_ALIGNED, TABLE_RAW, TABLE_JSON };

struct table {
	const struct col *cols;
	int nr_cols;
	int shown[TABLE_MAX_COLS];
	int nr_shown;
	bool chosen;		/* by -o; else default, or all for JSON */
	enum table_format format;
	bool noheadings;
	/* Per cell: its text and its JSON members; row after row. */
	char **text;
	char **json;
	size_t rows;
	size_t cap;
	/* The JSON of the cell being filled (table_json()). */
	FILE *jf;
	char *jbuf;
	size_t jlen;
};

void table_init(struct table *t, const struct col *cols, int nr_cols);
int table_columns(struct table *t, const char *list);
void table_help(FILE *f, const struct col *cols, int nr_cols);
int table_row(struct table *t);
FILE *table_json(struct table *t);
int table_cell(struct table *t, int col, const char *text);
void table_print(struct table *t);
void table_clear(struct table *t);
void table_free(struct table *t);

#endif /* LOCKDEV_TOOLS_TABLE_H */
