/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lockspaces (space.c): named ones with SysV-IPC-like ownership and
 * permission bits, and one default lockspace per uid, each per user and IPC
 * namespace; who may use and see them (struct ld_viewer), and how
 * /proc/lockdev/ files print their names (space_view.c). ld_spaces_mutex
 * guards the table of lockspaces (locking.h).
 */
#ifndef LOCKDEV_KMOD_SPACE_H
#define LOCKDEV_KMOD_SPACE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct cred;
struct file;
struct ld_cl_space;
struct ld_levels;
struct ld_user;
struct lockdev_space_ctl;
struct pid_namespace;
struct seq_file;
struct user_namespace;
struct vfsmount;

/*
 * struct ld_space - a lockspace
 * @node: in the lockspaces table while in its namespace; once retired, in
 *	the collector's list of removed lockspaces until it reaps them.
 *	ld_spaces_mutex; once reaped, in the list of the collector's run
 *	that reaps it, which alone uses it then.
 * @id: its place in walks of the lockspaces (ld_space_next()), which
 *	meet it from its creation to its free, retired or not. Immutable.
 * @ref: attached sessions plus existing locks, plus one while @persistent;
 *	the last put frees it.
 * @user_ns: the user namespace it lives in; space.c holds one reference
 *	for all the lockspaces of a namespace.
 * @ipc: the IPC namespace it lives in, by its mqueue mount (space.c); a
 *	reference to the mount is held, so no other namespace has it.
 * @uid: owner; for a default lockspace, the uid it belongs to.
 * @gid: owner's group.
 * @mode: permission bits.
 * @is_default: a uid's default lockspace, which has no name.
 * @persistent: it holds a reference of its own (LOCKDEV_IOC_SPACE), so it
 *	stays with no session attached, idle locks and classes too.
 * @removed: out of its namespace (LOCKDEV_IOC_SPACE): no lookup finds it,
 *	and no request waits in it once marked (ld_lock_space_abort()).
 * @reaped: the collector dropped its locks once nobody could attach to it
 *	any more; it goes with its last reference (a kept report's).
 *	ld_spaces_mutex.
 * @retired: removed or reaped, so out of reach for good: it no longer
 *	counts in its creator's lockspaces, though sessions, kept reports or
 *	a reader of /proc may keep it a while. ld_spaces_mutex.
 * @order_mode: the order mode its sessions start in (LOCKDEV_ORDER_*).
 * @levels: its declared levels (space_levels.c), or NULL if none. RCU:
 *	replaced under ld_spaces_mutex, read under rcu_read_lock().
 * @creator: the user charged for it, and whose budgets its classes use; a
 *	reference is held.
 * @sessions: sessions bound to it. Atomic.
 * @locks: locks that exist in it, for its limit. Atomic.
 * @classes: its lock classes, struct ld_class.snode. ld_class_mutex.
 * @nr_classes: how many, for max_classes_per_space. ld_class_mutex; read
 *	with READ_ONCE() for a first check without it.
 * @nr_edges: its learned edges, for max_class_edges_per_space. As
 *	@nr_classes.
 * @graph_mutex: serialises changes to the waiters of its locks and the
 *	wait-for graph walks over them (graph.c).
 * @graph_walk: the number of the last walk. @graph_mutex.
 * @released: requests of its locks whose UNLOCK or downgrade found
 *	@graph_mutex taken and left the grant of their lock's waiters to its
 *	holder, by struct ld_req.gone (graph_mutex.c). Lockless.
 * @released_async: the same for asynchronous requests, by struct
 *	ld_async.gone. Lockless.
 * @lru_lock: protects @busy and @idle, and each lock's place on them and
 *	its LD_REST_LISTED and LD_REST_DEAD (table.c), and the marks of walks.
 * @busy: its locks that are held, awaited, owner-died or being set up, and
 *	those that went idle lately.
 * @idle: its idle locks, least recently used first, but for those that
 *	went idle lately.
 * @lately: locks that went idle, by struct ld_lock.lately, still on @busy
 *	and waiting for ld_space_drain() to put them on @idle in the order
 *	they went idle. Lockless.
 * @draining: drains that took @lately and have not yet referenced every
 *	lock they took (ld_space_drain()). Atomic; raised under @lru_lock,
 *	where a lockspace's end reads it before it drops locks of @busy.
 * @nr_idle: how many of its locks are idle. Atomic.
 * @spare: a request of it that ended, kept for the next one (request.c)
 *	while a session is attached, or NULL. Changed with xchg() and
 *	cmpxchg().
 * @idle_seen: @nr_idle when ld_space_most_idle() last looked.
 *	ld_spaces_mutex.
 * @stamp: the last stamp given to a lock joining @busy or going idle.
 *	Atomic.
 * @cl: for a cluster lockspace, its DLM lockspace (cluster.c), referenced
 *	until @cl_left; else NULL. Immutable.
 * @cl_left: the collector reaped it and dropped the reference of @cl, as no
 *	lock of it can come back; the collector's, then its last put's.
 * @name_len: length of @name.
 * @name: the name, not NUL-terminated.
 *
 * Every field but @ref, @sessions, @locks, @classes, @nr_classes, @nr_edges,
 * @graph_mutex, @graph_walk, @uid, @gid, @mode, @persistent, @removed,
 * @reaped, @retired, @order_mode, @levels, @idle_seen, @cl_left and what
 * @lru_lock protects is immutable once the lockspace is in the table. @uid, @gid,
 * @mode, @persistent, @removed and @order_mode of a named lockspace are
 * written under
 * ld_spaces_mutex with WRITE_ONCE() and read under it, or with READ_ONCE()
 * without it, each on its own (a reader without the mutex may see some of
 * one LOCKDEV_IOC_SPACE's changes before the others); a default lockspace's
 * never change.
 */
