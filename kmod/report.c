// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlock and order-violation reports: built when a request fails with
 * EDEADLK (or breaks the order in warn mode), kept as the session's last
 * report for LOCKDEV_IOC_DEADLOCK and among the most recent ones, a few per
 * uid, for /proc/lockdev/deadlocks.
 */
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "events.h"
#include "grant.h"
#include "proc.h"
#include "proc_locks.h"
#include "report.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "table.h"
#include "user.h"

/*
 * The most recent reports, ld_reports_nr of them, oldest first; each holds
 * a reference. Of one accountable uid at most LOCKDEV_DEADLOCKS_KEPT_PER_USER
 * are kept, so that one user's reports cannot push out everyone else's.
 * ld_reports_mutex guards them and is a leaf lock (locking.h).
 */
static DEFINE_MUTEX(ld_reports_mutex);
static struct ld_report *ld_reports[LOCKDEV_DEADLOCKS_KEPT];
static unsigned int ld_reports_nr;
static u64 ld_reports_seq;

/**
 * ld_report_alloc() - allocate a report
 * @space: the lockspace it happened in; the report takes a reference
 * @reason: LOCKDEV_RESULT_CYCLE or LOCKDEV_RESULT_ORDER
 * @nr: members to keep
 * @names: bytes of names the members will copy in
 * @gfp: allocation flags: the caller may hold spinlocks
 *
 * Return: the report, with one reference, or NULL.
 */
struct ld_report *ld_report_alloc(struct ld_space *space, u32 reason, u32 nr,
				  size_t names, gfp_t gfp)
{
	struct ld_report *rep;
	size_t size;

	size = size_add(struct_size(rep, m, nr), names);
	rep = kzalloc(size, gfp | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!rep)
		return NULL;
	refcount_set(&rep->ref, 1);
	rep->time_ns = ktime_get_ns();
	rep->reason = reason;
	rep->nr = nr;
	rep->names = (u8 *)&rep->m[nr];
	ld_space_get(space);
	rep->space = space;
	ld_stat_add(memory, ksize(rep));
	return rep;
}

/* Copy a name into the report's name area. */
static const u8 *ld_report_name(struct ld_report *rep, const u8 *name,
				u32 len)
{
	u8 *p = rep->names + rep->names_used;

	memcpy(p, name, len);
	rep->names_used += len;
	return p;
}

/**
 * ld_report_set() - fill in one member of a report
 * @rep: the report, from ld_report_alloc() with room for the names
 * @i: the member's index
 * @sess: its session
 * @pid: the process that asked; the report takes a reference
 * @comm: its comm
 * @held: the request it holds, or has queued ahead when @queued
 * @held_mode: the mode @held holds, or asks for when @queued
 * @queued: @held is a waiting request
 * @wait_lk: the lock it waits for, or asks for
 * @wait_mode: the mode it asks
 * @wait_level: the level it asks at
 *
 * Context: the locks of @held->lk and @wait_lk, or ld_graph() while
 * both have waiters, or references that keep their names alive.
 */
void ld_report_set(struct ld_report *rep, u32 i, struct ld_session *sess,
		   struct pid *pid, const char *comm, const struct ld_req *held,
		   u32 held_mode, bool queued, const struct ld_lock *wait_lk,
		   u32 wait_mode, u32 wait_level)
{
	struct ld_report_member *m = &rep->m[i];

	m->session = sess->id;
	m->pid = get_pid(pid);
	strscpy(m->comm, comm, sizeof(m->comm));
	m->flags = queued ? LOCKDEV_MEMBER_QUEUED : 0;
	m->held_mode = held_mode;
	m->held_level = held->level;
	m->held_len = held->lk->name_len;
	m->held_name = ld_report_name(rep, held->lk->name, m->held_len);
	m->wait_mode = wait_mode;
	m->wait_level = wait_level;
	m->wait_len = wait_lk->name_len;
	m->wait_name = ld_report_name(rep, wait_lk->name, m->wait_len);
}

/* The kept reports of @uid, plus @extra. */
static unsigned int ld_reports_of(kuid_t uid, unsigned int extra)
{
	unsigned int i, n = extra;

	lockdep_assert_held(&ld_reports_mutex);
	for (i = 0; i < ld_reports_nr; i++)
		n += uid_eq(ld_reports[i]->uid, uid);
	return n;
}

/* The index of the oldest kept report of @uid, or -1. */
static int ld_report_oldest_of(kuid_t uid)
{
	unsigned int i;

	lockdep_assert_held(&ld_reports_mutex);
	for (i = 0; i < ld_reports_nr; i++) {
		if (uid_eq(ld_reports[i]->uid, uid))
			return i;
	}
	return -1;
}

/*
 * The index of the report that a new report of @uid pushes out, or -1 when
 * there is room. Once @uid has its share, its own oldest. When all
 * LOCKDEV_DEADLOCKS_KEPT are kept, the oldest of the uid that would keep
 * the most, the new one counted (of those that tie, the one whose oldest
 * is oldest): so no uid pushes out a report of a uid that keeps fewer than
 * it would, and several uids together push out no report of a uid that
 * keeps fewer than each of them. At most 16 * 16 comparisons.
 */
