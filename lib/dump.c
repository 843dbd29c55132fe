// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The dump of locks: the module's LOCKDEV_CMD_GET_LOCKS over generic
 * netlink, one struct lockdev_lock_info per holder, waiter or idle lock,
 * handed to the caller's function as each message is parsed. Every call has
 * a socket of its own, so calls never share anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "internal.h"
#include "nl.h"

struct lockdev_dump {
	int family;
	int (*fn)(const struct lockdev_lock_info *info, void *arg);
	void *arg;
	int ret;			/* an error, or what fn returned */
	struct lockdev_lock_info info;
};

/* The pids of WAITS_FOR, as many as fit. */
static void lockdev_parse_waits(struct lockdev_lock_info *info,
				const struct nlattr *nest)
{
	const struct nlattr *nla;
	int rem;

	nla_for_each_nested(nla, nest, rem) {
		if (nla_type(nla) != LOCKDEV_A_PID ||
		    nla_len(nla) < (int)sizeof(uint32_t))
			continue;
		if (info->nr_waits_for == LOCKDEV_WAITS_FOR_MAX) {
			info->waits_for_truncated = 1;
			break;
		}
		info->waits_for[info->nr_waits_for++] = nla_get_u32(nla);
	}
}

static int lockdev_dump_valid(struct nl_msg *msg, void *arg)
{
	struct lockdev_dump *d = arg;
	struct lockdev_lock_info *info = &d->info;
	struct nlattr *tb[LOCKDEV_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlh->nlmsg_type != d->family)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, LOCKDEV_A_MAX, lockdev_nla_policy) ||
	    !tb[LOCKDEV_A_LOCKSPACE] || !tb[LOCKDEV_A_NAME] ||
	    !tb[LOCKDEV_A_STATE]) {
		d->ret = -EPROTO;
		return NL_STOP;
	}
	memset(info, 0, sizeof(*info));
	info->lockspace_len = LOCKDEV_NLA_STR(info->lockspace,
					      tb[LOCKDEV_A_LOCKSPACE]);
	info->name_len = LOCKDEV_NLA_STR(info->name, tb[LOCKDEV_A_NAME]);
	info->level = lockdev_nla_u32(tb[LOCKDEV_A_LEVEL]);
	info->mode = lockdev_nla_u32(tb[LOCKDEV_A_MODE]);
	info->state = lockdev_nla_u32(tb[LOCKDEV_A_STATE]);
	info->pid = lockdev_nla_u32(tb[LOCKDEV_A_PID]);
	info->session = lockdev_nla_u64(tb[LOCKDEV_A_SESSION]);
	LOCKDEV_NLA_STR(info->comm, tb[LOCKDEV_A_COMM]);
	info->age_ns = lockdev_nla_u64(tb[LOCKDEV_A_AGE_NS]);
	info->generation = lockdev_nla_u64(tb[LOCKDEV_A_GENERATION]);
	info->owner_died = tb[LOCKDEV_A_OWNER_DIED] &&
			   nla_get_u8(tb[LOCKDEV_A_OWNER_DIED]);
	if (tb[LOCKDEV_A_WAITS_FOR])
		lockdev_parse_waits(info, tb[LOCKDEV_A_WAITS_FOR]);
	if (tb[LOCKDEV_A_WAITS_FOR_TRUNCATED])
		info->waits_for_truncated = 1;
	d->ret = d->fn(info, d->arg);
	return d->ret ? NL_STOP : NL_OK;
}

/* The end of the dump, which carries the error that cut it short, if any. */
static int lockdev_dump_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct lockdev_dump *d = arg;
	int err;

	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(err))) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0)
			d->ret = err;
	}
	return NL_STOP;
}

static int lockdev_dump_error(struct sockaddr_nl *who, struct nlmsgerr *e,
			      void *arg)
{
	struct lockdev_dump *d = arg;

	(void)who;
	d->ret = e->error < 0 ? e->error : -EPROTO;
	return NL_STOP;
}

static int lockdev_do_dump(unsigned int flags,
			   int (*fn)(const struct lockdev_lock_info *info,
				     void *arg),
			   void *arg)
{
	struct nl_msg *msg = NULL;
	struct lockdev_dump *d;
	struct nl_sock *sk;
	struct nl_cb *cb;
	int ret;

	if ((flags & ~LOCKDEV_DUMP_FLAGS_ALL) || !fn)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	sk = nl_socket_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!d || !sk || !cb) {
		ret = -ENOMEM;
		goto out;
	}
	d->fn = fn;
	d->arg = arg;
	/* The dump ends with NLMSG_DONE or an error: no acks to wait for. */
	nl_socket_disable_auto_ack(sk);
	ret = genl_connect(sk);
	if (ret) {
		ret = lockdev_nl_errno(ret);
		goto out;
	}
	/* Looking the family up loads the module if it is not loaded. */
	ret = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME);
	if (ret < 0) {
		ret = lockdev_nl_errno(ret);
		goto out;
	}
	d->family = ret;
	msg = nlmsg_alloc();
	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, d->family, 0,
			 NLM_F_DUMP, LOCKDEV_CMD_GET_LOCKS,
			 LOCKDEV_GENL_VERSION) ||
	    ((flags & LOCKDEV_DUMP_IDLE) &&
	     nla_put_flag(msg, LOCKDEV_A_ALL))) {
		ret = -ENOMEM;
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, lockdev_dump_valid, d);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, lockdev_dump_finish, d);
	nl_cb_err(cb, NL_CB_CUSTOM, lockdev_dump_error, d);
	ret = nl_send_auto(sk, msg);
	if (ret < 0) {
		ret = lockdev_nl_errno(ret);
		goto out;
	}
	ret = nl_recvmsgs(sk, cb);
	ret = d->ret ? d->ret : lockdev_nl_errno(ret);
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	nl_socket_free(sk);
	free(d);
	return ret;
}

/* libnl and the socket calls set errno, which the library leaves alone. */
LOCKDEV_API
int lockdev_locks_dump(unsigned int flags,
		       int (*fn)(const struct lockdev_lock_info *info,
				 void *arg),
		       void *arg)
{
	int saved = errno, ret = lockdev_do_dump(flags, fn, arg);

	errno = saved;
	return ret;
}
