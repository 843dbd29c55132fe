// SPDX-License-Identifier: GPL-2.0
/*
 * Walks of the locks table, and /proc/lockdev/locks: one line per holder and
 * per waiter, in the format the uapi header specifies. A walk lives across
 * reads; the lock last shown is pinned so that a record seq_file asks for
 * again can be shown again. Whom the waiters of a lock wait for is found in
 * one pass over the lock (struct ld_waits), so a lock's record costs time
 * linear in its holders, waiters and the pids it lists, and a record shown
 * again into a buffer twice the size costs at most as much again.
 */
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rhashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "grant.h"
#include "proc.h"
#include "proc_locks.h"
#include "session.h"
#include "space.h"
#include "table.h"

/* The names of the modes in /proc/lockdev/ files. */
const char *const ld_mode_names[5] = {
	[LOCKDEV_MODE_SHARED] = "shared",
	[LOCKDEV_MODE_APPEND] = "append",
	[LOCKDEV_MODE_EXCLUSIVE] = "exclusive",
	[LOCKDEV_MODE_NONE] = "none",
};

static const char *const ld_state_names[] = {
	[LD_HELD] = "held",
	[LD_WAITING] = "waiting",
	[LD_CONVERTING] = "converting",
};

static void ld_locks_walk_begin(struct ld_locks_iter *it)
{
	it->space = NULL;
	memset(&it->pos_in, 0, sizeof(it->pos_in));
	it->cur = NULL;
	it->pos = 0;
}

static void ld_locks_walk_end(struct ld_locks_iter *it)
{
	if (it->cur)
		ld_lock_put(it->cur);
	if (it->space) {
		ld_walk_end(it->space, &it->pos_in);
		ld_space_put(it->space);
	}
	ld_locks_walk_begin(it);
}

/**
 * ld_locks_iter_init() - start a walk of the locks of every lockspace
 * @it: the walk
 * @file: the /proc file whose opener walks, or NULL for the calling task
 * @all: every lockspace, not only those the walker may see
 * @idle: idle locks too
 *
 * The walk is charged to the opener (ld_viewer_init_walk()).
 *
 * Context: in the task that opens the file, or asks for the walk.
 * Return: 0, or -EDQUOT or -ENOMEM with nothing to end.
 */
int ld_locks_iter_init(struct ld_locks_iter *it, const struct file *file,
		       bool all, bool idle)
{
	int ret;

	ret = ld_viewer_init_walk(&it->viewer, file);
	if (ret)
		return ret;
	it->all = all;
	it->idle = idle;
	memset(&it->waits, 0, sizeof(it->waits));
	ld_locks_walk_begin(it);
	return 0;
}

/**
 * ld_locks_iter_exit() - end a walk of the locks
 * @it: the walk
 */
void ld_locks_iter_exit(struct ld_locks_iter *it)
{
	ld_locks_walk_end(it);
	ld_waits_free(&it->waits);
	ld_viewer_exit(&it->viewer);
}

/* Move to the next lockspace the walk may see, or to none at the end. */
static void ld_locks_next_space(struct ld_locks_iter *it)
{
	struct ld_space *space;

	if (it->space)
		ld_walk_end(it->space, &it->pos_in);
	do {
		space = ld_space_next(it->space);
		if (it->space)
			ld_space_put(it->space);
		it->space = space;
	} while (space && !it->all && !ld_space_visible(space, &it->viewer));
}

/**
 * ld_locks_iter_sees() - may the walk show a lock now?
 * @it: the walk
 * @lk: the lock it is at, which it may have reached before a read or a dump
 *	call that shows it again, when its lockspace was still visible
 *
 * Return: true if the walk is of all, or its viewer may see @lk's lockspace.
 */
bool ld_locks_iter_sees(const struct ld_locks_iter *it,
			const struct ld_lock *lk)
{
	return it->all || ld_space_visible(lk->space, &it->viewer);
}

/**
 * ld_locks_iter_next() - move to the next lock
 * @it: the walk
 *
 * Lockspace by lockspace (ld_space_next()), lock by lock (ld_walk_next()):
 * a lock is met at most once whatever the table does meanwhile. A lockspace
 * the walk's viewer may not see (ld_space_visible()) is skipped unless the
 * walk is of all, also from the lock at which it stopped being visible.
 *
 * Context: may sleep.
 * Return: the lock, referenced until the next call or the end of the walk,
 * or NULL at the end.
 */
struct ld_lock *ld_locks_iter_next(struct ld_locks_iter *it)
{
	struct ld_lock *lk = NULL;

	if (!it->pos)
		ld_locks_next_space(it);
	while (it->space) {
		/*
		 * Visible when the walk came to it, and still: a lockspace
		 * whose mode or owner changed since shows no more locks.
		 */
		lk = NULL;
		if (it->all || ld_space_visible(it->space, &it->viewer))
			lk = ld_walk_next(it->space, &it->pos_in, it->idle);
		if (it->cur)
			ld_lock_put(it->cur);
		it->cur = lk;
		if (lk)
			break;
		ld_locks_next_space(it);
		cond_resched();
	}
	it->pos++;
	return lk;
}

