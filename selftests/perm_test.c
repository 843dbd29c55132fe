// SPDX-License-Identifier: GPL-2.0
/*
 * The permission matrix of a named lockspace: for each class of caller
 * (its owner, a member of its group by effective or by supplementary gid,
 * any other uid) and each of the bits that class may have (none, read,
 * write, both), every call a session makes in it: ATTACH, QUERY, LOCK in
 * each mode, CONVERT from NONE, LOCK_SET, CONSISTENT, what /proc/lockdev
 * shows, and LOCKDEV_IOC_SPACE SET. Then CAP_IPC_OWNER alone, which grants
 * read and write whatever the bits, and not the owner's rights.
 *
 * The rules (the uapi header): a caller gets the bits of the first class
 * it is in, as for files: owner, then group, then other. No bit: ATTACH
 * fails with EACCES. Read: QUERY, /proc, SHARED and NONE. Write: APPEND
 * and EXCLUSIVE, conversions to them, and a set holding either (and, as
 * it may lock, SHARED and NONE). SET needs the owner's uid or
 * CAP_SYS_ADMIN (EPERM).
 *
 * Root sets up each lockspace with LOCKDEV_IOC_SPACE CREATE, owned by
 * OWNER and group GROUP, and holds a lock in it so that /proc has a line
 * to show or hide; children drop to the class's ids and probe. Every child
 * dies by SIGALRM after KID_TIMEOUT_S.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define SPACES		"/proc/lockdev/spaces"
#define OWNER		1101
#define GROUP		1101
#define MEMBER		1102
#define OTHER		1103
#define OTHER_GID	1103
#define HELD		"perm-held"

enum who { WHO_OWNER, WHO_GROUP_EGID, WHO_GROUP_SUPP, WHO_OTHER, WHO_IPC_OWNER };

/* The shift of a class's bits in the mode. */
static int shift_of(enum who who)
{
	switch (who) {
	case WHO_OWNER:
		return 6;
	case WHO_GROUP_EGID:
	case WHO_GROUP_SUPP:
		return 3;
	default:
		return 0;
	}
}

/* LOCKDEV_IOC_SPACE @op on @name, owner OWNER and group GROUP. */
static int space_ctl(int fd, const char *name, __u32 op, __u32 flags,
		     __u32 mode)
{
	bool create = op == LOCKDEV_SPACE_CREATE;

	return space_ctl_call(fd, name, strlen(name), op, flags, mode,
			      create ? OWNER : LOCKDEV_SPACE_KEEP,
			      create ? GROUP : LOCKDEV_SPACE_KEEP);
}

/* A session of root's in @space, holding HELD there: /proc has a line. */
static int hold(const char *space)
{
	struct lockdev_lock l;
	int fd = open_session();

	if (fd < 0 || attach_space(fd, space, LOCKDEV_ATTACH_NOCREATE, 0) ||
	    lock_call(fd, HELD, LOCKDEV_MODE_SHARED, 0, &l)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Keep only CAP_IPC_OWNER, as uid @uid. 0 or -1. */
static int become_ipc_owner(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) ||
	    setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -1;
	memset(data, 0, sizeof(data));
	data[0].effective = 1U << CAP_IPC_OWNER;
	data[0].permitted = 1U << CAP_IPC_OWNER;
	return syscall(SYS_capset, &hdr, data);
}

/* Take the ids of @who. 0 or -1. */
static int become_who(enum who who)
{
	gid_t group = GROUP;

	switch (who) {
	case WHO_OWNER:
		return become(OWNER, OTHER_GID);
	case WHO_GROUP_EGID:
		return become(MEMBER, GROUP);
	case WHO_GROUP_SUPP:
		if (become(0, OTHER_GID))
			return -1;
		if (setgroups(1, &group))
			return -1;
		return setresuid(MEMBER, MEMBER, MEMBER);
	case WHO_IPC_OWNER:
		return become_ipc_owner(OTHER, OTHER_GID);
	default:
		return become(OTHER, OTHER_GID);
	}
}

/* Whether /proc/lockdev/spaces lists lockspace @name. */
static bool listed_space(const char *name)
{
	char *buf = read_file(SPACES), *line, *save = NULL;
	size_t len = strlen(name);
	bool found = false;

	if (!buf)
		return false;
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = !strncmp(line, name, len) && line[len] == ' ';
	free(buf);
	return found;
}

/* How many lines /proc/lockdev/locks has for lockspace @name. */
static int listed_locks(const char *name)
{
	struct locks_line *l;
	int n = read_locks(NULL, name, &l);

	free(l);
	return n;
}

/* @what returned @ret with errno @err: it must fail with @want, or succeed. */
#define EXPECT_RESULT(what, want, ret, err) do {			\
	int __want = (want);						\
									\
	if (__want) {							\
		EXPECT_EQ(-1, (ret)) TH_LOG("%s", (what));		\
		EXPECT_EQ(__want, (err)) TH_LOG("%s", (what));		\
	} else {							\
		EXPECT_EQ(0, (ret)) TH_LOG("%s: errno %d", (what), (err)); \
	}								\
} while (0)

