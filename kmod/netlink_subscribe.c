// SPDX-License-Identifier: GPL-2.0
/*
 * Subscribers to events: netlink sockets of any network namespace that
 * asked for events with LOCKDEV_CMD_SUBSCRIBE. Each is a viewer (struct
 * ld_viewer: the credentials and the IPC and pid namespaces of the task
 * that subscribed) and gets, unicast, the events of the lockspaces it may
 * see, rendered for it: the lockspace named in its user namespace, pids as
 * its pid namespace sees them. A subscription ends with UNSUBSCRIBE, when
 * its socket is released (NETLINK_URELEASE) or when a unicast finds the
 * socket gone. The subscribers of callers without CAP_NET_ADMIN in the
 * initial user namespace are limited per uid and in all, as the uapi header
 * says.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <uapi/linux/lockdev.h>

#include "events.h"
#include "space.h"
#include "stats.h"
#include "user.h"

/*
 * struct ld_sub - a subscribed socket
 * @node: in ld_subs, under ld_subs_mutex.
 * @net: the socket's network namespace; a reference is held.
 * @sk: the socket; a reference is held, for its state only.
 * @portid: the socket's port id in @net.
 * @uid: the uid charged, the subscriber's accountable one
 *	(ld_user_accountable()).
 * @limited: counts against the limits (no CAP_NET_ADMIN in the initial
 *	user namespace).
 * @viewer: who looks: which lockspaces it sees, in which namespaces.
 */
struct ld_sub {
	struct list_head node;
	struct net *net;
	struct sock *sk;
	u32 portid;
	kuid_t uid;
	bool limited;
	struct ld_viewer viewer;
};

static DEFINE_MUTEX(ld_subs_mutex);
static LIST_HEAD(ld_subs);
/* Subscribers; written under ld_subs_mutex, read with READ_ONCE(). */
static u32 ld_subs_nr;
/* Those that count against LOCKDEV_SUBSCRIBERS_MAX. ld_subs_mutex. */
static u32 ld_subs_limited;

/**
 * ld_subs_any() - is anybody subscribed
 *
 * Return: true if some socket is, as far as a racy read can tell.
 */
bool ld_subs_any(void)
{
	return READ_ONCE(ld_subs_nr);
}

static void ld_sub_free(struct ld_sub *sub)
{
	lockdep_assert_held(&ld_subs_mutex);
	list_del(&sub->node);
	WRITE_ONCE(ld_subs_nr, ld_subs_nr - 1);
	if (sub->limited)
		ld_subs_limited--;
	ld_viewer_exit(&sub->viewer);
	sock_put(sub->sk);
	put_net(sub->net);
	kfree(sub);
}

static struct ld_sub *ld_sub_find(const struct net *net, u32 portid)
{
	struct ld_sub *sub;

	lockdep_assert_held(&ld_subs_mutex);
	list_for_each_entry(sub, &ld_subs, node)
		if (net_eq(sub->net, net) && sub->portid == portid)
			return sub;
	return NULL;
}

/* May one more subscriber of @uid come: 0, -EDQUOT or -ENOSPC. */
static int ld_subs_room(kuid_t uid)
{
	struct ld_sub *sub;
	u32 n = 0;

	lockdep_assert_held(&ld_subs_mutex);
	list_for_each_entry(sub, &ld_subs, node)
		if (sub->limited && uid_eq(sub->uid, uid))
			n++;
	if (n >= LOCKDEV_SUBSCRIBERS_PER_USER)
		return -EDQUOT;
	if (ld_subs_limited >= LOCKDEV_SUBSCRIBERS_MAX)
		return -ENOSPC;
	return 0;
}

/**
 * ld_nl_subscribe() - LOCKDEV_CMD_SUBSCRIBE: send the sender's socket events
 * @skb: the request
 * @info: its genetlink information
 *
 * genetlink has checked CAP_NET_ADMIN in the user namespace that owns the
 * socket's network namespace (GENL_UNS_ADMIN_PERM), and so does this, in
 * the socket's opener too (ld_nl_capable()). The subscriber is the
 * socket's opener as a viewer (ld_nl_opener()), which must also have
 * CAP_NET_ADMIN in its own user namespace, whose lockspaces it will see:
 * a socket opened in a user namespace of one's own and passed out of it, or
 * written to by another task, sees no more than its opener. With
 * CAP_NET_ADMIN in the initial user namespace the subscriber sees every
 * lockspace, as the members of the group do, and is not limited.
 *
 * Context: genl_mutex held.
 * Return: 0, -EPERM, -EEXIST (already subscribed), -EDQUOT, -ENOSPC or
 * -ENOMEM.
 */
