// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "lockdev", in every network namespace: the
 * multicast group of events, the subscriptions to them
 * (netlink_subscribe.c), the dump of holders and waiters, the counters and
 * the event thresholds, as the uapi header specifies. A caller sees the
 * lockspaces it could see in /proc/lockdev/locks (struct ld_viewer), and
 * every one with CAP_NET_ADMIN in the initial user namespace.
 */
#include <linux/capability.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "events.h"
#include "grant.h"
#include "proc_locks.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "table.h"

/**
 * ld_nl_put_space() - put a lockspace's name as /proc/lockdev/locks shows it
 * @skb: the message
 * @space: the lockspace
 * @ns: the user namespace in which to show a default lockspace's uid
 *
 * A named lockspace is escaped, so that it never reads as a default one.
 *
 * Return: 0 or -EMSGSIZE.
 */
int ld_nl_put_space(struct sk_buff *skb, const struct ld_space *space,
		    struct user_namespace *ns)
{
	struct nlattr *nla;
	size_t i, len = 0;
	char buf[16], *p;
	u8 c;

	if (space->is_default) {
		len = snprintf(buf, sizeof(buf), "~%u",
			       from_kuid_munged(ns, space->uid));
		return nla_put(skb, LOCKDEV_A_LOCKSPACE, len, buf);
	}
	for (i = 0; i < space->name_len; i++)
		len += ld_escaped(space->name[i]) ? 4 : 1;
	nla = nla_reserve(skb, LOCKDEV_A_LOCKSPACE, len);
	if (!nla)
		return -EMSGSIZE;
	p = nla_data(nla);
	for (i = 0; i < space->name_len; i++) {
		c = space->name[i];
		if (!ld_escaped(c)) {
			*p++ = c;
			continue;
		}
		*p++ = '\\';
		*p++ = '0' + (c >> 6);
		*p++ = '0' + ((c >> 3) & 7);
		*p++ = '0' + (c & 7);
	}
	return 0;
}

struct ld_nl_pids {
	struct sk_buff *skb;
	struct pid_namespace *ns;
	int err;
};

static bool ld_nl_put_pid(struct ld_req *r, bool queued, void *arg)
{
	struct ld_nl_pids *p = arg;

	p->err = nla_put_u32(p->skb, LOCKDEV_A_PID, ld_req_pid(r, p->ns));
	return p->err;
}

/**
 * ld_nl_put_req() - put the attributes of one holder or waiter
 * @skb: the message
 * @lk: the lock
 * @r: the request
 * @holder: show @r as a holder in its held mode, else as a waiter
 * @now: the clocks, read once (ld_now_read())
 * @ns: the pid namespace to show pids in
 * @wt: the waits of @lk, to put a waiter's WAITS_FOR, or NULL for none
 * @i: @r's index in @wt
 *
 * WAITS_FOR lists at most LOCKDEV_WAITS_FOR_MAX pids; WAITS_FOR_TRUNCATED
 * says there were more.
 *
 * Context: @lk->lock held.
 * Return: 0 or -EMSGSIZE.
 */
int ld_nl_put_req(struct sk_buff *skb, const struct ld_lock *lk,
		  const struct ld_req *r, bool holder,
		  const struct ld_now *now,
		  struct pid_namespace *ns, const struct ld_waits *wt, u32 i)
{
	struct ld_nl_pids pids = { .skb = skb, .ns = ns };
	struct ld_visit visit = { .fn = ld_nl_put_pid, .arg = &pids };
	u32 mode = holder ? r->mode : ld_req_want(r);
	struct nlattr *nest;
	bool more;
	char comm[TASK_COMM_LEN];

