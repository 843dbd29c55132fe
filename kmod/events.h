/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events and the generic netlink family "lockdev". events.c renders events
 * where they happen, queues them and multicasts them from a work item, and
 * scans for locks held or awaited past the thresholds (module parameters,
 * defined in params.c); netlink.c is the family: its commands, and the
 * attributes of a lockspace and of a holder or waiter, which events share.
 * The queue has its own lock, taken under ld_lock.lock and ld_class_mutex
 * (locking.h).
 */
#ifndef LOCKDEV_KMOD_EVENTS_H
#define LOCKDEV_KMOD_EVENTS_H

#include <linux/types.h>

struct genl_family;
struct genl_info;
struct ld_class_edge;
struct ld_lock;
struct ld_now;
struct ld_report;
struct ld_req;
struct ld_space;
struct ld_user;
struct ld_waits;
struct pid;
struct pid_namespace;
struct sk_buff;
struct user_namespace;

/*
 * struct ld_event_pid - a pid in a queued event's message
 * @off: the offset of its u32 value in the message.
 * @pid: the process; a reference is held.
 */
struct ld_event_pid {
	u32 off;
	struct pid *pid;
};

/*
 * struct ld_event_info - what an event keeps, in its message's skb->cb
 * from ld_event_new() until the work item takes it, to be rendered again
 * for each subscriber: its lockspace as the subscriber's user namespace
 * names it, its pids as the subscriber's pid namespace sees them.
 * @space: the lockspace; referenced once queued (ld_event_send()).
 * @user: the uid the event counts against (its @events) from
 *	ld_event_new() until it is sent, cancelled or dropped to make room;
 *	referenced once queued.
 * @pids: the pids of the message, @nr_pids of room for @cap_pids.
 * @nr_pids: how many.
 * @cap_pids: room in @pids.
 * @space_off: the offset of the LOCKDEV_A_LOCKSPACE attribute.
 * @body: the offset of the attributes after it.
 * @gfp: the allocation flags of the context that renders the event.
 */
struct ld_event_info {
	const struct ld_space *space;
	struct ld_user *user;
	struct ld_event_pid *pids;
	u32 nr_pids;
	u32 cap_pids;
	u32 space_off;
	u32 body;
	gfp_t gfp;
};

/* Events and the netlink family (events.c, netlink.c). */
extern unsigned int ld_held_threshold_ms;
extern unsigned int ld_wait_threshold_ms;
extern struct genl_family ld_genl_family;

struct sk_buff *ld_event_new(u32 kind, const struct ld_space *space,
			     struct ld_user *user, size_t size, gfp_t gfp);
void ld_event_send(struct sk_buff *skb);
void ld_event_cancel(struct sk_buff *skb);
void ld_event_report(const struct ld_report *rep, struct ld_user *user);
void ld_event_owner_died(const struct ld_lock *lk, const struct ld_req *req);
void ld_event_space_removed(const struct ld_space *space);
void ld_event_inversion(const struct ld_class_edge *e,
			const struct ld_class_edge *back, struct ld_user *user);
void ld_events_kick(void);
int ld_events_init(void);
void ld_events_exit(void);
int ld_subs_init(void);
void ld_subs_exit(void);
bool ld_subs_any(void);
void ld_subs_send(const struct sk_buff *skb, const struct ld_event_info *ev);
const struct file *ld_nl_opener(const struct sk_buff *skb);
bool ld_nl_capable(const struct sk_buff *skb, struct user_namespace *ns);
int ld_nl_subscribe(struct sk_buff *skb, struct genl_info *info);
int ld_nl_unsubscribe(struct sk_buff *skb, struct genl_info *info);
int ld_nl_put_space(struct sk_buff *skb, const struct ld_space *space,
		    struct user_namespace *ns);
int ld_nl_put_req(struct sk_buff *skb, const struct ld_lock *lk,
		  const struct ld_req *r, bool holder,
		  const struct ld_now *now,
		  struct pid_namespace *ns, const struct ld_waits *wt, u32 i);

#endif /* LOCKDEV_KMOD_EVENTS_H */
