// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev list --tree: who blocks whom, as pg_blocking_pids() would give
 * it, transitively. A process that waits for nobody but that others wait
 * for is a root, shown with the lock it holds; under it, each request that
 * waits for it (its WAITS-FOR names the root's pid, in that lock); under
 * each of those, the requests that wait for that process in turn, in any
 * lock, and so on. A process is shown again under every process it waits
 * for. A waiter whose blockers are not in the list (another namespace, a
 * lockspace not shown) is a root of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "list.h"
#include "table.h"

enum { T_PID, T_COMM, T_STATE, T_MODE, T_SPACE, T_NAME, T_AGE, T_NR };

static const struct col tree_cols[T_NR] = {
	[T_PID] = { "PID", "", false, true },
	[T_COMM] = { "COMM", "", false, true },
	[T_STATE] = { "STATE", "", false, true },
	[T_MODE] = { "MODE", "", false, true },
	[T_SPACE] = { "LOCKSPACE", "", false, true },
	[T_NAME] = { "NAME", "", false, true },
	[T_AGE] = { "AGE", "", true, true },
};

/* Deepest chain shown; deeper waiters are cut, with "...". */
#define TREE_DEPTH	32

struct tree {
	const struct lines *ls;
	struct table t;
	bool *shown;		/* per line: has a row */
	uint32_t path[TREE_DEPTH];	/* pids from the root down */
	char prefix[2 * TREE_DEPTH + 1];
	int ret;
};

static bool is_waiting(const struct lockdev_lock_info *l)
{
	return l->state == LOCKDEV_STATE_WAITING ||
	       l->state == LOCKDEV_STATE_CONVERTING;
}

static bool same_lock(const struct lockdev_lock_info *a,
		      const struct lockdev_lock_info *b)
{
	return !strcmp(a->lockspace, b->lockspace) &&
	       a->name_len == b->name_len &&
	       !memcmp(a->name, b->name, a->name_len);
}

static bool waits_for(const struct lockdev_lock_info *w, uint32_t pid)
{
	uint32_t i;

	for (i = 0; i < w->nr_waits_for; i++)
		if (w->waits_for[i] == pid)
			return true;
	return false;
}

/* Does @pid wait in @space? */
static bool pid_waits(const struct lines *ls, uint32_t pid, const char *space)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i].pid == pid && is_waiting(&ls->v[i]) &&
		    !strcmp(ls->v[i].lockspace, space))
			return true;
	return false;
}

/*
 * Is line @j a child of line @i: a waiter that waits for @i's process, in
 * @i's lock if @i is held?
 */
static bool is_child(const struct lines *ls, size_t i, size_t j)
{
	const struct lockdev_lock_info *p = &ls->v[i], *c = &ls->v[j];

	if (i == j || !is_waiting(c) || c->pid == p->pid ||
	    !waits_for(c, p->pid) || strcmp(c->lockspace, p->lockspace))
		return false;
	return is_waiting(p) || same_lock(p, c);
}

static void add_row(struct tree *tr, size_t i, int depth, bool last)
{
	const struct lockdev_lock_info *l = &tr->ls->v[i];
	char buf[4 * LOCKDEV_NAME_MAX + 2 * TREE_DEPTH + 32];
	struct table *t = &tr->t;
	int n = 0;

	tr->ret = tr->ret ?: table_row(t);
	if (tr->ret)
		return;
	if (depth)
		n = snprintf(buf, sizeof(buf), "%.*s%s", 2 * (depth - 1),
			     tr->prefix, last ? "`-" : "|-");
	snprintf(buf + n, sizeof(buf) - n, "%u", l->pid);
	tr->ret = table_cell(t, T_PID, buf);
	proc_escape(buf, l->comm, strnlen(l->comm, sizeof(l->comm)));
	tr->ret = tr->ret ?: table_cell(t, T_COMM, buf);
	tr->ret = tr->ret ?: table_cell(t, T_STATE, state_str(l));
	tr->ret = tr->ret ?: table_cell(t, T_MODE, mode_str(l->mode));
	tr->ret = tr->ret ?: table_cell(t, T_SPACE, l->lockspace);
	proc_escape(buf, l->name, l->name_len);
	tr->ret = tr->ret ?: table_cell(t, T_NAME, buf);
	fmt_age(l->age_ns / 1000000, buf, sizeof(buf));
	tr->ret = tr->ret ?: table_cell(t, T_AGE, buf);
	tr->shown[i] = true;
}

static bool on_path(const struct tree *tr, int depth, uint32_t pid)
{
	int d;

	for (d = 0; d < depth; d++)
		if (tr->path[d] == pid)
			return true;
	return false;
}

/* Line @i at @depth, then its children under it. */
static void show(struct tree *tr, size_t i, int depth, bool last)
{
	const struct lines *ls = tr->ls;
	size_t j, next;

	add_row(tr, i, depth, last);
	if (depth == TREE_DEPTH - 1)
		return;
	tr->path[depth] = ls->v[i].pid;
	if (depth)
		memcpy(tr->prefix + 2 * (depth - 1), last ? "  " : "| ", 2);
	for (j = 0; j < ls->n; j = next) {
		if (!is_child(ls, i, j) || on_path(tr, depth + 1, ls->v[j].pid)) {
			next = j + 1;
			continue;
		}
		for (next = j + 1; next < ls->n; next++)
			if (is_child(ls, i, next) &&
			    !on_path(tr, depth + 1, ls->v[next].pid))
				break;
		show(tr, j, depth + 1, next == ls->n);
	}
}

/* A held line whose process waits for nothing and that someone waits for. */
static bool is_root(const struct lines *ls, size_t i)
{
	const struct lockdev_lock_info *l = &ls->v[i];
	size_t j;

	if (l->state != LOCKDEV_STATE_HELD ||
	    pid_waits(ls, l->pid, l->lockspace))
		return false;
	/* Once per process and lock. */
	for (j = 0; j < i; j++)
		if (ls->v[j].pid == l->pid && same_lock(&ls->v[j], l) &&
		    ls->v[j].state == LOCKDEV_STATE_HELD)
			return false;
	for (j = 0; j < ls->n; j++)
		if (is_child(ls, i, j))
			return true;
	return false;
}

int list_tree(const struct lines *ls, bool noheadings)
{
	struct tree tr = { .ls = ls };
	size_t i;

	table_init(&tr.t, tree_cols, T_NR);
	tr.t.noheadings = noheadings;
	tr.shown = calloc(ls->n + 1, sizeof(*tr.shown));
	if (!tr.shown)
		return cli_no_memory();
	for (i = 0; i < ls->n && !tr.ret; i++)
		if (is_root(ls, i))
			show(&tr, i, 0, true);
	for (i = 0; i < ls->n && !tr.ret; i++)
		if (is_waiting(&ls->v[i]) && !tr.shown[i])
			show(&tr, i, 0, true);
	if (!tr.ret)
		table_print(&tr.t);
	table_free(&tr.t);
	free(tr.shown);
	return tr.ret;
}