static int ld_report_victim(kuid_t uid)
{
	unsigned int i, n, most = 0;
	int victim = -1;
	kuid_t u;

	lockdep_assert_held(&ld_reports_mutex);
	if (ld_reports_of(uid, 0) >= LOCKDEV_DEADLOCKS_KEPT_PER_USER)
		return ld_report_oldest_of(uid);
	if (ld_reports_nr < LOCKDEV_DEADLOCKS_KEPT)
		return -1;
	for (i = 0; i < ld_reports_nr; i++) {
		u = ld_reports[i]->uid;
		n = ld_reports_of(u, uid_eq(u, uid));
		if (n > most) {
			most = n;
			victim = i;
		}
	}
	return victim;
}

/* Keep @rep, the newest; return the report it pushed out, or NULL. */
static struct ld_report *ld_report_push(struct ld_report *rep)
{
	struct ld_report *old = NULL;
	int i;

	lockdep_assert_held(&ld_reports_mutex);
	i = ld_report_victim(rep->uid);
	if (i >= 0) {
		old = ld_reports[i];
		memmove(&ld_reports[i], &ld_reports[i + 1],
			(ld_reports_nr - i - 1) * sizeof(ld_reports[0]));
		ld_reports_nr--;
	}
	rep->seq = ++ld_reports_seq;
	ld_reports[ld_reports_nr++] = rep;
	return old;
}

static void ld_report_put(struct ld_report *rep)
{
	u32 i;

	if (!rep || !refcount_dec_and_test(&rep->ref))
		return;
	for (i = 0; i < rep->nr; i++)
		put_pid(rep->m[i].pid);
	ld_space_put(rep->space);
	ld_stat_add(memory, -(long)ksize(rep));
	kfree(rep);
}

/**
 * ld_report_keep() - make a report the session's last one and keep it for
 * /proc/lockdev/deadlocks
 * @sess: the session
 * @rep: the report; its reference passes to the callee
 *
 * Context: may sleep; no lock held.
 */
void ld_report_keep(struct ld_session *sess, struct ld_report *rep)
{
	struct ld_report *old_kept, *old_sess;

	/*
	 * The kept list's reference, the session's (the caller's), and one
	 * for the event: once kept, another thread of the session or later
	 * reports may drop the other two.
	 */
	refcount_add(2, &rep->ref);
	rep->uid = sess->user->uid;
	mutex_lock(&ld_reports_mutex);
	old_kept = ld_report_push(rep);
	mutex_unlock(&ld_reports_mutex);

	spin_lock(&sess->lock);
	old_sess = sess->report;
	sess->report = rep;
	spin_unlock(&sess->lock);

	ld_report_put(old_kept);
	ld_report_put(old_sess);
	ld_event_report(rep, sess->user);
	ld_report_put(rep);
}

/**
 * ld_report_session_exit() - drop a closing session's last report
 * @sess: the session
 *
 * Context: may sleep.
 */
void ld_report_session_exit(struct ld_session *sess)
{
	ld_report_put(sess->report);
	sess->report = NULL;
}

/* Drop every kept report. */
static void ld_reports_clear(void)
{
	struct ld_report *kept[LOCKDEV_DEADLOCKS_KEPT];
	unsigned int i, n;

	mutex_lock(&ld_reports_mutex);
	n = ld_reports_nr;
	memcpy(kept, ld_reports, n * sizeof(kept[0]));
	ld_reports_nr = 0;
	mutex_unlock(&ld_reports_mutex);
	for (i = 0; i < n; i++)
		ld_report_put(kept[i]);
}

/**
 * ld_report_exit() - drop the kept reports at unload
 *
 * Context: no session exists any more.
 */
void ld_report_exit(void)
{
	ld_reports_clear();
}

/* Fill the uapi form of one member, as the caller's pid namespace sees it. */
static void ld_member_fill(struct lockdev_cycle_member *out,
			   const struct ld_report_member *m)
{
	memset(out, 0, sizeof(*out));
	out->session = m->session;
	out->pid = pid_nr_ns(m->pid, task_active_pid_ns(current));
	out->flags = m->flags;
	out->held_mode = m->held_mode;
	out->held_level = m->held_level;
	out->wait_mode = m->wait_mode;
	out->wait_level = m->wait_level;
	out->held_name_len = m->held_len;
	out->wait_name_len = m->wait_len;
	memcpy(out->comm, m->comm, sizeof(out->comm));
	memcpy(out->held_name, m->held_name, m->held_len);
	memcpy(out->wait_name, m->wait_name, m->wait_len);
}

/**
 * ld_report_read() - LOCKDEV_IOC_DEADLOCK
 * @sess: the session
 * @d: the call's argument: members and nr_members in, the rest out
 *
 * Return: 0, -ENOMEM or -EFAULT.
 */