	lockdep_assert_held(&lk->lock);
	ld_req_comm(r, comm);
	if (nla_put(skb, LOCKDEV_A_NAME, lk->name_len, lk->name) ||
	    nla_put_u32(skb, LOCKDEV_A_LEVEL, r->level) ||
	    nla_put_u32(skb, LOCKDEV_A_MODE, mode) ||
	    nla_put_u32(skb, LOCKDEV_A_STATE, holder ? LD_HELD : r->state) ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_SESSION, r->sess->id,
			      LOCKDEV_A_PAD) ||
	    nla_put_u32(skb, LOCKDEV_A_PID, ld_req_pid(r, ns)) ||
	    nla_put_string(skb, LOCKDEV_A_COMM, comm) ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_AGE_NS, ld_req_age(r, !holder, now),
			      LOCKDEV_A_PAD) ||
	    nla_put_u8(skb, LOCKDEV_A_OWNER_DIED, lk->owner_died) ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_GENERATION, lk->generation,
			      LOCKDEV_A_PAD))
		return -EMSGSIZE;
	if (holder || !wt)
		return 0;
	nest = nla_nest_start(skb, LOCKDEV_A_WAITS_FOR);
	if (!nest)
		return -EMSGSIZE;
	more = ld_waits_visit(wt, i, LOCKDEV_WAITS_FOR_MAX, &visit);
	if (pids.err)
		return pids.err;
	nla_nest_end(skb, nest);
	if (more && nla_put_flag(skb, LOCKDEV_A_WAITS_FOR_TRUNCATED))
		return -EMSGSIZE;
	return 0;
}

/*
 * struct ld_nl_dump - where a dump of LOCKDEV_CMD_GET_LOCKS stands
 * @it: the walk of the locks table, at the lock being dumped.
 * @done: how many of that lock's holders and waiters are in earlier
 *	messages.
 *
 * Only the dump's callbacks use it, one at a time.
 */
struct ld_nl_dump {
	struct ld_locks_iter it;
	u32 done;
};

/**
 * ld_nl_opener() - the file of the socket a request came on
 * @skb: the request
 *
 * What a netlink request may see is judged by the socket's opener, as for
 * the files of /proc/lockdev/, not by the task that sends on it: a socket
 * passed to another process, or written to by a privileged one, shows no
 * more than its opener may see.
 *
 * Return: the file, or NULL for a socket without one (the kernel's): then
 * the sender is judged.
 */
const struct file *ld_nl_opener(const struct sk_buff *skb)
{
	const struct sock *sk = NETLINK_CB(skb).sk;

	return sk && sk->sk_socket ? sk->sk_socket->file : NULL;
}

/**
 * ld_nl_capable() - has a request CAP_NET_ADMIN in a user namespace
 * @skb: the request
 * @ns: the user namespace
 *
 * Both the sending task and the socket's opener must have it.
 * netlink_ns_capable() alone does not look at the opener when the sender
 * gave an address (sendto(), sendmsg() with a name), as libraries do: a
 * privileged task sending on a socket that an unprivileged one opened and
 * passed to it would lend it its privilege.
 *
 * Return: true if both have it.
 */
bool ld_nl_capable(const struct sk_buff *skb, struct user_namespace *ns)
{
	const struct file *opener = ld_nl_opener(skb);

	return netlink_ns_capable(skb, ns, CAP_NET_ADMIN) &&
	       (!opener || file_ns_capable(opener, ns, CAP_NET_ADMIN));
}

static int ld_nl_locks_start(struct netlink_callback *cb)
{
	struct ld_nl_dump *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	/*
	 * genetlink has checked the request against ld_nl_locks_policy: with
	 * LOCKDEV_A_ALL, the walk goes on to the idle locks.
	 */
	ret = ld_locks_iter_init(&d->it, ld_nl_opener(cb->skb),
				 ld_nl_capable(cb->skb, &init_user_ns),
				 nlmsg_find_attr(cb->nlh, GENL_HDRLEN,
						 LOCKDEV_A_ALL));
	if (ret) {
		kfree(d);
		return ret;
	}
	ld_locks_iter_next(&d->it);
	cb->args[0] = (long)d;
	return 0;
}

static int ld_nl_locks_done(struct netlink_callback *cb)
{
	struct ld_nl_dump *d = (struct ld_nl_dump *)cb->args[0];

	ld_locks_iter_exit(&d->it);
	kfree(d);
	return 0;
}

/* Who the dump of @cb is for: the caller of its first request. */
static const struct ld_viewer *ld_nl_viewer(struct netlink_callback *cb)
{
	return &((struct ld_nl_dump *)cb->args[0])->it.viewer;
}

/* One message for entry @i of @wt; false if the skb is full. */
static bool ld_nl_dump_req(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct ld_lock *lk, const struct ld_waits *wt,
			   u32 i, const struct ld_now *now)
{
	struct ld_req *r = wt->req[i];
	const struct ld_viewer *v = ld_nl_viewer(cb);
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			  cb->nlh->nlmsg_seq, &ld_genl_family, NLM_F_MULTI,
			  LOCKDEV_CMD_GET_LOCKS);
	if (!hdr)
		return false;
	if (ld_nl_put_space(skb, lk->space, v->cred->user_ns) ||
	    ld_nl_put_req(skb, lk, r, i < wt->nr_holders, now,
			  v->pid_ns, wt, i)) {
		genlmsg_cancel(skb, hdr);
		return false;
	}
	genlmsg_end(skb, hdr);
	return true;
}

