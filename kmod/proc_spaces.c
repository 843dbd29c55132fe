// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/lockdev/spaces: one line per lockspace the reader may see, and
 * /proc/lockdev/levels: their declared levels, in the formats the uapi
 * header specifies. The walk takes a reference to the
 * lockspace it is at (ld_space_next()), so it goes on where it left off
 * whatever the table does meanwhile.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <uapi/linux/lockdev.h>

#include "proc.h"
#include "space.h"
#include "space_levels.h"

/*
 * struct ld_spaces_iter - a walk of the lockspaces for one open file
 * @viewer: who reads.
 * @cur: the lockspace the walk is at, referenced, or NULL.
 * @pos: how many lockspaces the walk has passed, for seq_file.
 *
 * Only the seq_file's reader uses it, under the seq_file's mutex.
 */
struct ld_spaces_iter {
	struct ld_viewer viewer;
	struct ld_space *cur;
	loff_t pos;
};

static void ld_spaces_rewind(struct ld_spaces_iter *it)
{
	if (it->cur)
		ld_space_put(it->cur);
	it->cur = NULL;
	it->pos = 0;
}

/* Move to the next lockspace the reader may see, or to none at the end. */
static struct ld_space *ld_spaces_step(struct ld_spaces_iter *it)
{
	struct ld_space *space = it->cur;

	/* At the end, the walk stays there. */
	if (!space && it->pos)
		return NULL;
	do {
		struct ld_space *next = ld_space_next(space);

		if (space)
			ld_space_put(space);
		space = next;
	} while (space && !ld_space_visible(space, &it->viewer));
	it->cur = space;
	it->pos++;
	return space;
}

static void *ld_spaces_start(struct seq_file *m, loff_t *pos)
{
	struct ld_spaces_iter *it = m->private;

	if (*pos == 0) {
		ld_spaces_rewind(it);
		return SEQ_START_TOKEN;
	}
	if (*pos == it->pos && it->cur)
		return it->cur;
	if (*pos < it->pos)
		ld_spaces_rewind(it);
	while (it->pos < *pos)
		if (!ld_spaces_step(it))
			return NULL;
	return it->cur;
}

static void *ld_spaces_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return ld_spaces_step(m->private);
}

static void ld_spaces_stop(struct seq_file *m, void *v)
{
}

static const char *const ld_order_names[] = {
	[LOCKDEV_ORDER_STRICT] = "strict",
	[LOCKDEV_ORDER_WARN] = "warn",
	[LOCKDEV_ORDER_OFF] = "off",
};

/* The state column: persistent, removed or transient. */
static const char *ld_space_state(const struct ld_space *space)
{
	if (READ_ONCE(space->removed))
		return "removed";
	return READ_ONCE(space->persistent) ? "persistent" : "transient";
}

/*
 * May the reader see @space still? The walk looked when it stepped onto it,
 * which may be a read() ago: its mode or owner may have changed since.
 */
static bool ld_spaces_visible(struct seq_file *m, struct ld_space *space)
{
	struct ld_spaces_iter *it = m->private;

	return ld_space_visible(space, &it->viewer);
}

static int ld_spaces_show(struct seq_file *m, void *v)
{
	struct ld_space *space = v;
	u32 idle;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# lockdev spaces %d\n",
			   LOCKDEV_PROC_SPACES_VERSION);
		seq_puts(m, "# lockspace uid gid mode sessions locks idle state order\n");
		return 0;
	}
	if (!ld_spaces_visible(m, space))
		return SEQ_SKIP;
	idle = atomic_read(&space->nr_idle);
	ld_space_show_name(m, space);
	seq_printf(m, " %u %u %04o %d %d %u %s %s\n",
		   from_kuid_munged(seq_user_ns(m), READ_ONCE(space->uid)),
		   from_kgid_munged(seq_user_ns(m), READ_ONCE(space->gid)),
		   READ_ONCE(space->mode), atomic_read(&space->sessions),
		   atomic_read(&space->locks), idle, ld_space_state(space),
		   ld_order_names[READ_ONCE(space->order_mode)]);
	return 0;
}

static int ld_levels_show(struct seq_file *m, void *v)
{
	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# lockdev levels %d\n",
			   LOCKDEV_PROC_LEVELS_VERSION);
		seq_puts(m, "# lockspace prefix level\n");
		return 0;
	}
	if (!ld_spaces_visible(m, v))
		return SEQ_SKIP;
	ld_space_levels_show(m, v);
	return 0;
}

static const struct seq_operations ld_spaces_seq_ops = {
	.start	= ld_spaces_start,
	.next	= ld_spaces_next,
	.stop	= ld_spaces_stop,
	.show	= ld_spaces_show,
};

static const struct seq_operations ld_levels_seq_ops = {
	.start	= ld_spaces_start,
	.next	= ld_spaces_next,
	.stop	= ld_spaces_stop,
	.show	= ld_levels_show,
};

static int ld_spaces_open_ops(struct file *file,
			      const struct seq_operations *ops)
{
	struct ld_spaces_iter *it;
	int ret;

	it = __seq_open_private(file, ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	/* Charged for the lockspace it keeps between reads. */
	ret = ld_viewer_init_walk(&it->viewer, file);
	if (ret)
		seq_release_private(file_inode(file), file);
	return ret;
}

static int ld_spaces_open(struct inode *inode, struct file *file)
{
	return ld_spaces_open_ops(file, &ld_spaces_seq_ops);
}

static int ld_levels_open(struct inode *inode, struct file *file)
{
	return ld_spaces_open_ops(file, &ld_levels_seq_ops);
}

static int ld_spaces_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct ld_spaces_iter *it = m->private;

	ld_spaces_rewind(it);
	ld_viewer_exit(&it->viewer);
	return seq_release_private(inode, file);
}

const struct proc_ops ld_spaces_proc_ops = {
	.proc_open	= ld_spaces_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= ld_spaces_release,
};

const struct proc_ops ld_levels_proc_ops = {
	.proc_open	= ld_levels_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= ld_spaces_release,
};
