// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The event monitor: a socket subscribed to the lockdev netlink family's
 * events (LOCKDEV_CMD_SUBSCRIBE, which works in every network namespace;
 * with a module that lacks it, a member of the "events" group), read as
 * plain structs, and the family's threshold command. libnl
 * sets the sockets up and parses; the monitor reads the socket itself so
 * that an overrun (ENOBUFS) reaches the caller as such.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "internal.h"
#include "nl.h"

/* Room for the datagrams read at once: one event each, the largest a cycle. */
#define LOCKDEV_MONITOR_BUF	(256 * 1024)

struct lockdev_monitor {
	struct nl_sock *events;		/* subscribed, or member of the group */
	struct nl_sock *cmd;		/* requests and their replies */
	int family;
	unsigned char *buf;		/* what recv() returned */
	size_t len;
	size_t off;			/* the next message in @buf */
	struct lockdev_event_member members[LOCKDEV_CYCLE_MAX];
};

static void lockdev_monitor_free(struct lockdev_monitor *mon)
{
	if (!mon)
		return;
	nl_socket_free(mon->events);
	nl_socket_free(mon->cmd);
	free(mon->buf);
	free(mon);
}

/*
 * The errno of the ack on the events socket, read past any event that
 * came before it (those are lost), or of the read.
 */
static int lockdev_monitor_ack(struct lockdev_monitor *mon)
{
	struct nlmsghdr *nlh;
	ssize_t n;
	int rem;

	for (;;) {
		n = recv(nl_socket_get_fd(mon->events), mon->buf,
			 LOCKDEV_MONITOR_BUF, 0);
		if (n < 0)
			return -errno;
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)mon->buf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem))
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)nlmsg_data(nlh))->error;
	}
}

/*
 * Subscribe the events socket (the kernel's errno, which libnl would lose:
 * EDQUOT, ENOSPC); with a module that does not know the command, join the
 * group.
 */
static int lockdev_monitor_subscribe(struct lockdev_monitor *mon)
{
	int grp, ret;

	ret = genl_send_simple(mon->events, mon->family, LOCKDEV_CMD_SUBSCRIBE,
			       LOCKDEV_GENL_VERSION, NLM_F_ACK);
	if (ret < 0)
		return lockdev_nl_errno(ret);
	ret = lockdev_monitor_ack(mon);
	if (ret != -EOPNOTSUPP)
		return ret;
	grp = genl_ctrl_resolve_grp(mon->cmd, LOCKDEV_GENL_NAME,
				    LOCKDEV_GENL_MCGRP_EVENTS);
	if (grp >= 0)
		grp = nl_socket_add_membership(mon->events, grp);
	return lockdev_nl_errno(grp);
}

static int lockdev_monitor_do_open(struct lockdev_monitor **monp,
				   unsigned int flags)
{
	struct lockdev_monitor *mon;
	int ret;

	if (flags & ~LOCKDEV_MONITOR_FLAGS_ALL)
		return -EINVAL;
	mon = calloc(1, sizeof(*mon));
	if (!mon)
		return -ENOMEM;
	mon->buf = malloc(LOCKDEV_MONITOR_BUF);
	mon->events = nl_socket_alloc();
	mon->cmd = nl_socket_alloc();
	if (!mon->buf || !mon->events || !mon->cmd) {
		ret = -ENOMEM;
		goto err;
	}
	/* A reply or an error answers each request: no acks to skip. */
	nl_socket_disable_auto_ack(mon->cmd);
	ret = genl_connect(mon->cmd);
	if (!ret)
		ret = genl_connect(mon->events);
	if (ret)
		goto err_nl;
	/* Looking the family up loads the module if it is not loaded. */
	ret = genl_ctrl_resolve(mon->cmd, LOCKDEV_GENL_NAME);
	if (ret < 0)
		goto err_nl;
	mon->family = ret;
	nl_socket_disable_seq_check(mon->events);
	ret = lockdev_monitor_subscribe(mon);
	if (ret)
		goto err;
	if (flags & LOCKDEV_MONITOR_NONBLOCK)
		ret = nl_socket_set_nonblocking(mon->events);
	if (ret)
		goto err_nl;
	*monp = mon;
	return 0;

err_nl:
	ret = lockdev_nl_errno(ret);
err:
	lockdev_monitor_free(mon);
	return ret;
}

LOCKDEV_API
int lockdev_monitor_fd(const struct lockdev_monitor *mon)
{
	return nl_socket_get_fd(mon->events);
}