/* Start the walk again, keeping the room of its waits. */
static void ld_locks_rewind(struct ld_locks_iter *it)
{
	ld_locks_walk_end(it);
}

/**
 * ld_waits_free() - free the room of a struct ld_waits
 * @wt: it
 */
void ld_waits_free(struct ld_waits *wt)
{
	kvfree(wt->req);
	memset(wt, 0, sizeof(*wt));
}

/**
 * ld_waits_room() - make room in a struct ld_waits
 * @wt: it; what it held is gone
 * @n: for this many holders and waiters
 *
 * Context: may sleep.
 * Return: 0 or -ENOMEM.
 */
int ld_waits_room(struct ld_waits *wt, u32 n)
{
	size_t each = sizeof(*wt->req) + ARRAY_SIZE(wt->idx) * sizeof(u32);
	u32 cap = n + n / 4 + 16, m;
	void *p;

	ld_waits_free(wt);
	p = kvmalloc_array(cap, each, GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	wt->req = p;
	for (m = 0; m < ARRAY_SIZE(wt->idx); m++)
		wt->idx[m] = (u32 *)(wt->req + cap) + m * cap;
	wt->cap = cap;
	return 0;
}

/* Add @r, a holder in @mode or a waiter for it, to @wt. */
static void ld_waits_add(struct ld_waits *wt, struct ld_req *r, u32 mode)
{
	u32 m;

	for (m = LOCKDEV_MODE_SHARED; m <= LOCKDEV_MODE_EXCLUSIVE; m++)
		if (!ld_compatible(m, LD_MODE_BIT(mode)))
			wt->idx[m - 1][wt->nr_idx[m - 1]++] = wt->nr;
	wt->req[wt->nr++] = r;
}

/**
 * ld_waits_fill() - find whom the waiters of a lock wait for
 * @wt: where, its room kept from earlier calls
 * @lk: the lock
 *
 * One pass over @lk's holders and waiters, linear in their number.
 *
 * Context: @lk->lock held.
 * Return: 0, or the room @wt lacks: how many holders and waiters @lk has,
 * to pass to ld_waits_room() with @lk->lock dropped before trying again.
 */
u32 ld_waits_fill(struct ld_waits *wt, struct ld_lock *lk)
{
	struct ld_wait *w;
	struct ld_req *r;
	u32 m, n;

	lockdep_assert_held(&lk->lock);
	wt->nr = 0;
	for (m = 0; m < ARRAY_SIZE(wt->nr_idx); m++)
		wt->nr_idx[m] = 0;
	n = ld_nr_holders(lk);
	if (n > wt->cap)
		goto no_room;
	list_for_each_entry(r, &lk->holders, hnode)
		if (!r->releasing)
			ld_waits_add(wt, r, r->mode);
	wt->nr_holders = wt->nr;
	list_for_each_entry(w, &lk->waiters, wnode) {
		if (wt->nr == wt->cap)
			goto no_room;
		ld_waits_add(wt, w->req, ld_req_want(w->req));
	}
	return 0;

no_room:
	list_for_each_entry(w, &lk->waiters, wnode)
		n++;
	return n;
}

/**
 * ld_waits_visit() - visit whom a waiter waits for
 * @wt: the waits of its lock, from ld_waits_fill()
 * @i: the waiter's index in @wt->req, at least @wt->nr_holders
 * @max: visit at most this many
 * @visit: called as ld_visit_blockers() would, in the same order
 *
 * The cost is linear in the number visited.
 *
 * Return: true if there were more than @max, or the visit ended early.
 */
bool ld_waits_visit(const struct ld_waits *wt, u32 i, u32 max,
		    const struct ld_visit *visit)
{
	struct ld_req *r = wt->req[i], *b;
	u32 m = ld_req_want(r) - 1, k, j, n = 0;
	const struct ld_req *self = r->state == LD_CONVERTING ? r : NULL;

	for (k = 0; k < wt->nr_idx[m] && wt->idx[m][k] < i; k++) {
		j = wt->idx[m][k];
		b = wt->req[j];
		if (b == self)
			continue;
		if (n++ == max ||
		    visit->fn(b, j >= wt->nr_holders, visit->arg))
			return true;
	}
	return false;
}

static void *ld_locks_start(struct seq_file *m, loff_t *pos)
{
	struct ld_locks_iter *it = m->private;

	if (*pos == 0) {
		ld_locks_rewind(it);
		return SEQ_START_TOKEN;
	}
	if (*pos == it->pos && it->cur)
		return it->cur;
	if (*pos <= it->pos)
		ld_locks_rewind(it);
	while (it->pos < *pos)
		if (!ld_locks_iter_next(it))
			return NULL;
	return it->cur;
}

static void *ld_locks_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct ld_locks_iter *it = m->private;

	++*pos;
	return ld_locks_iter_next(it);
}