/* A set of a SHARED and a @mode item, without waiting. */
static int set_of(int fd, __u32 mode)
{
	struct lockdev_set_item it[2];
	struct lockdev_lock_set ls;

	memset(it, 0, sizeof(it));
	it[0].name = ptr("perm-set-a");
	it[0].name_len = strlen("perm-set-a");
	it[0].mode = LOCKDEV_MODE_SHARED;
	it[1].name = ptr("perm-set-b");
	it[1].name_len = strlen("perm-set-b");
	it[1].mode = mode;
	return set_call(fd, it, 2, LOCKDEV_LOCK_NONBLOCK, 0, &ls);
}

/*
 * The calls of a session attached with permissions @rd and @wr (the
 * caller's, already attached on @fd). Locks it takes it also releases.
 */
static void probe_calls(struct __test_metadata *_metadata, int fd, bool rd,
			bool wr)
{
	static const __u32 modes[] = {
		LOCKDEV_MODE_NONE, LOCKDEV_MODE_SHARED, LOCKDEV_MODE_APPEND,
		LOCKDEV_MODE_EXCLUSIVE,
	};
	struct lockdev_consistent c;
	struct lockdev_entry e[4];
	struct lockdev_query q;
	struct lockdev_lock l;
	int ret, err, i, want;

	ret = query(fd, HELD, &q, e, 4);
	err = errno;
	EXPECT_RESULT("QUERY", rd ? 0 : EACCES, ret, err);
	for (i = 0; i < 4; i++) {
		want = (modes[i] == LOCKDEV_MODE_APPEND ||
			modes[i] == LOCKDEV_MODE_EXCLUSIVE) && !wr ? EACCES : 0;
		ret = lock_call(fd, "perm-mode", modes[i],
				LOCKDEV_LOCK_NONBLOCK, &l);
		err = errno;
		EXPECT_RESULT(mode_name(modes[i]), want, ret, err);
		if (!ret)
			EXPECT_EQ(0, unlock_handle(fd, l.handle));
	}

	/* From NONE: up to each mode, and back. */
	ASSERT_EQ(0, lock_call(fd, "perm-cv", LOCKDEV_MODE_NONE, 0, &l));
	ret = convert_nonblock(fd, l.handle, LOCKDEV_MODE_EXCLUSIVE);
	err = errno;
	EXPECT_RESULT("CONVERT to exclusive", wr ? 0 : EACCES, ret, err);
	EXPECT_EQ(0, convert_nonblock(fd, l.handle, LOCKDEV_MODE_NONE));
	ret = convert_nonblock(fd, l.handle, LOCKDEV_MODE_APPEND);
	err = errno;
	EXPECT_RESULT("CONVERT to append", wr ? 0 : EACCES, ret, err);
	EXPECT_EQ(0, convert_nonblock(fd, l.handle, LOCKDEV_MODE_NONE));
	EXPECT_EQ(0, convert_nonblock(fd, l.handle, LOCKDEV_MODE_SHARED));
	EXPECT_EQ(0, unlock_handle(fd, l.handle));

	/* A set is refused whole, and takes nothing. */
	ret = set_of(fd, LOCKDEV_MODE_EXCLUSIVE);
	err = errno;
	EXPECT_RESULT("LOCK_SET", wr ? 0 : EACCES, ret, err);
	EXPECT_EQ(wr ? 2 : 0, list_count(fd));
	if (!ret) {
		EXPECT_EQ(0, unlock_name(fd, "perm-set-a"));
		EXPECT_EQ(0, unlock_name(fd, "perm-set-b"));
	}
	EXPECT_EQ(0, set_of(fd, LOCKDEV_MODE_SHARED));
	EXPECT_EQ(0, unlock_name(fd, "perm-set-a"));
	EXPECT_EQ(0, unlock_name(fd, "perm-set-b"));

	/* CONSISTENT needs EXCLUSIVE, so write permission. */
	ASSERT_EQ(0, lock_call(fd, "perm-cons", wr ? LOCKDEV_MODE_EXCLUSIVE :
			       LOCKDEV_MODE_SHARED, 0, &l));
	memset(&c, 0, sizeof(c));
	c.handle = l.handle;
	ret = ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c);
	err = errno;
	EXPECT_RESULT("CONSISTENT", wr ? 0 : EPERM, ret, err);
	EXPECT_EQ(0, unlock_handle(fd, l.handle));
}

/*
 * As @who, on lockspace @space with mode @mode: ATTACH, then every call,
 * /proc and SET; @rd and @wr are what the caller must get. The child's
 * exit status.
 */
