// SPDX-License-Identifier: LGPL-2.1-or-later
/* Helpers of the netlink side of liblockdev (nl.h). */
#include <errno.h>
#include <string.h>

#include <netlink/errno.h>

#include <lockdev/uapi.h>

#include "nl.h"

/* libnl's error codes as errnos. */
int lockdev_nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_TRUNC:
	case NLE_MSG_OVERFLOW:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOATTR:
		return -ENODATA;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_IMMUTABLE:
		return -EROFS;
	default:
		return -EIO;
	}
}

const struct nla_policy lockdev_nla_policy[LOCKDEV_A_MAX + 1] = {
	[LOCKDEV_A_EVENT] = { .type = NLA_U32 },
	[LOCKDEV_A_MODE] = { .type = NLA_U32 },
	[LOCKDEV_A_STATE] = { .type = NLA_U32 },
	[LOCKDEV_A_LEVEL] = { .type = NLA_U32 },
	[LOCKDEV_A_SESSION] = { .type = NLA_U64 },
	[LOCKDEV_A_PID] = { .type = NLA_U32 },
	[LOCKDEV_A_COMM] = { .type = NLA_STRING },
	[LOCKDEV_A_AGE_NS] = { .type = NLA_U64 },
	[LOCKDEV_A_OWNER_DIED] = { .type = NLA_U8 },
	[LOCKDEV_A_GENERATION] = { .type = NLA_U64 },
	[LOCKDEV_A_WAITS_FOR] = { .type = NLA_NESTED },
	[LOCKDEV_A_MEMBER] = { .type = NLA_NESTED },
	[LOCKDEV_A_FLAGS] = { .type = NLA_U32 },
	[LOCKDEV_A_HELD_MODE] = { .type = NLA_U32 },
	[LOCKDEV_A_HELD_LEVEL] = { .type = NLA_U32 },
	[LOCKDEV_A_ORDER_MODE] = { .type = NLA_U32 },
	[LOCKDEV_A_EDGE] = { .type = NLA_NESTED },
	[LOCKDEV_A_STAT] = { .type = NLA_NESTED },
	[LOCKDEV_A_STAT_NAME] = { .type = NLA_STRING },
	[LOCKDEV_A_STAT_VALUE] = { .type = NLA_U64 },
	[LOCKDEV_A_HELD_THRESHOLD_MS] = { .type = NLA_U32 },
	[LOCKDEV_A_WAIT_THRESHOLD_MS] = { .type = NLA_U32 },
	[LOCKDEV_A_WAITS_FOR_TRUNCATED] = { .type = NLA_FLAG },
	[LOCKDEV_A_ALL] = { .type = NLA_FLAG },
};

/* Copy a binary attribute as a NUL-terminated string of at most @room - 1. */
uint32_t lockdev_nla_copy(char *dst, size_t room,
			  const struct nlattr *nla)
{
	size_t len;

	if (!nla) {
		dst[0] = '\0';
		return 0;
	}
	len = (size_t)nla_len(nla);
	if (len > room - 1)
		len = room - 1;
	memcpy(dst, nla_data(nla), len);
	dst[len] = '\0';
	return (uint32_t)len;
}

uint32_t lockdev_nla_u32(const struct nlattr *nla)
{
	return nla ? nla_get_u32(nla) : 0;
}

uint64_t lockdev_nla_u64(const struct nlattr *nla)
{
	return nla ? nla_get_u64(nla) : 0;
}