/* The message of @lk, which nobody holds or awaits; false if @skb is full. */
static bool ld_nl_dump_idle(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct ld_lock *lk)
{
	u64 idle = ld_coarse_ns() - ld_lock_idle_since(lk);
	const struct ld_viewer *v = ld_nl_viewer(cb);
	void *hdr;

	lockdep_assert_held(&lk->lock);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			  cb->nlh->nlmsg_seq, &ld_genl_family, NLM_F_MULTI,
			  LOCKDEV_CMD_GET_LOCKS);
	if (!hdr)
		return false;
	if (ld_nl_put_space(skb, lk->space, v->cred->user_ns) ||
	    nla_put(skb, LOCKDEV_A_NAME, lk->name_len, lk->name) ||
	    nla_put_u32(skb, LOCKDEV_A_STATE, LOCKDEV_STATE_IDLE) ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_AGE_NS, (s64)idle > 0 ? idle : 0,
			      LOCKDEV_A_PAD) ||
	    nla_put_u8(skb, LOCKDEV_A_OWNER_DIED, lk->owner_died) ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_GENERATION, lk->generation,
			      LOCKDEV_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return false;
	}
	genlmsg_end(skb, hdr);
	return true;
}

/*
 * Fill @skb with the next messages. Each callback finds whom the waiters of
 * the lock it starts at wait for again (ld_waits_fill()), in time linear in
 * the lock's holders and waiters. A message always fits in an empty skb
 * (WAITS_FOR is capped); should one not, the dump fails with EMSGSIZE
 * rather than end short. A lock nobody holds or awaits has one message if
 * it is owner-died, or if the walk is of the idle locks too.
 */
static int ld_nl_locks_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ld_nl_dump *d = (struct ld_nl_dump *)cb->args[0];
	struct ld_waits *wt = &d->it.waits;
	struct ld_now now;
	struct ld_lock *lk;
	bool full = false;
	int ret;
	u32 n;

	for (lk = d->it.cur; lk && !full; lk = ld_locks_iter_next(&d->it)) {
		/* Met before this call, when its lockspace was visible. */
		if (!ld_locks_iter_sees(&d->it, lk)) {
			d->done = 0;
			continue;
		}
		for (;;) {
			spin_lock(&lk->lock);
			n = ld_waits_fill(wt, lk);
			if (!n)
				break;
			spin_unlock(&lk->lock);
			ret = ld_waits_room(wt, n);
			if (ret)
				return ret;
		}
		ld_now_read(&now);
		if (!wt->nr && (lk->owner_died || d->it.idle))
			full = !ld_nl_dump_idle(skb, cb, lk);
		for (; !full && d->done < wt->nr; d->done++) {
			full = !ld_nl_dump_req(skb, cb, lk, wt, d->done, &now);
			if (full)
				break;
		}
		spin_unlock(&lk->lock);
		if (full)
			break;
		d->done = 0;
	}
	if (full && !skb->len)
		return -EMSGSIZE;
	return skb->len;
}