int ld_report_read(struct ld_session *sess, struct lockdev_deadlock *d)
{
	struct lockdev_cycle_member *out;
	struct ld_report *rep;
	u32 i, n;
	int ret = 0;

	spin_lock(&sess->lock);
	rep = sess->report;
	if (rep)
		refcount_inc(&rep->ref);
	spin_unlock(&sess->lock);
	if (!rep) {
		d->reason = 0;
		d->handle = 0;
		d->age_ns = 0;
		d->nr_members = 0;
		return 0;
	}
	n = d->members ? min(d->nr_members, rep->nr) : 0;
	out = kmalloc(sizeof(*out), GFP_KERNEL_ACCOUNT);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		ld_member_fill(out, &rep->m[i]);
		if (copy_to_user(u64_to_user_ptr(d->members + i * sizeof(*out)),
				 out, sizeof(*out)))
			ret = -EFAULT;
	}
	kfree(out);
	d->reason = rep->reason;
	d->handle = rep->handle;
	d->age_ns = ktime_get_ns() - rep->time_ns;
	d->nr_members = rep->nr;
out:
	ld_report_put(rep);
	return ret;
}

static void ld_report_show(struct seq_file *m, const struct ld_report *rep,
			   u64 now, struct pid_namespace *ns)
{
	const struct ld_report_member *mb;
	u32 i;

	for (i = 0; i < rep->nr; i++) {
		mb = &rep->m[i];
		seq_printf(m, "%llu ", rep->seq);
		ld_space_show_name(m, rep->space);
		seq_printf(m, " %s %llu %u %d ",
			   rep->reason == LOCKDEV_RESULT_CYCLE ? "cycle" : "order",
			   (now - rep->time_ns) / NSEC_PER_MSEC, i,
			   pid_nr_ns(mb->pid, ns));
		ld_escape(m, mb->comm, strnlen(mb->comm, sizeof(mb->comm)));
		seq_printf(m, " %s%s %u ",
			   mb->flags & LOCKDEV_MEMBER_QUEUED ? "queued-" : "",
			   ld_mode_names[mb->held_mode], mb->held_level);
		ld_escape(m, mb->held_name, mb->held_len);
		seq_printf(m, " %s %u ", ld_mode_names[mb->wait_mode],
			   mb->wait_level);
		ld_escape(m, mb->wait_name, mb->wait_len);
		seq_putc(m, '\n');
	}
}

/*
 * Print /proc/lockdev/deadlocks for its opener, the viewer in @m->private.
 * The reports it may see are taken, referenced, under ld_reports_mutex and
 * printed after: up to LOCKDEV_DEADLOCKS_KEPT reports of 64 members with
 * escaped names are megabytes, each time the buffer doubles, and every
 * EDEADLK and order violation waits for the mutex to keep its report.
 */
static int ld_deadlocks_show(struct seq_file *m, void *v)
{
	struct ld_report *kept[LOCKDEV_DEADLOCKS_KEPT], *rep;
	const struct ld_viewer *viewer = m->private;
	u64 now = ktime_get_ns();
	unsigned int i, n = 0;

	seq_printf(m, "# lockdev deadlocks %d\n",
		   LOCKDEV_PROC_DEADLOCKS_VERSION);
	seq_puts(m, "# seq lockspace reason age_ms member pid comm held_mode held_level held_name wait_mode wait_level wait_name\n");
	mutex_lock(&ld_reports_mutex);
	for (i = 0; i < ld_reports_nr; i++) {
		rep = ld_reports[i];
		if (ld_space_visible(rep->space, viewer)) {
			refcount_inc(&rep->ref);
			kept[n++] = rep;
		}
	}
	mutex_unlock(&ld_reports_mutex);
	for (i = 0; i < n; i++)
		ld_report_show(m, kept[i], now, viewer->pid_ns);
	for (i = 0; i < n; i++)
		ld_report_put(kept[i]);
	return 0;
}

static int ld_deadlocks_open(struct inode *inode, struct file *file)
{
	struct ld_viewer *viewer;
	int ret;

	viewer = kmalloc(sizeof(*viewer), GFP_KERNEL);
	if (!viewer)
		return -ENOMEM;
	ld_viewer_init(viewer, file);
	ret = single_open(file, ld_deadlocks_show, viewer);
	if (ret) {
		ld_viewer_exit(viewer);
		kfree(viewer);
	}
	return ret;
}

static int ld_deadlocks_release(struct inode *inode, struct file *file)
{
	struct ld_viewer *viewer = ((struct seq_file *)file->private_data)->private;

	ld_viewer_exit(viewer);
	kfree(viewer);
	return single_release(inode, file);
}

/*
 * Writing "0" to /proc/lockdev/deadlocks drops every kept report
 * (ld_proc_reset_write()).
 */
static ssize_t ld_deadlocks_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct ld_viewer *viewer = ((struct seq_file *)file->private_data)->private;
	int ret = ld_proc_reset_write(viewer, buf, count);

	if (ret)
		return ret;
	ld_reports_clear();
	return count;
}

/* /proc/lockdev/deadlocks: the kept reports its opener may see. */
const struct proc_ops ld_deadlocks_proc_ops = {
	.proc_open	= ld_deadlocks_open,
	.proc_read	= seq_read,
	.proc_write	= ld_deadlocks_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= ld_deadlocks_release,
};