static int lockdev_parse_member(struct lockdev_event_member *m,
				struct nlattr *nest)
{
	struct nlattr *tb[LOCKDEV_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, LOCKDEV_A_MAX, nest, lockdev_nla_policy);
	if (ret)
		return lockdev_nl_errno(ret);
	memset(m, 0, sizeof(*m));
	m->session = lockdev_nla_u64(tb[LOCKDEV_A_SESSION]);
	m->pid = lockdev_nla_u32(tb[LOCKDEV_A_PID]);
	m->flags = lockdev_nla_u32(tb[LOCKDEV_A_FLAGS]);
	m->held_mode = lockdev_nla_u32(tb[LOCKDEV_A_HELD_MODE]);
	m->held_level = lockdev_nla_u32(tb[LOCKDEV_A_HELD_LEVEL]);
	m->wait_mode = lockdev_nla_u32(tb[LOCKDEV_A_MODE]);
	m->wait_level = lockdev_nla_u32(tb[LOCKDEV_A_LEVEL]);
	LOCKDEV_NLA_STR(m->comm, tb[LOCKDEV_A_COMM]);
	m->held_name_len = LOCKDEV_NLA_STR(m->held_name,
					   tb[LOCKDEV_A_HELD_NAME]);
	m->wait_name_len = LOCKDEV_NLA_STR(m->wait_name, tb[LOCKDEV_A_NAME]);
	return 0;
}

static int lockdev_parse_edge(struct lockdev_event_edge *e,
			      struct nlattr *nest)
{
	struct nlattr *tb[LOCKDEV_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, LOCKDEV_A_MAX, nest, lockdev_nla_policy);
	if (ret)
		return lockdev_nl_errno(ret);
	memset(e, 0, sizeof(*e));
	e->pid = lockdev_nla_u32(tb[LOCKDEV_A_PID]);
	LOCKDEV_NLA_STR(e->comm, tb[LOCKDEV_A_COMM]);
	e->class_from_len = LOCKDEV_NLA_STR(e->class_from,
					    tb[LOCKDEV_A_CLASS_FROM]);
	e->class_to_len = LOCKDEV_NLA_STR(e->class_to, tb[LOCKDEV_A_CLASS_TO]);
	e->from_name_len = LOCKDEV_NLA_STR(e->from_name,
					   tb[LOCKDEV_A_HELD_NAME]);
	e->to_name_len = LOCKDEV_NLA_STR(e->to_name, tb[LOCKDEV_A_NAME]);
	return 0;
}

/* Fill @ev from one event message. */
static int lockdev_parse_event(struct lockdev_monitor *mon,
			       struct nlmsghdr *nlh, struct lockdev_event *ev)
{
	struct nlattr *tb[LOCKDEV_A_MAX + 1], *nla;
	int rem, ret;

	ret = genlmsg_parse(nlh, 0, tb, LOCKDEV_A_MAX, lockdev_nla_policy);
	if (ret)
		return lockdev_nl_errno(ret);
	memset(ev, 0, sizeof(*ev));
	ev->kind = lockdev_nla_u32(tb[LOCKDEV_A_EVENT]);
	ev->lockspace_len = LOCKDEV_NLA_STR(ev->lockspace,
					    tb[LOCKDEV_A_LOCKSPACE]);
	ev->name_len = LOCKDEV_NLA_STR(ev->name, tb[LOCKDEV_A_NAME]);
	ev->mode = lockdev_nla_u32(tb[LOCKDEV_A_MODE]);
	ev->state = lockdev_nla_u32(tb[LOCKDEV_A_STATE]);
	ev->level = lockdev_nla_u32(tb[LOCKDEV_A_LEVEL]);
	ev->pid = lockdev_nla_u32(tb[LOCKDEV_A_PID]);
	ev->session = lockdev_nla_u64(tb[LOCKDEV_A_SESSION]);
	ev->age_ns = lockdev_nla_u64(tb[LOCKDEV_A_AGE_NS]);
	ev->generation = lockdev_nla_u64(tb[LOCKDEV_A_GENERATION]);
	ev->order_mode = lockdev_nla_u32(tb[LOCKDEV_A_ORDER_MODE]);
	LOCKDEV_NLA_STR(ev->comm, tb[LOCKDEV_A_COMM]);
	ev->members = mon->members;
	nla_for_each_attr(nla, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(nla) == LOCKDEV_A_MEMBER &&
		    ev->nr_members < LOCKDEV_CYCLE_MAX) {
			ret = lockdev_parse_member(&mon->members[ev->nr_members],
						   nla);
			if (ret)
				return ret;
			ev->nr_members++;
		} else if (nla_type(nla) == LOCKDEV_A_EDGE &&
			   ev->nr_edges < 2) {
			ret = lockdev_parse_edge(&ev->edges[ev->nr_edges], nla);
			if (ret)
				return ret;
			ev->nr_edges++;
		}
	}
	return 0;
}

static int lockdev_monitor_do_read(struct lockdev_monitor *mon,
				   struct lockdev_event *ev)
{
	struct nlmsghdr *nlh;
	ssize_t n;