static int probe(struct __test_metadata *_metadata, enum who who,
		 const char *space, __u32 mode, bool rd, bool wr)
{
	int fd, ret, err;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -3;
	if (pid == 0) {
		alarm(KID_TIMEOUT_S);
		if (become_who(who))
			_exit(2);
		fd = open_session();
		ASSERT_LE(0, fd);
		ret = attach_space(fd, space, LOCKDEV_ATTACH_NOCREATE, 0);
		err = errno;
		EXPECT_RESULT("ATTACH", rd || wr ? 0 : EACCES, ret, err);
		EXPECT_EQ(rd, listed_space(space));
		EXPECT_EQ(rd ? 1 : 0, listed_locks(space));
		if (!ret)
			probe_calls(_metadata, fd, rd, wr);
		/* Only the owner may change it, whatever the bits say. */
		ret = space_ctl(fd, space, LOCKDEV_SPACE_SET, 0, mode);
		err = errno;
		EXPECT_RESULT("SPACE SET", who == WHO_OWNER ? 0 : EPERM, ret,
			      err);
		KID_EXIT();
	}
	return reap(pid, 2 * KID_TIMEOUT_S * 1000);
}

FIXTURE(perm) {
	int fd;			/* root's, holding HELD in the lockspace */
	char space[64];
};

FIXTURE_VARIANT(perm) {
	enum who who;
	__u32 bits;		/* of the caller's class: 0, 4, 2 or 6 */
};

#define PERM_VARIANT(name, w, b)					\
	FIXTURE_VARIANT_ADD(perm, name) { .who = (w), .bits = (b) }

PERM_VARIANT(owner_none, WHO_OWNER, 0);
PERM_VARIANT(owner_r, WHO_OWNER, 4);
PERM_VARIANT(owner_w, WHO_OWNER, 2);
PERM_VARIANT(owner_rw, WHO_OWNER, 6);
PERM_VARIANT(group_none, WHO_GROUP_EGID, 0);
PERM_VARIANT(group_r, WHO_GROUP_EGID, 4);
PERM_VARIANT(group_w, WHO_GROUP_EGID, 2);
PERM_VARIANT(group_rw, WHO_GROUP_EGID, 6);
PERM_VARIANT(supp_group_none, WHO_GROUP_SUPP, 0);
PERM_VARIANT(supp_group_r, WHO_GROUP_SUPP, 4);
PERM_VARIANT(supp_group_w, WHO_GROUP_SUPP, 2);
PERM_VARIANT(supp_group_rw, WHO_GROUP_SUPP, 6);
PERM_VARIANT(other_none, WHO_OTHER, 0);
PERM_VARIANT(other_r, WHO_OTHER, 4);
PERM_VARIANT(other_w, WHO_OTHER, 2);
PERM_VARIANT(other_rw, WHO_OTHER, 6);
PERM_VARIANT(ipc_owner_none, WHO_IPC_OWNER, 0);
PERM_VARIANT(ipc_owner_r, WHO_IPC_OWNER, 4);

FIXTURE_SETUP(perm)
{
	int fd;

	snprintf(self->space, sizeof(self->space), "perm-%d", getpid());
	fd = open_session();
	ASSERT_LE(0, fd);
	/* Only the class's bits: the others' must not help it. */
	ASSERT_EQ(0, space_ctl(fd, self->space, LOCKDEV_SPACE_CREATE, 0,
			       variant->bits << shift_of(variant->who)));
	close(fd);
	self->fd = hold(self->space);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(perm)
{
	int fd = open_session();

	close(self->fd);
	if (fd >= 0) {
		space_ctl(fd, self->space, LOCKDEV_SPACE_REMOVE,
			  LOCKDEV_SPACE_FORCE, 0);
		close(fd);
	}
}

TEST_F(perm, calls)
{
	bool rd = variant->bits & 4, wr = variant->bits & 2;
	__u32 mode = variant->bits << shift_of(variant->who);

	/* CAP_IPC_OWNER grants both, in the lockspace's user namespace. */
	if (variant->who == WHO_IPC_OWNER)
		rd = wr = true;
	EXPECT_EQ(0, probe(_metadata, variant->who, self->space, mode, rd,
			   wr));
}

/*
 * The first class a caller is in decides, as for files: an owner whose
 * bits are none gets nothing though the group and others may do all.
 */
TEST(owner_bits_first)
{
	char space[64];
	int fd, held;

	snprintf(space, sizeof(space), "perm-first-%d", getpid());
	fd = open_session();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, space_ctl(fd, space, LOCKDEV_SPACE_CREATE, 0, 0066));
	held = hold(space);
	ASSERT_LE(0, held);
	EXPECT_EQ(0, probe(_metadata, WHO_OWNER, space, 0066, false, false));
	EXPECT_EQ(0, probe(_metadata, WHO_GROUP_EGID, space, 0066, true,
			   true));
	EXPECT_EQ(0, probe(_metadata, WHO_OTHER, space, 0066, true, true));
	ASSERT_EQ(0, space_ctl(fd, space, LOCKDEV_SPACE_SET, 0, 0406));
	EXPECT_EQ(0, probe(_metadata, WHO_GROUP_SUPP, space, 0406, false,
			   false));
	EXPECT_EQ(0, probe(_metadata, WHO_OWNER, space, 0406, true, false));
	close(held);
	EXPECT_EQ(0, space_ctl(fd, space, LOCKDEV_SPACE_REMOVE, 0, 0));
	close(fd);
}

TEST_HARNESS_MAIN
