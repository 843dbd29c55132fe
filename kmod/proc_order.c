// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/lockdev/order (learned edges and inversions) and
 * /proc/lockdev/lock_stat (per-class statistics), in the formats the uapi
 * header specifies. A reader sees the lockspaces it could see in
 * /proc/lockdev/locks. Each read of a chunk holds ld_class_mutex from
 * start to stop, which keeps the lists and every object on them alive.
 */
#include <linux/ktime.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include <uapi/linux/lockdev.h>

#include "class.h"
#include "params.h"
#include "proc.h"
#include "space.h"

/*
 * struct ld_order_iter - a reader's place in /proc/lockdev/order or
 * /proc/lockdev/lock_stat
 * @viewer: who reads: the file's opener.
 * @inv: the record last returned, or @mark, is in ld_inversion_list, not
 *	ld_edge_list (order).
 * @marked: @mark is in a list. ld_class_mutex.
 * @mark: between two chunks of a read, just before the record the next
 *	chunk starts with. ld_class_mutex.
 * @pos: the position of the record last returned: of the one after @mark.
 *
 * Only the reader's seq_file uses it, under the seq_file's mutex. A chunk
 * of a read ends with @mark placed before the record it did not show, and
 * the next chunk starts there, so that reading a file of n records walks
 * O(n) list entries, not O(n) per chunk, whatever is freed meanwhile.
 */
struct ld_order_iter {
	struct ld_viewer viewer;
	bool inv;
	bool marked;
	struct ld_gnode mark;
	loff_t pos;
};

/* Take @it's mark out of its list. */
static void ld_order_unmark(struct ld_order_iter *it)
{
	lockdep_assert_held(&ld_class_mutex);
	if (it->marked)
		list_del(&it->mark.node);
	it->marked = false;
}

/*
 * A chunk ends at record @v (or at the end, @v NULL): mark the place for
 * the next one.
 */
static void ld_order_mark(struct ld_order_iter *it, void *v)
{
	struct ld_gnode *g = v;

	lockdep_assert_held(&ld_class_mutex);
	if (!g || v == SEQ_START_TOKEN)
		return;
	list_add_tail(&it->mark.node, &g->node);
	it->marked = true;
}

/*
 * A chunk starts at @pos: where the last one stopped, if that is @pos. The
 * mark is taken out either way, and @pos becomes the reader's. Return true
 * with @v set to the record after the mark (NULL at the end of @head), or
 * false if the chunk must find its place from the head.
 */
static bool ld_order_resume(struct ld_order_iter *it, struct list_head *head,
			    loff_t pos, struct ld_gnode **v)
{
	bool ok = it->marked && it->pos == pos;

	lockdep_assert_held(&ld_class_mutex);
	if (ok)
		*v = ld_gnode_after(head, &it->mark.node);
	ld_order_unmark(it);
	it->pos = pos;
	return ok;
}

/* The record at position @n of @head (0 is the first), or NULL. */
static struct ld_gnode *ld_gnode_nth(struct list_head *head, loff_t *n)
{
	struct ld_gnode *g;

	for (g = ld_gnode_after(head, head); g;
	     g = ld_gnode_after(head, &g->node))
		if ((*n)-- == 0)
			return g;
	return NULL;
}

static struct list_head *ld_order_list(const struct ld_order_iter *it)
{
	return it->inv ? &ld_inversion_list : &ld_edge_list;
}

/* The first inversion if @g is NULL at the end of the edges, else @g. */
static struct ld_gnode *ld_order_cross(struct ld_order_iter *it,
				       struct ld_gnode *g)
{
	if (g || it->inv)
		return g;
	it->inv = true;
	return ld_gnode_after(&ld_inversion_list, &ld_inversion_list);
}