int ld_nl_subscribe(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	bool host = ld_nl_capable(skb, &init_user_ns);
	struct ld_sub *sub;
	int ret = 0;

	if (!ld_nl_capable(skb, net->user_ns)) {
		NL_SET_ERR_MSG(info->extack,
			       "no CAP_NET_ADMIN in the socket's opener");
		return -EPERM;
	}
	sub = kzalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub)
		return -ENOMEM;
	ld_viewer_init(&sub->viewer, ld_nl_opener(skb));
	if (!ld_nl_capable(skb, sub->viewer.cred->user_ns)) {
		NL_SET_ERR_MSG(info->extack,
			       "no CAP_NET_ADMIN in the opener's user namespace");
		ret = -EPERM;
		goto free;
	}
	sub->viewer.all |= host;
	sub->uid = ld_user_accountable(sub->viewer.cred);
	mutex_lock(&ld_subs_mutex);
	if (ld_sub_find(net, info->snd_portid))
		ret = -EEXIST;
	else if (!host)
		ret = ld_subs_room(sub->uid);
	if (ret) {
		mutex_unlock(&ld_subs_mutex);
		if (ret == -EEXIST)
			NL_SET_ERR_MSG(info->extack,
				       "the socket is subscribed already");
		else
			NL_SET_ERR_MSG(info->extack, "too many subscribers");
		goto free;
	}
	sub->net = get_net(net);
	sub->sk = NETLINK_CB(skb).sk;
	sock_hold(sub->sk);
	sub->portid = info->snd_portid;
	sub->limited = !host;
	list_add_tail(&sub->node, &ld_subs);
	WRITE_ONCE(ld_subs_nr, ld_subs_nr + 1);
	if (sub->limited)
		ld_subs_limited++;
	mutex_unlock(&ld_subs_mutex);
	return 0;

free:
	ld_viewer_exit(&sub->viewer);
	kfree(sub);
	return ret;
}

/**
 * ld_nl_unsubscribe() - LOCKDEV_CMD_UNSUBSCRIBE: no more events to the
 *	sender's socket
 * @skb: the request
 * @info: its genetlink information
 *
 * Context: genl_mutex held.
 * Return: 0, -EPERM (no CAP_NET_ADMIN in the socket's opener) or -ENOENT
 * (not subscribed).
 */
int ld_nl_unsubscribe(struct sk_buff *skb, struct genl_info *info)
{
	struct ld_sub *sub;
	int ret = 0;

	if (!ld_nl_capable(skb, genl_info_net(info)->user_ns)) {
		NL_SET_ERR_MSG(info->extack,
			       "no CAP_NET_ADMIN in the socket's opener");
		return -EPERM;
	}
	mutex_lock(&ld_subs_mutex);
	sub = ld_sub_find(genl_info_net(info), info->snd_portid);
	if (sub)
		ld_sub_free(sub);
	else
		ret = -ENOENT;
	mutex_unlock(&ld_subs_mutex);
	if (ret)
		NL_SET_ERR_MSG(info->extack, "the socket is not subscribed");
	return ret;
}

/*
 * A copy of the event @skb for viewer @v: its lockspace named in @v's user
 * namespace, its pids as @v's pid namespace sees them (0 stays 0: the
 * process had exited).
 */
