/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink over a raw socket, without libnl, for the tests that must
 * control every byte they send (the fault-injection pass and the fuzzer):
 * open a socket, resolve the lockdev family, send a request, read the
 * replies of a dump.
 */
#ifndef LOCKDEV_SELFTESTS_GENL_UTIL_H
#define LOCKDEV_SELFTESTS_GENL_UTIL_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#define GENL_BUF	32768

/* The attributes of a message start here (after both headers). */
#define GENL_HDRLEN_ALL	(NLMSG_HDRLEN + GENL_HDRLEN)

static inline int genl_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (sk < 0)
		return -1;
	if (bind(sk, (struct sockaddr *)&sa, sizeof(sa))) {
		close(sk);
		return -1;
	}
	return sk;
}

/* Append attribute @type of @len bytes at @buf + *@off (room checked). */
static inline int genl_put(char *buf, size_t size, size_t *off, __u16 type,
			   const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + *off);

	if (*off + NLA_ALIGN(NLA_HDRLEN + len) > size)
		return -1;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(buf + *off + NLA_HDRLEN, data, len);
	memset(buf + *off + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	*off += NLA_ALIGN(NLA_HDRLEN + len);
	return 0;
}

/*
 * Send one message: headers for @family, @cmd, version @version and
 * nlmsg_flags @flags, then @alen bytes of attributes. Return 0 or -1.
 */
static inline int genl_send(int sk, __u16 family, __u8 cmd, __u8 version,
			    __u16 flags, const void *attrs, size_t alen)
{
	static char buf[GENL_BUF];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (GENL_HDRLEN_ALL + alen > sizeof(buf))
		return -1;
	memset(buf, 0, GENL_HDRLEN_ALL);
	nh->nlmsg_len = GENL_HDRLEN_ALL + alen;
	nh->nlmsg_type = family;
	nh->nlmsg_flags = flags;
	nh->nlmsg_seq = 1;
	gh->cmd = cmd;
	gh->version = version;
	memcpy(buf + GENL_HDRLEN_ALL, attrs, alen);
	if (sendto(sk, buf, nh->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)nh->nlmsg_len)
		return -1;
	return 0;
}

/*
 * Read the answers to a request until its end, NLMSG_DONE or NLMSG_ERROR
 * (so a "do" request must ask for an ack, NLM_F_ACK), waiting at most @ms
 * for each datagram.
 * Return 0 with the number of data messages in *@nmsg, or -1 with errno
 * set: the error the kernel acked, ETIMEDOUT, or that of recv().
 */
static inline int genl_recv_all(int sk, int ms, int *nmsg)
{
	static char buf[GENL_BUF];
	struct pollfd p = { .fd = sk, .events = POLLIN };
	struct nlmsghdr *nh;
	ssize_t n;
	int err;

	*nmsg = 0;
	for (;;) {
		if (poll(&p, 1, ms) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = recv(sk, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			/* Both carry an errno, 0 when all went well. */
			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				err = 0;
				if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					err = *(int *)NLMSG_DATA(nh);
				if (!err)
					return 0;
				errno = -err;
				return -1;
			}
			(*nmsg)++;
		}
	}
}

/* The id of generic netlink family @name, or -1 (errno set). */
static inline int genl_family(int sk, const char *name)
{
	static char buf[GENL_BUF];
	char attrs[64];
	size_t off = 0;
	struct nlmsghdr *nh;
	struct nlattr *a;
	ssize_t n;
	int left;

	if (genl_put(attrs, sizeof(attrs), &off, CTRL_ATTR_FAMILY_NAME, name,
		     strlen(name) + 1) ||
	    genl_send(sk, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_REQUEST,
		      attrs, off))
		return -1;
	n = recv(sk, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, n))
		return errno = EPROTO, -1;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		errno = -((struct nlmsgerr *)NLMSG_DATA(nh))->error;
		return -1;
	}
	left = nh->nlmsg_len - GENL_HDRLEN_ALL;
	for (a = (struct nlattr *)((char *)nh + GENL_HDRLEN_ALL);
	     left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	     a->nla_len <= left;
	     left -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			return *(__u16 *)((char *)a + NLA_HDRLEN);
	errno = ENOENT;
	return -1;
}

#endif /* LOCKDEV_SELFTESTS_GENL_UTIL_H */