static void *ld_order_start(struct seq_file *m, loff_t *pos)
{
	struct ld_order_iter *it = m->private;
	loff_t n = *pos - 1;
	struct ld_gnode *g;

	mutex_lock(&ld_class_mutex);
	if (!*pos) {
		ld_order_unmark(it);
		return SEQ_START_TOKEN;
	}
	if (ld_order_resume(it, ld_order_list(it), *pos, &g))
		return ld_order_cross(it, g);
	it->inv = false;
	g = ld_gnode_nth(&ld_edge_list, &n);
	if (g)
		return g;
	it->inv = true;
	return ld_gnode_nth(&ld_inversion_list, &n);
}

static void *ld_order_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct ld_order_iter *it = m->private;
	struct ld_gnode *g;

	it->pos = ++*pos;
	if (v == SEQ_START_TOKEN) {
		it->inv = false;
		g = ld_gnode_after(&ld_edge_list, &ld_edge_list);
	} else {
		g = ld_gnode_after(ld_order_list(it),
				   &((struct ld_gnode *)v)->node);
	}
	return ld_order_cross(it, g);
}

static void ld_order_stop(struct seq_file *m, void *v)
{
	ld_order_mark(m->private, v);
	mutex_unlock(&ld_class_mutex);
}

/* " pid comm from_name to_name" of an example. */
static void ld_show_example(struct seq_file *m,
			    const struct ld_class_example *ex,
			    struct pid_namespace *ns)
{
	seq_printf(m, " %d ", pid_nr_ns(ex->pid, ns));
	ld_escape(m, ex->comm, strnlen(ex->comm, sizeof(ex->comm)));
	seq_putc(m, ' ');
	ld_escape(m, ex->names, ex->from_len);
	seq_putc(m, ' ');
	ld_escape(m, ex->names + ex->from_len, ex->to_len);
}

/* "lockspace from to" of an edge. */
static void ld_show_classes(struct seq_file *m, const struct ld_class_edge *e)
{
	ld_space_show_name(m, e->from->space);
	seq_putc(m, ' ');
	ld_escape(m, e->from->name, e->from->name_len);
	seq_putc(m, ' ');
	ld_escape(m, e->to->name, e->to->name_len);
}

static int ld_order_show(struct seq_file *m, void *v)
{
	struct ld_order_iter *it = m->private;
	struct pid_namespace *ns = it->viewer.pid_ns;
	const struct ld_class_inversion *inv;
	const struct ld_class_edge *e;
	u64 now = ktime_get_ns();

	lockdep_assert_held(&ld_class_mutex);
	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# lockdev order %d\n", LOCKDEV_PROC_ORDER_VERSION);
		seq_printf(m, "# classes %u/%u edges %u/%u inversions %lu%s\n",
			   ld_nr_classes, READ_ONCE(ld_max_classes),
			   ld_nr_edges, READ_ONCE(ld_max_class_edges),
			   ld_nr_inversions,
			   READ_ONCE(ld_order_full) ? " full" : "");
		seq_puts(m, "# edge lockspace from to count age_ms pid comm from_name to_name | inversion lockspace from to age_ms pid comm from_name to_name pid2 comm2 from_name2 to_name2\n");
		return 0;
	}
	if (it->inv) {
		inv = container_of(v, struct ld_class_inversion, gnode);
		e = inv->edge;
	} else {
		inv = NULL;
		e = container_of(v, struct ld_class_edge, gnode);
	}
	if (!ld_space_visible(e->from->space, &it->viewer))
		return 0;
	seq_puts(m, inv ? "inversion " : "edge ");
	ld_show_classes(m, e);
	if (!inv)
		seq_printf(m, " %lld", (long long)atomic64_read(&e->count));
	seq_printf(m, " %llu", (now - e->ex.time) / NSEC_PER_MSEC);
	ld_show_example(m, &e->ex, ns);
	if (inv)
		ld_show_example(m, &inv->back, ns);
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations ld_order_seq_ops = {
	.start	= ld_order_start,
	.next	= ld_order_next,
	.stop	= ld_order_stop,
	.show	= ld_order_show,
};