static struct sk_buff *ld_sub_render(const struct sk_buff *skb,
				     const struct ld_event_info *ev,
				     const struct ld_viewer *v)
{
	struct sk_buff *msg;
	u32 i, *val;
	int delta;

	msg = nlmsg_new(skb->len + nla_total_size(4 * LOCKDEV_NAME_MAX),
			GFP_KERNEL);
	if (!msg)
		return NULL;
	skb_put_data(msg, skb->data, ev->space_off);
	if (ld_nl_put_space(msg, ev->space, v->cred->user_ns)) {
		kfree_skb(msg);
		return NULL;
	}
	delta = msg->len - ev->body;
	skb_put_data(msg, skb->data + ev->body, skb->len - ev->body);
	for (i = 0; i < ev->nr_pids; i++) {
		val = (u32 *)(msg->data + ev->pids[i].off + delta);
		if (*val)
			*val = pid_nr_ns(ev->pids[i].pid, v->pid_ns);
	}
	nlmsg_hdr(msg)->nlmsg_len = msg->len;
	return msg;
}

/*
 * Is @sub's socket not to be sent to now: it is being released (a socket
 * bound to its port id meanwhile must not get its events), or an ENOBUFS
 * is pending on it, which a read takes before any message. Netlink sets
 * that error when the socket starts to lose messages, and drops every
 * message sent to it until it has been read; so does this, without copying
 * the event first. Whatever else set the error, the reader learns of its
 * losses from it.
 */
static bool ld_sub_skipped(const struct ld_sub *sub)
{
	if (sock_flag(sub->sk, SOCK_DEAD))
		return true;
	if (READ_ONCE(sub->sk->sk_err) != ENOBUFS)
		return false;
	atomic_inc(&sub->sk->sk_drops);
	return true;
}

/**
 * ld_subs_send() - send an event to the subscribers that may see it
 * @skb: the event's message, as the group gets it
 * @ev: what the event keeps to render it again
 *
 * A subscriber whose socket is gone is dropped. Linear in the subscribers;
 * one that does not read costs a test, not a copy of the event, unless it
 * asked netlink not to report its losses (NETLINK_NO_ENOBUFS).
 *
 * Context: the events' work item; may sleep.
 */
void ld_subs_send(const struct sk_buff *skb, const struct ld_event_info *ev)
{
	struct ld_sub *sub, *next;
	struct sk_buff *msg;

	if (!ld_subs_any())
		return;
	mutex_lock(&ld_subs_mutex);
	list_for_each_entry_safe(sub, next, &ld_subs, node) {
		if (!ld_space_visible(ev->space, &sub->viewer) ||
		    ld_sub_skipped(sub))
			continue;
		msg = ld_sub_render(skb, ev, &sub->viewer);
		if (!msg) {
			ld_stat_inc(events_dropped);
			continue;
		}
		/*
		 * The rendering may have slept while the socket was released
		 * and its port id bound again: look once more before sending.
		 * What stays open is netlink's own window, a few instructions
		 * of the release between freeing the port id and marking the
		 * socket dead, which every unicast to a port id has.
		 */
		if (sock_flag(sub->sk, SOCK_DEAD)) {
			kfree_skb(msg);
			continue;
		}
		if (genlmsg_unicast(sub->net, msg, sub->portid) ==
		    -ECONNREFUSED)
			ld_sub_free(sub);
	}
	mutex_unlock(&ld_subs_mutex);
}

/* A netlink socket is released: drop its subscription, if any. */
static int ld_subs_release(struct notifier_block *nb, unsigned long state,
			   void *data)
{
	struct netlink_notify *n = data;
	struct ld_sub *sub;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !ld_subs_any())
		return NOTIFY_DONE;
	mutex_lock(&ld_subs_mutex);
	sub = ld_sub_find(n->net, n->portid);
	if (sub)
		ld_sub_free(sub);
	mutex_unlock(&ld_subs_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block ld_subs_notifier = {
	.notifier_call = ld_subs_release,
};

/**
 * ld_subs_init() - watch for released sockets
 *
 * Return: 0 or a negative errno.
 */
int ld_subs_init(void)
{
	return netlink_register_notifier(&ld_subs_notifier);
}

/**
 * ld_subs_exit() - drop every subscriber
 *
 * Context: the family is unregistered and no event is queued.
 */
void ld_subs_exit(void)
{
	struct ld_sub *sub, *next;

	netlink_unregister_notifier(&ld_subs_notifier);
	mutex_lock(&ld_subs_mutex);
	list_for_each_entry_safe(sub, next, &ld_subs, node)
		ld_sub_free(sub);
	mutex_unlock(&ld_subs_mutex);
}
