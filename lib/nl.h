/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the netlink side of liblockdev (the monitor, the dump of locks)
 * shares, with libnl-genl-3; not part of its API.
 */
#ifndef LIBLOCKDEV_NL_H
#define LIBLOCKDEV_NL_H

#include <stddef.h>
#include <stdint.h>

#include <netlink/attr.h>

/*
 * Every LOCKDEV_A_* as the module sends it, for each parse: an attribute
 * shorter than its type, or a string without its NUL, fails the parse
 * instead of being read past its end.
 */
extern const struct nla_policy lockdev_nla_policy[];

/* libnl's error codes (negative or not) as negative errnos. */
int lockdev_nl_errno(int nlerr);

/* Copy a binary attribute as a NUL-terminated string of at most @room - 1. */
uint32_t lockdev_nla_copy(char *dst, size_t room, const struct nlattr *nla);

/* The value of an attribute, 0 if it is absent. */
uint32_t lockdev_nla_u32(const struct nlattr *nla);
uint64_t lockdev_nla_u64(const struct nlattr *nla);

#define LOCKDEV_NLA_STR(dst, nla) \
	lockdev_nla_copy((dst), sizeof(dst), (nla))

#endif /* LIBLOCKDEV_NL_H */
