/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deadlock and order-violation reports (report.c): built when a request
 * fails with EDEADLK or breaks the order in warn mode, kept as the session's
 * last report for LOCKDEV_IOC_DEADLOCK and among the most recent ones, a
 * few per uid, for /proc/lockdev/deadlocks. ld_reports_mutex guards those
 * (locking.h).
 */
#ifndef LOCKDEV_KMOD_REPORT_H
#define LOCKDEV_KMOD_REPORT_H

#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct ld_lock;
struct ld_req;
struct ld_session;
struct ld_space;
struct lockdev_deadlock;
struct pid;

/*
 * struct ld_report_member - one session of a reported cycle, or the session
 * that broke the order; immutable once the report is kept
 * @session: the session's id.
 * @pid: the process that asked for @wait_name; a reference is held.
 * @comm: its comm.
 * @flags: LOCKDEV_MEMBER_* bits.
 * @held_mode: the mode held, or asked for by a request queued ahead.
 * @wait_mode: the mode asked for @wait_name.
 * @held_level: the level of the held lock.
 * @wait_level: the level of the request.
 * @held_len: length of @held_name.
 * @wait_len: length of @wait_name.
 * @held_name: the lock the session holds (or has queued ahead).
 * @wait_name: the lock the session waits for (or asked for).
 */
struct ld_report_member {
	u64 session;
	struct pid *pid;
	char comm[TASK_COMM_LEN];
	u8 flags;
	u8 held_mode;
	u8 wait_mode;
	u32 held_level;
	u32 wait_level;
	u16 held_len;
	u16 wait_len;
	const u8 *held_name;
	const u8 *wait_name;
};

/*
 * struct ld_report - a deadlock or order violation, kept for
 * LOCKDEV_IOC_DEADLOCK and /proc/lockdev/deadlocks
 * @ref: the session's and the kept list's references, the event's until it is
 *	sent, and a reader's of /proc/lockdev/deadlocks while it prints.
 * @seq: its number among the kept reports; set under ld_reports_mutex when kept.
 * @uid: the accountable uid of the session that got it; set when kept.
 * @time_ns: when it happened.
 * @handle: the request's handle, or 0.
 * @reason: LOCKDEV_RESULT_CYCLE or LOCKDEV_RESULT_ORDER.
 * @order_mode: for an order violation, the session's order mode.
 * @nr: members.
 * @space: the lockspace; a reference is held.
 * @names: where the members' names are copied.
 * @names_used: bytes of @names filled.
 * @m: the members.
 *
 * Filled by the task that builds it, then immutable once kept.
 */
struct ld_report {
	refcount_t ref;
	u64 seq;
	kuid_t uid;
	u64 time_ns;
	u64 handle;
	u32 reason;
	u32 order_mode;
	u32 nr;
	struct ld_space *space;
	u8 *names;
	size_t names_used;
	struct ld_report_member m[];
};

struct ld_report *ld_report_alloc(struct ld_space *space, u32 reason, u32 nr,
				  size_t names, gfp_t gfp);
void ld_report_set(struct ld_report *rep, u32 i, struct ld_session *sess,
		   struct pid *pid, const char *comm, const struct ld_req *held,
		   u32 held_mode, bool queued, const struct ld_lock *wait_lk,
		   u32 wait_mode, u32 wait_level);
void ld_report_keep(struct ld_session *sess, struct ld_report *rep);
void ld_report_session_exit(struct ld_session *sess);
void ld_report_exit(void);
int ld_report_read(struct ld_session *sess, struct lockdev_deadlock *d);
extern const struct proc_ops ld_deadlocks_proc_ops;

#endif /* LOCKDEV_KMOD_REPORT_H */