	for (;;) {
		while (mon->off < mon->len) {
			nlh = (struct nlmsghdr *)(mon->buf + mon->off);
			if (!nlmsg_ok(nlh, (int)(mon->len - mon->off))) {
				mon->off = mon->len;
				break;
			}
			mon->off += NLMSG_ALIGN(nlh->nlmsg_len);
			if (nlh->nlmsg_type == mon->family &&
			    genlmsg_valid_hdr(nlh, 0) &&
			    ((struct genlmsghdr *)nlmsg_data(nlh))->cmd ==
			    LOCKDEV_CMD_EVENT)
				return lockdev_parse_event(mon, nlh, ev);
		}
		n = recv(nl_socket_get_fd(mon->events), mon->buf,
			 LOCKDEV_MONITOR_BUF, 0);
		if (n < 0)
			return -errno;
		mon->len = (size_t)n;
		mon->off = 0;
	}
}

/* The reply to LOCKDEV_CMD_THRESHOLDS. */
struct lockdev_thresholds {
	uint32_t held;
	uint32_t wait;
	int err;
};

static int lockdev_thresholds_reply(struct nl_msg *msg, void *arg)
{
	struct lockdev_thresholds *t = arg;
	struct nlattr *tb[LOCKDEV_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LOCKDEV_A_MAX,
			  lockdev_nla_policy) ||
	    !tb[LOCKDEV_A_HELD_THRESHOLD_MS] ||
	    !tb[LOCKDEV_A_WAIT_THRESHOLD_MS]) {
		t->err = -EPROTO;
		return NL_STOP;
	}
	t->held = nla_get_u32(tb[LOCKDEV_A_HELD_THRESHOLD_MS]);
	t->wait = nla_get_u32(tb[LOCKDEV_A_WAIT_THRESHOLD_MS]);
	return NL_OK;
}

static int lockdev_thresholds_error(struct sockaddr_nl *who,
				    struct nlmsgerr *e, void *arg)
{
	struct lockdev_thresholds *t = arg;

	(void)who;
	t->err = e->error;
	return NL_STOP;
}

static int lockdev_monitor_do_thresholds(struct lockdev_monitor *mon,
					 int64_t held_ms, int64_t wait_ms,
					 uint32_t *held, uint32_t *wait)
{
	struct lockdev_thresholds t = { 0 };
	struct nl_msg *msg;
	struct nl_cb *cb;
	int ret;

	if (held_ms > UINT32_MAX || wait_ms > UINT32_MAX ||
	    held_ms < -1 || wait_ms < -1)
		return -EINVAL;
	msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb) {
		ret = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, mon->family, 0, 0,
			 LOCKDEV_CMD_THRESHOLDS, LOCKDEV_GENL_VERSION) ||
	    (held_ms >= 0 &&
	     nla_put_u32(msg, LOCKDEV_A_HELD_THRESHOLD_MS, (uint32_t)held_ms)) ||
	    (wait_ms >= 0 &&
	     nla_put_u32(msg, LOCKDEV_A_WAIT_THRESHOLD_MS, (uint32_t)wait_ms))) {
		ret = -ENOMEM;
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, lockdev_thresholds_reply, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, lockdev_thresholds_error, &t);
	ret = nl_send_auto(mon->cmd, msg);
	if (ret < 0) {
		ret = lockdev_nl_errno(ret);
		goto out;
	}
	/* The reply, or an error. */
	ret = nl_recvmsgs(mon->cmd, cb);
	ret = t.err ? t.err : lockdev_nl_errno(ret);
	if (!ret) {
		if (held)
			*held = t.held;
		if (wait)
			*wait = t.wait;
	}
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return ret;
}

/*
 * The entry points: libnl and the socket calls set errno, which the
 * library leaves as it found it.
 */
LOCKDEV_API
void lockdev_monitor_close(struct lockdev_monitor *mon)
{
	int saved = errno;

	lockdev_monitor_free(mon);
	errno = saved;
}

LOCKDEV_API
int lockdev_monitor_open(struct lockdev_monitor **monp, unsigned int flags)
{
	int saved = errno, ret = lockdev_monitor_do_open(monp, flags);

	errno = saved;
	return ret;
}

LOCKDEV_API
int lockdev_monitor_read(struct lockdev_monitor *mon,
			 struct lockdev_event *ev)
{
	int saved = errno, ret = lockdev_monitor_do_read(mon, ev);

	errno = saved;
	return ret;
}

LOCKDEV_API
int lockdev_monitor_thresholds(struct lockdev_monitor *mon, int64_t held_ms,
			       int64_t wait_ms, uint32_t *held,
			       uint32_t *wait)
{
	int saved = errno;
	int ret = lockdev_monitor_do_thresholds(mon, held_ms, wait_ms, held,
						wait);

	errno = saved;
	return ret;
}