/* Open a file of this one's with the opener as its viewer. */
static int ld_order_open_ops(struct file *file,
			     const struct seq_operations *ops)
{
	struct ld_order_iter *it;
	int ret;

	it = __seq_open_private(file, ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->mark.mark = true;
	/* Charged for its mark in the lists of classes and edges. */
	ret = ld_viewer_init_walk(&it->viewer, file);
	if (ret)
		seq_release_private(file_inode(file), file);
	return ret;
}

static int ld_order_open(struct inode *inode, struct file *file)
{
	return ld_order_open_ops(file, &ld_order_seq_ops);
}

static int ld_order_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct ld_order_iter *it = m->private;

	mutex_lock(&ld_class_mutex);
	ld_order_unmark(it);
	mutex_unlock(&ld_class_mutex);
	ld_viewer_exit(&it->viewer);
	return seq_release_private(inode, file);
}

const struct proc_ops ld_order_proc_ops = {
	.proc_open	= ld_order_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= ld_order_release,
};

static void *ld_lock_stat_start(struct seq_file *m, loff_t *pos)
{
	struct ld_order_iter *it = m->private;
	loff_t n = *pos - 1;
	struct ld_gnode *g;

	mutex_lock(&ld_class_mutex);
	if (!*pos) {
		ld_order_unmark(it);
		return SEQ_START_TOKEN;
	}
	if (ld_order_resume(it, &ld_class_list, *pos, &g))
		return g;
	return ld_gnode_nth(&ld_class_list, &n);
}

static void *ld_lock_stat_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct ld_order_iter *it = m->private;
	struct list_head *p = &ld_class_list;

	it->pos = ++*pos;
	if (v != SEQ_START_TOKEN)
		p = &((struct ld_gnode *)v)->node;
	return ld_gnode_after(&ld_class_list, p);
}

static int ld_lock_stat_show(struct seq_file *m, void *v)
{
	struct ld_order_iter *it = m->private;
	const struct ld_class *c;

	lockdep_assert_held(&ld_class_mutex);
	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# lockdev lock_stat %d\n",
			   LOCKDEV_PROC_LOCK_STAT_VERSION);
		seq_puts(m, "# lockspace class acquisitions contentions wait_total_ns wait_max_ns hold_total_ns hold_max_ns\n");
		return 0;
	}
	c = container_of(v, struct ld_class, gnode);
	if (!ld_space_visible(c->space, &it->viewer))
		return 0;
	ld_space_show_name(m, c->space);
	seq_putc(m, ' ');
	ld_escape(m, c->name, c->name_len);
	seq_printf(m, " %lld %lld %lld %lld %lld %lld\n",
		   (long long)atomic64_read(&c->acquisitions),
		   (long long)atomic64_read(&c->contentions),
		   (long long)atomic64_read(&c->wait_total),
		   (long long)atomic64_read(&c->wait_max),
		   (long long)atomic64_read(&c->hold_total),
		   (long long)atomic64_read(&c->hold_max));
	return 0;
}

static const struct seq_operations ld_lock_stat_seq_ops = {
	.start	= ld_lock_stat_start,
	.next	= ld_lock_stat_next,
	.stop	= ld_order_stop,
	.show	= ld_lock_stat_show,
};

static int ld_lock_stat_open(struct inode *inode, struct file *file)
{
	return ld_order_open_ops(file, &ld_lock_stat_seq_ops);
}

/*
 * Writing "0" (a newline may follow) resets every class's counters
 * (ld_proc_reset_write()).
 */
static ssize_t ld_lock_stat_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct ld_order_iter *it = m->private;
	int ret = ld_proc_reset_write(&it->viewer, buf, count);

	if (ret)
		return ret;
	ld_class_stat_reset();
	return count;
}

const struct proc_ops ld_lock_stat_proc_ops = {
	.proc_open	= ld_lock_stat_open,
	.proc_read	= seq_read,
	.proc_write	= ld_lock_stat_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= ld_order_release,
};