struct ld_space {
	struct hlist_node node;
	u32 id;
	refcount_t ref;
	struct user_namespace *user_ns;
	struct vfsmount *ipc;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	bool is_default;
	bool persistent;
	bool removed;
	bool reaped;
	bool retired;
	u32 order_mode;
	struct ld_levels __rcu *levels;
	struct ld_user *creator;
	atomic_t sessions;
	atomic_t locks;
	struct list_head classes;
	u32 nr_classes;
	u32 nr_edges;
	struct mutex graph_mutex;	/* see locking.h */
	u64 graph_walk;
	struct llist_head released;
	struct llist_head released_async;
	spinlock_t lru_lock;	/* see above */
	struct list_head busy;
	struct list_head idle;
	struct llist_head lately;
	atomic_t draining;
	atomic_t nr_idle;
	struct ld_req *spare;
	u32 idle_seen;
	atomic64_t stamp;
	struct ld_cl_space *cl;
	bool cl_left;
	u16 name_len;
	u8 name[];
};

/* Permissions a session has on its lockspace. */
#define LD_MAY_READ	4
#define LD_MAY_WRITE	2

int ld_space_attach(const u8 *name, u32 len, u32 flags, umode_t mode,
		    struct ld_space **spacep, unsigned int *permsp);
int ld_space_default(const struct cred *cred, struct ld_space **spacep);
int ld_space_ctl(const u8 *name, u32 len, const struct lockdev_space_ctl *c,
		 const u8 *more);
/* ld_spaces_mutex itself, for lockdep_is_held() in space_levels.c. */
struct mutex *ld_spaces_lock(void);
void ld_space_get(struct ld_space *space);
void ld_space_put(struct ld_space *space);
void ld_space_leave(struct ld_space *space);
void ld_space_exit(void);
struct ld_space *ld_space_next(struct ld_space *prev);
struct ld_space *ld_space_most_idle(long over, u32 *keep);

/*
 * struct ld_viewer - who looks at lockspaces: the opener of a /proc file or
 * of the netlink socket of a dump or an event subscription. Filled by
 * ld_viewer_init(), then immutable.
 * @cred: the credentials; a reference is held.
 * @ipc: the IPC namespace, as lockspaces name it; a reference is held.
 * @pid_ns: the pid namespace that pids are shown in; a reference is held.
 * @all: sees every lockspace (the host's root).
 * @ipc_owner: has CAP_IPC_OWNER in the user namespace of @cred.
 * @walker: for a walk that lasts across reads or dump calls, the uid of
 *	@cred charged for it as for a session (ld_viewer_init_walk()), with a
 *	reference; else NULL.
 */
struct ld_viewer {
	const struct cred *cred;
	struct vfsmount *ipc;
	struct pid_namespace *pid_ns;
	struct ld_user *walker;
	bool all;
	bool ipc_owner;
};

/* Who may use and see a lockspace (space_view.c). */
struct vfsmount *ld_current_ipc(void);
bool ld_current_in_init_ipc(void);
bool ld_cred_in_group(const struct cred *cred, kgid_t gid);
unsigned int ld_space_perms(const struct ld_space *space,
			    const struct cred *cred,
			    const struct ld_viewer *v);
void ld_viewer_init(struct ld_viewer *v, const struct file *file);
int ld_viewer_init_walk(struct ld_viewer *v, const struct file *file);
void ld_viewer_exit(struct ld_viewer *v);
bool ld_space_visible(const struct ld_space *space, const struct ld_viewer *v);
void ld_space_show_name(struct seq_file *m, const struct ld_space *space);
void ld_escape(struct seq_file *m, const u8 *s, size_t len);

/* Bytes that /proc/lockdev/ files write as a backslash and three octal digits. */
static inline bool ld_escaped(u8 c)
{
	return c < 0x21 || c > 0x7e || c == '\\' || c == '~';
}

#endif /* LOCKDEV_KMOD_SPACE_H */
