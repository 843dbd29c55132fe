// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev list --tree: who blocks whom, as pg_blocking_pids() would give
 * it, transitively. A lock held by processes that wait for nothing (the
 * one that asked, and those that have its session open, as a command run
 * under lockdev run has) but that others wait for is a root, shown with
 * the process that asked; under it, each request that waits for it (its
 * WAITS-FOR names the root's pid, in that lock); under each of those, the
 * requests that wait for a lock that process holds or has asked for, and
 * so on. A process is shown again under every process it waits for. A
 * waiter whose blockers are not in the list (another namespace, a
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
	const struct openers *o;
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

/* Does a process with an open session of line @h (or that asked) wait? */
static bool owner_waits(const struct tree *tr, const struct lockdev_lock_info *h)
{
	const struct opener *o = NULL;
	size_t i, n = 0, k;

	if (h->session)
		o = openers_of(tr->o, h->session, &n);
	for (i = 0; i < tr->ls->n; i++) {
		if (!is_waiting(&tr->ls->v[i]))
			continue;
		if (tr->ls->v[i].pid == h->pid)
			return true;
		for (k = 0; k < n; k++)
			if ((pid_t)tr->ls->v[i].pid == o[k].pid)
				return true;
	}
	return false;
}

/* Is @pid the process that asked for @h, or one that has its session open? */
static bool is_owner(const struct tree *tr, const struct lockdev_lock_info *h,
		     uint32_t pid)
{
	const struct opener *o = NULL;
	size_t n = 0, k;

	if (h->pid == pid)
		return true;
	if (h->session)
		o = openers_of(tr->o, h->session, &n);
	for (k = 0; k < n; k++)
		if ((uint32_t)o[k].pid == pid)
			return true;
	return false;
}

/* Does waiter @c wait for line @h: in its lock, by its pid? */
static bool blocked_by(const struct lockdev_lock_info *c,
		       const struct lockdev_lock_info *h)
{
	return c != h && is_waiting(c) && same_lock(c, h) &&
	       waits_for(c, h->pid);
}

/*
 * Is line @j a child of line @i: a waiter that waits for @i if @i is held;
 * if @i waits, one that waits for any line its process owns (asked for,
 * or holds through a session it has open), which @i's wait holds up.
 */
static bool is_child(const struct tree *tr, size_t i, size_t j)
{
	const struct lockdev_lock_info *p = &tr->ls->v[i], *c = &tr->ls->v[j];
	size_t h;

	if (i == j || !is_waiting(c) || c->pid == p->pid)
		return false;
	if (!is_waiting(p))
		return blocked_by(c, p);
	for (h = 0; h < tr->ls->n; h++)
		if (blocked_by(c, &tr->ls->v[h]) &&
		    is_owner(tr, &tr->ls->v[h], p->pid))
			return true;
	return false;
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
		if (!is_child(tr, i, j) || on_path(tr, depth + 1, ls->v[j].pid)) {
			next = j + 1;
			continue;
		}
		for (next = j + 1; next < ls->n; next++)
			if (is_child(tr, i, next) &&
			    !on_path(tr, depth + 1, ls->v[next].pid))
				break;
		show(tr, j, depth + 1, next == ls->n);
	}
}

/*
 * A held line that someone waits for, whose owners (the process that asked,
 * those that have its session open) wait for nothing; once per process and
 * lock.
 */
static bool is_root(const struct tree *tr, size_t i)
{
	const struct lines *ls = tr->ls;
	const struct lockdev_lock_info *l = &ls->v[i];
	size_t j;

	if (l->state != LOCKDEV_STATE_HELD || owner_waits(tr, l))
		return false;
	for (j = 0; j < i; j++)
		if (ls->v[j].pid == l->pid && same_lock(&ls->v[j], l) &&
		    ls->v[j].state == LOCKDEV_STATE_HELD)
			return false;
	for (j = 0; j < ls->n; j++)
		if (blocked_by(&ls->v[j], l))
			return true;
	return false;
}

int list_tree(const struct lines *ls, const struct openers *o,
	      bool noheadings)
{
	struct tree tr = { .ls = ls, .o = o };
	size_t i;

	table_init(&tr.t, tree_cols, T_NR);
	tr.t.noheadings = noheadings;
	tr.shown = calloc(ls->n + 1, sizeof(*tr.shown));
	if (!tr.shown)
		return cli_no_memory();
	for (i = 0; i < ls->n && !tr.ret; i++)
		if (is_root(&tr, i))
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
