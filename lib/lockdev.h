/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liblockdev: the C interface to the lockdev module. Installed as
 * <lockdev.h>; the kernel interface it wraps, the module's uapi header
 * linux/lockdev.h, is installed with it as <lockdev/uapi.h> (the C
 * library's <linux/...> headers are not ours to add to). lockdev(7)
 * explains modes, levels and the grant policy, and each function has its
 * page in section 3.
 *
 * Every function returns 0 (or a count where its page says so) or a
 * negative errno, and never sets errno. The library keeps no global state.
 *
 * Thread safety: a struct lockdev is one session, one lock owner. Calls on
 * different handles never interfere. Every call on one handle may be made
 * from several threads at once (the handle holds nothing but the session's
 * file descriptor), but those threads then share the ownership of its
 * locks, as the processes that share a session after fork() do: a thread
 * that needs to be a lock owner of its own opens a handle of its own.
 */
#ifndef LIBLOCKDEV_H
#define LIBLOCKDEV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <lockdev/uapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the device node the library opens. */
#define LOCKDEV_DEVICE_PATH	"/dev/" LOCKDEV_DEVICE_NAME

/* Flags of lockdev_open() and lockdev_open_space(). */
#define LOCKDEV_OPEN_NOCREATE	(1U << 0)	/* the lockspace must exist */
#define LOCKDEV_OPEN_FLAGS_ALL	LOCKDEV_OPEN_NOCREATE

/* Flags of the calls that wait. */
#define LOCKDEV_RESTART		(1U << 0)	/* wait again after EINTR */
#define LOCKDEV_WAIT_FLAGS_ALL	LOCKDEV_RESTART

/* A timeout (in nanoseconds) that never ends; 0 means do not wait. */
#define LOCKDEV_FOREVER		UINT64_MAX

/* What a grant returns. */
struct lockdev_grant {
	uint64_t handle;	/* names the lock in unlock, convert, ... */
	uint64_t generation;	/* the lock's generation when granted */
	uint32_t result;	/* LOCKDEV_RESULT_* bits */
	uint32_t reserved0;
	uint64_t reserved[2];
};

/* One request of a lock set. */
struct lockdev_set_req {
	const char *name;	/* NULL: no lock (the request is skipped) */
	uint32_t mode;		/* LOCKDEV_MODE_* */
	uint32_t level;		/* 0 = unranked */
	uint64_t handle;	/* out; requests with one name share it */
	uint64_t generation;	/* out */
	uint32_t result;	/* out: LOCKDEV_RESULT_* bits */
	uint32_t reserved0;
	uint64_t reserved[2];
};

/* What lockdev_query() says about a lock besides its holders and waiters. */
struct lockdev_info {
	uint64_t generation;	/* 0 if the lock does not exist */
	uint32_t flags;		/* LOCKDEV_QUERY_* */
	uint32_t nr_entries;	/* holders and waiters, all of them */
	uint64_t reserved[2];
};

/*
 * A lock's value block, as a grant or a query returns it
 * (lockdev_lock_value(3)): not valid, and all zero, from when the lock comes
 * into existence and from when a holder in APPEND or EXCLUSIVE died, until
 * a holder sets it.
 */
struct lockdev_value {
	uint8_t data[LOCKDEV_VALUE_LEN];
	uint32_t valid;		/* 1 once a holder set it, else 0 */
	uint32_t reserved0;
	uint64_t reserved[2];
};

/* The session's last deadlock or order violation. */
struct lockdev_deadlock_info {
	uint32_t reason;	/* LOCKDEV_RESULT_CYCLE or _ORDER, 0 if none */
	uint32_t nr_members;	/* members there are */
	uint64_t handle;	/* the request's handle, 0 if it got none */
	uint64_t age_ns;	/* how long ago */
	uint64_t reserved[2];
};

struct lockdev;

/* Sessions */
int lockdev_open(struct lockdev **ldp, unsigned int flags);
int lockdev_open_space(struct lockdev **ldp, const char *space,
		       unsigned int mode, unsigned int flags);
int lockdev_open_fd(struct lockdev **ldp, int fd, unsigned int flags);
void lockdev_close(struct lockdev *ld);
int lockdev_fd(const struct lockdev *ld);
int lockdev_get_version(struct lockdev *ld, struct lockdev_version *version);
int lockdev_set_order(struct lockdev *ld, unsigned int mode,
		      unsigned int *old_mode);

/* Locking */
int lockdev_lock(struct lockdev *ld, const char *name, unsigned int mode,
		 unsigned int level, unsigned int flags,
		 struct lockdev_grant *grant);
int lockdev_trylock(struct lockdev *ld, const char *name, unsigned int mode,
		    unsigned int level, struct lockdev_grant *grant);
int lockdev_timedlock(struct lockdev *ld, const char *name, unsigned int mode,
		      unsigned int level, uint64_t timeout_ns,
		      unsigned int flags, struct lockdev_grant *grant);
int lockdev_unlock(struct lockdev *ld, uint64_t handle);
int lockdev_unlock_name(struct lockdev *ld, const char *name);
int lockdev_convert(struct lockdev *ld, uint64_t handle, unsigned int mode,
		    uint64_t timeout_ns, unsigned int flags,
		    struct lockdev_grant *grant);
int lockdev_consistent(struct lockdev *ld, uint64_t handle);

/* The value block (lockdev_lock_value(3)) */
int lockdev_lock_value(struct lockdev *ld, const char *name,
		       unsigned int mode, unsigned int level,
		       uint64_t timeout_ns, unsigned int flags,
		       struct lockdev_grant *grant,
		       struct lockdev_value *value);
int lockdev_convert_value(struct lockdev *ld, uint64_t handle,
			  unsigned int mode, uint64_t timeout_ns,
			  unsigned int flags, struct lockdev_grant *grant,
			  struct lockdev_value *value);
int lockdev_unlock_value(struct lockdev *ld, uint64_t handle,
			 const void *value, size_t len);
int lockdev_downgrade_value(struct lockdev *ld, uint64_t handle,
			    unsigned int mode, const void *value, size_t len,
			    struct lockdev_grant *grant);
int lockdev_query_value(struct lockdev *ld, const char *name,
			struct lockdev_entry *entries, unsigned int nr,
			struct lockdev_info *info, struct lockdev_value *value);

/* Lock sets */
int lockdev_lock_set(struct lockdev *ld, struct lockdev_set_req *reqs,
		     unsigned int nr, uint64_t timeout_ns, unsigned int flags,
		     unsigned int *failed);
int lockdev_unlock_set(struct lockdev *ld, const struct lockdev_set_req *reqs,
		       unsigned int nr);

/* Asynchronous requests */
int lockdev_lock_async(struct lockdev *ld, const char *name,
		       unsigned int mode, unsigned int level,
		       uint64_t timeout_ns, uint64_t user_data,
		       struct lockdev_grant *grant);
int lockdev_cancel(struct lockdev *ld, uint64_t handle);
int lockdev_read_completions(struct lockdev *ld,
			     struct lockdev_completion *comps,
			     unsigned int nr, uint64_t timeout_ns,
			     unsigned int flags);

/* Queries and reports */
int lockdev_query(struct lockdev *ld, const char *name,
		  struct lockdev_entry *entries, unsigned int nr,
		  struct lockdev_info *info);
int lockdev_generation(struct lockdev *ld, const char *name,
		       uint64_t *generation);
int lockdev_list(struct lockdev *ld, struct lockdev_held *held,
		 unsigned int nr);
int lockdev_deadlock(struct lockdev *ld, struct lockdev_deadlock_info *info,
		     struct lockdev_cycle_member *members, unsigned int nr);
const char *lockdev_strerror(int err, unsigned int result);

/*
 * Lockspaces an administrator creates (lockdev_space_create(3)): mode,
 * uid and gid LOCKDEV_SPACE_KEEP ((uid_t)-1 for ids) keep a field, or take
 * the caller's; flags are LOCKDEV_SPACE_PERSISTENT, _TRANSIENT (set) and
 * LOCKDEV_SPACE_FORCE (remove). lockdev_space_replace() creates one in
 * place of a transient one of the name, in one step.
 */
int lockdev_space_create(const char *space, unsigned int mode, uid_t uid,
			 gid_t gid);
int lockdev_space_replace(const char *space, unsigned int mode, uid_t uid,
			  gid_t gid);
/*
 * A persistent lockspace shared by the hosts of the cluster named cluster
 * (corosync's cluster_name), on the kernel's DLM:
 * lockdev_space_create_cluster(3).
 */
int lockdev_space_create_cluster(const char *space, const char *cluster,
				 unsigned int mode, uid_t uid, gid_t gid);
int lockdev_space_set(const char *space, unsigned int mode, uid_t uid,
		      gid_t gid, unsigned int flags);
int lockdev_space_remove(const char *space, unsigned int flags);
/*
 * The order mode sessions start in (LOCKDEV_ORDER_*), and the level of the
 * names that start with prefix, for requests at level 0 (0 removes it):
 * lockdev_space_set_order(3), lockdev_space_level(3).
 */
int lockdev_space_set_order(const char *space, unsigned int order_mode);
int lockdev_space_level(const char *space, const char *prefix,
			unsigned int level);

/* Names of LOCKDEV_MODE_* and LOCKDEV_STATE_*; NULL for other values. */
const char *lockdev_mode_name(unsigned int mode);
const char *lockdev_state_name(unsigned int state);

/*
 * The event monitor: the module's events over generic netlink, of the
 * lockspaces the caller could see in /proc/lockdev/locks (needs
 * CAP_NET_ADMIN in the user namespace that owns the caller's network
 * namespace; the library reads them with libnl-genl-3). A monitor is not a
 * session and holds no lock; one monitor is for one thread at a time.
 */
struct lockdev_monitor;

/* Flags of lockdev_monitor_open(). */
#define LOCKDEV_MONITOR_NONBLOCK	(1U << 0)	/* read: -EAGAIN, no wait */
#define LOCKDEV_MONITOR_FLAGS_ALL	LOCKDEV_MONITOR_NONBLOCK

/* A session of a deadlock's cycle, or the one that broke the order. */
struct lockdev_event_member {
	uint64_t session;
	uint32_t pid;
	uint32_t flags;			/* LOCKDEV_MEMBER_* */
	uint32_t held_mode;
	uint32_t held_level;
	uint32_t wait_mode;
	uint32_t wait_level;
	uint32_t held_name_len;
	uint32_t wait_name_len;
	char comm[16];
	char held_name[LOCKDEV_NAME_MAX + 1];
	char wait_name[LOCKDEV_NAME_MAX + 1];
};

/* A learned-order edge of an inversion, with its first example. */
struct lockdev_event_edge {
	uint32_t pid;
	uint32_t class_from_len;
	uint32_t class_to_len;
	uint32_t from_name_len;
	uint32_t to_name_len;
	char comm[16];
	char class_from[LOCKDEV_NAME_MAX + 1];
	char class_to[LOCKDEV_NAME_MAX + 1];
	char from_name[LOCKDEV_NAME_MAX + 1];	/* the lock of class_from */
	char to_name[LOCKDEV_NAME_MAX + 1];	/* the lock of class_to */
};

/* One event; lockdev_monitor_open(3) says which fields each kind fills. */
struct lockdev_event {
	uint32_t kind;			/* LOCKDEV_EVENT_* */
	uint32_t lockspace_len;
	char lockspace[4 * LOCKDEV_NAME_MAX + 1];	/* escaped as in /proc */
	uint32_t name_len;
	char name[LOCKDEV_NAME_MAX + 1];
	uint32_t mode;
	uint32_t state;
	uint32_t level;
	uint32_t pid;
	char comm[16];
	uint64_t session;
	uint64_t age_ns;
	uint64_t generation;
	uint32_t order_mode;
	uint32_t nr_members;
	const struct lockdev_event_member *members;	/* until the next read */
	uint32_t nr_edges;
	struct lockdev_event_edge edges[2];
};

int lockdev_monitor_open(struct lockdev_monitor **monp, unsigned int flags);
int lockdev_monitor_fd(const struct lockdev_monitor *mon);
int lockdev_monitor_read(struct lockdev_monitor *mon,
			 struct lockdev_event *ev);
int lockdev_monitor_thresholds(struct lockdev_monitor *mon, int64_t held_ms,
			       int64_t wait_ms, uint32_t *held,
			       uint32_t *wait);
void lockdev_monitor_close(struct lockdev_monitor *mon);

/*
 * The holders and waiters of every lock the caller may see, and the idle
 * locks, from the module's GET_LOCKS dump (lockdev_locks_dump(3)). Needs no
 * privilege and no session.
 */

/* Flags of lockdev_locks_dump(): IDLE, every idle lock (not only owner-died). */
#define LOCKDEV_DUMP_IDLE	(1U << 0)
#define LOCKDEV_DUMP_FLAGS_ALL	LOCKDEV_DUMP_IDLE

/* One holder or waiter of a lock, or one idle lock. */
struct lockdev_lock_info {
	uint32_t lockspace_len;
	char lockspace[4 * LOCKDEV_NAME_MAX + 1];	/* escaped as in /proc */
	uint32_t name_len;
	char name[LOCKDEV_NAME_MAX + 1];
	uint32_t level;
	uint32_t mode;			/* LOCKDEV_MODE_*, 0 if idle */
	uint32_t state;			/* LOCKDEV_STATE_* */
	uint32_t pid;			/* the process that asked, or 0 */
	uint64_t session;		/* the session's id, 0 if idle */
	char comm[16];
	uint64_t age_ns;		/* held, waiting or idle for */
	uint64_t generation;
	uint32_t owner_died;		/* 0 or 1 */
	uint32_t waits_for_truncated;	/* it waits for more than these */
	uint32_t nr_waits_for;
	uint32_t waits_for[LOCKDEV_WAITS_FOR_MAX];	/* pids */
	uint64_t reserved[4];
};

int lockdev_locks_dump(unsigned int flags,
		       int (*fn)(const struct lockdev_lock_info *info,
				 void *arg),
		       void *arg);

#ifdef __cplusplus
}
#endif

#endif /* LIBLOCKDEV_H */