static int ld_nl_put_stat(const char *name, long value, void *arg)
{
	struct sk_buff *skb = arg;
	struct nlattr *nest = nla_nest_start(skb, LOCKDEV_A_STAT);

	if (!nest || nla_put_string(skb, LOCKDEV_A_STAT_NAME, name) ||
	    nla_put_s64(skb, LOCKDEV_A_STAT_VALUE, value, LOCKDEV_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The counters are the module's, over every namespace: only for callers of
 * the initial user namespace, who may read /proc/lockdev/stats as well.
 */
static int ld_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	if (current_user_ns() != &init_user_ns ||
	    sk_user_ns(NETLINK_CB(skb).sk) != &init_user_ns) {
		NL_SET_ERR_MSG(info->extack,
			       "the counters are for the initial user namespace");
		return -EPERM;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ld_genl_family, 0,
				LOCKDEV_CMD_GET_STATS);
	if (!hdr || ld_stats_each(ld_nl_put_stat, msg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int ld_nl_thresholds(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *held = info->attrs[LOCKDEV_A_HELD_THRESHOLD_MS];
	struct nlattr *wait = info->attrs[LOCKDEV_A_WAIT_THRESHOLD_MS];
	struct sk_buff *msg;
	void *hdr;

	if ((held || wait) && !ld_nl_capable(skb, &init_user_ns)) {
		NL_SET_ERR_MSG(info->extack,
			       "changing a threshold needs CAP_NET_ADMIN");
		return -EPERM;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	kernel_param_lock(THIS_MODULE);
	if (held)
		WRITE_ONCE(ld_held_threshold_ms, nla_get_u32(held));
	if (wait)
		WRITE_ONCE(ld_wait_threshold_ms, nla_get_u32(wait));
	if (held || wait)
		ld_events_kick();
	hdr = genlmsg_put_reply(msg, info, &ld_genl_family, 0,
				LOCKDEV_CMD_THRESHOLDS);
	if (!hdr ||
	    nla_put_u32(msg, LOCKDEV_A_HELD_THRESHOLD_MS,
			ld_held_threshold_ms) ||
	    nla_put_u32(msg, LOCKDEV_A_WAIT_THRESHOLD_MS,
			ld_wait_threshold_ms)) {
		kernel_param_unlock(THIS_MODULE);
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	kernel_param_unlock(THIS_MODULE);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct nla_policy ld_nl_policy[LOCKDEV_A_MAX + 1] = {
	[LOCKDEV_A_HELD_THRESHOLD_MS] = { .type = NLA_U32 },
	[LOCKDEV_A_WAIT_THRESHOLD_MS] = { .type = NLA_U32 },
};

/* GET_LOCKS takes only its flag; strict validation rejects the rest. */
static const struct nla_policy ld_nl_locks_policy[LOCKDEV_A_ALL + 1] = {
	[LOCKDEV_A_ALL] = { .type = NLA_FLAG },
};

/* GET_STATS, SUBSCRIBE and UNSUBSCRIBE take no attribute. */
static const struct nla_policy ld_nl_none_policy[LOCKDEV_A_PAD + 1] = {
	[LOCKDEV_A_PAD] = { .type = NLA_REJECT },
};

static const struct genl_ops ld_nl_ops[] = {
	{
		.cmd = LOCKDEV_CMD_GET_LOCKS,
		.policy = ld_nl_locks_policy,
		.maxattr = LOCKDEV_A_ALL,
		.start = ld_nl_locks_start,
		.dumpit = ld_nl_locks_dump,
		.done = ld_nl_locks_done,
	},
	{
		.cmd = LOCKDEV_CMD_GET_STATS,
		.policy = ld_nl_none_policy,
		.maxattr = LOCKDEV_A_PAD,
		.doit = ld_nl_get_stats,
	},
	{
		.cmd = LOCKDEV_CMD_THRESHOLDS,
		.doit = ld_nl_thresholds,
	},
	{
		.cmd = LOCKDEV_CMD_SUBSCRIBE,
		.policy = ld_nl_none_policy,
		.maxattr = LOCKDEV_A_PAD,
		.doit = ld_nl_subscribe,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LOCKDEV_CMD_UNSUBSCRIBE,
		.policy = ld_nl_none_policy,
		.maxattr = LOCKDEV_A_PAD,
		.doit = ld_nl_unsubscribe,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group ld_nl_mcgrps[] = {
	{
		.name = LOCKDEV_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * Registered by ld_events_init(); genetlink fills in its id. resv_start_op
 * is 0: every command is checked strictly, genlmsghdr.reserved must be 0
 * and nlmsg_flags only those genetlink knows (EINVAL otherwise). It exists
 * in every network namespace; the group's events are sent in the initial
 * one only, joining it needs CAP_NET_ADMIN in the user namespace owning
 * the socket's (GENL_MCAST_CAP_NET_ADMIN), so the group is the host's.
 */
struct genl_family ld_genl_family = {
	.name = LOCKDEV_GENL_NAME,
	.version = LOCKDEV_GENL_VERSION,
	.netnsok = true,
	.maxattr = LOCKDEV_A_MAX,
	.policy = ld_nl_policy,
	.module = THIS_MODULE,
	.ops = ld_nl_ops,
	.n_ops = ARRAY_SIZE(ld_nl_ops),
	.mcgrps = ld_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ld_nl_mcgrps),
};

MODULE_ALIAS_GENL_FAMILY(LOCKDEV_GENL_NAME);