static void ld_locks_stop(struct seq_file *m, void *v)
{
}

struct ld_pids {
	struct seq_file *m;
	struct pid_namespace *ns;
	bool first;
};

static bool ld_show_pid(struct ld_req *r, bool queued, void *arg)
{
	struct ld_pids *p = arg;

	seq_printf(p->m, "%s%d", p->first ? "" : ",", ld_req_pid(r, p->ns));
	p->first = false;
	return false;
}

/* One line: entry @i of @wt, a holder (its held mode) or a waiter. */
static void ld_show_req(struct seq_file *m, struct ld_lock *lk,
			const struct ld_waits *wt, u32 i,
			struct pid_namespace *ns,
			const struct ld_now *now)
{
	struct ld_pids pids = { .m = m, .ns = ns, .first = true };
	struct ld_visit visit = { .fn = ld_show_pid, .arg = &pids };
	struct ld_req *r = wt->req[i];
	bool holder = i < wt->nr_holders;
	u32 mode = holder ? r->mode : ld_req_want(r);
	char comm[TASK_COMM_LEN];

	ld_space_show_name(m, lk->space);
	seq_putc(m, ' ');
	ld_escape(m, lk->name, lk->name_len);
	seq_printf(m, " %u %s %s %d ", r->level, ld_mode_names[mode],
		   ld_state_names[holder ? LD_HELD : r->state],
		   ld_req_pid(r, ns));
	ld_req_comm(r, comm);
	ld_escape(m, comm, strnlen(comm, sizeof(comm)));
	seq_printf(m, " %llu %d %llu ", ld_req_age(r, !holder, now) / NSEC_PER_MSEC,
		   lk->owner_died, lk->generation);
	/* Bounded, so that a lock's lines grow linearly with its waiters. */
	if (!holder &&
	    ld_waits_visit(wt, i, LOCKDEV_PROC_WAITS_FOR_MAX, &visit))
		seq_puts(m, ",...");
	if (pids.first)
		seq_putc(m, '-');
	seq_printf(m, " %llu\n", r->sess->id);
}

/* The line of an idle lock marked owner-died. */
static void ld_show_idle(struct seq_file *m, struct ld_lock *lk)
{
	u64 idle = ld_coarse_ns() - ld_lock_idle_since(lk);

	ld_space_show_name(m, lk->space);
	seq_putc(m, ' ');
	ld_escape(m, lk->name, lk->name_len);
	seq_printf(m, " 0 - owner-died 0 - %llu 1 %llu - 0\n",
		   (s64)idle > 0 ? idle / NSEC_PER_MSEC : 0, lk->generation);
}

static int ld_locks_show(struct seq_file *m, void *v)
{
	struct ld_locks_iter *it = m->private;
	struct pid_namespace *ns = it->viewer.pid_ns;
	struct ld_lock *lk = v;
	struct ld_now now;
	u32 i, n;
	int ret;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# lockdev locks %d\n", LOCKDEV_PROC_LOCKS_VERSION);
		seq_puts(m, "# lockspace name level mode state pid comm age_ms owner_died generation waits_for session\n");
		return 0;
	}
	if (!ld_locks_iter_sees(it, lk))
		return 0;
	for (;;) {
		spin_lock(&lk->lock);
		n = ld_waits_fill(&it->waits, lk);
		if (!n)
			break;
		spin_unlock(&lk->lock);
		ret = ld_waits_room(&it->waits, n);
		if (ret)
			return ret;
	}
	/* After the fill, under the lock: no age it shows began later. */
	ld_now_read(&now);
	/* A lock's lines overflowing the buffer come again in a bigger one. */
	for (i = 0; i < it->waits.nr && !seq_has_overflowed(m); i++)
		ld_show_req(m, lk, &it->waits, i, ns, &now);
	if (!it->waits.nr && lk->owner_died)
		ld_show_idle(m, lk);
	spin_unlock(&lk->lock);
	return 0;
}

static const struct seq_operations ld_locks_seq_ops = {
	.start	= ld_locks_start,
	.next	= ld_locks_next,
	.stop	= ld_locks_stop,
	.show	= ld_locks_show,
};

static int ld_locks_open(struct inode *inode, struct file *file)
{
	struct ld_locks_iter *it;
	int ret;

	it = __seq_open_private(file, &ld_locks_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	ret = ld_locks_iter_init(it, file, false, false);
	if (ret)
		seq_release_private(inode, file);
	return ret;
}

static int ld_locks_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	ld_locks_iter_exit(m->private);
	return seq_release_private(inode, file);
}

const struct proc_ops ld_locks_proc_ops = {
	.proc_open	= ld_locks_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= ld_locks_release,
};
