// SPDX-License-Identifier: GPL-2.0
/* LOCKDEV_IOC_VERSION and the ioctl conventions every call shares. */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define VERSION_NR _IOC_NR(LOCKDEV_IOC_VERSION)
#define RW (_IOC_READ | _IOC_WRITE)

/* The version struct followed by bytes a newer header would define. */
struct version_grown {
	struct lockdev_version v;
	__u8 tail[64];
};

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open_session();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* A version struct with its output fields poisoned and its inputs zero. */
static void version_input(struct lockdev_version *v)
{
	poison(v, sizeof(*v));
	v->flags = 0;
	memset(v->reserved, 0, sizeof(v->reserved));
}

static void read_module_version(struct __test_metadata *_metadata,
				unsigned int *major, unsigned int *minor,
				unsigned int *patch)
{
	FILE *f = fopen("/sys/module/lockdev/version", "r");

	ASSERT_NE(NULL, f);
	ASSERT_EQ(3, fscanf(f, "%u.%u.%u", major, minor, patch));
	fclose(f);
}

TEST_F(dev, answers)
{
	unsigned int major, minor, patch;
	struct lockdev_version v;

	read_module_version(_metadata, &major, &minor, &patch);
	version_input(&v);
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
	EXPECT_EQ(0, v.flags);
	EXPECT_EQ(LOCKDEV_ABI_VERSION, v.abi_version);
	EXPECT_EQ(major, v.major);
	EXPECT_EQ(minor, v.minor);
	EXPECT_EQ(patch, v.patch);
	EXPECT_EQ(LOCKDEV_NAME_MAX, v.name_max);
	EXPECT_EQ(LOCKDEV_FEATURE_ALL, v.features);
	EXPECT_EQ(0, v.reserved[0]);
	EXPECT_EQ(0, v.reserved[1]);
}

TEST(struct_layout)
{
	EXPECT_EQ(LOCKDEV_VERSION_SIZE_VER0, sizeof(struct lockdev_version));
	EXPECT_EQ(LOCKDEV_VERSION_SIZE_VER0, _IOC_SIZE(LOCKDEV_IOC_VERSION));
	EXPECT_EQ(RW, _IOC_DIR(LOCKDEV_IOC_VERSION));
}

TEST_F(dev, unknown_nr)
{
	struct lockdev_version v;

	version_input(&v);
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC, 0x7f, sizeof(v)), &v));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, wrong_magic)
{
	struct lockdev_version v;

	version_input(&v);
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(RW, 'T', VERSION_NR, sizeof(v)), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, FIONREAD, &v));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, wrong_direction)
{
	struct lockdev_version v;

	version_input(&v);
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(_IOC_READ, LOCKDEV_IOC_MAGIC, VERSION_NR, sizeof(v)), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(_IOC_WRITE, LOCKDEV_IOC_MAGIC, VERSION_NR, sizeof(v)), &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(_IOC_NONE, LOCKDEV_IOC_MAGIC, VERSION_NR, 0), &v));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, size_too_small)
{
	struct lockdev_version v, before;

	version_input(&v);
	before = v;
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC, VERSION_NR,
					   LOCKDEV_VERSION_SIZE_VER0 - 8), &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(&v, &before, sizeof(v)));
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC, VERSION_NR, 0), &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, size_grown_zero_tail)
{
	struct version_grown g;
	unsigned int i;

	version_input(&g.v);
	memset(g.tail, 0, sizeof(g.tail));
	ASSERT_EQ(0, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC, VERSION_NR, sizeof(g)), &g));
	EXPECT_EQ(LOCKDEV_ABI_VERSION, g.v.abi_version);
	EXPECT_EQ(LOCKDEV_NAME_MAX, g.v.name_max);
	for (i = 0; i < sizeof(g.tail); i++)
		EXPECT_EQ(0, g.tail[i]);
}

TEST_F(dev, size_grown_nonzero_tail)
{
	struct version_grown g, before;

	version_input(&g.v);
	memset(g.tail, 0, sizeof(g.tail));
	g.tail[sizeof(g.tail) - 1] = 1;
	before = g;
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC, VERSION_NR, sizeof(g)), &g));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, memcmp(&g, &before, sizeof(g)));
}

TEST_F(dev, size_too_big)
{
	size_t size = 4096 + 8;
	struct lockdev_version *v = calloc(1, size);

	ASSERT_NE(NULL, v);
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC, VERSION_NR, size), v));
	EXPECT_EQ(E2BIG, errno);
	free(v);
}

TEST_F(dev, size_largest)
{
	size_t size = 4096;
	struct lockdev_version *v = calloc(1, size);

	ASSERT_NE(NULL, v);
	EXPECT_EQ(0, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC, VERSION_NR, size), v));
	EXPECT_EQ(LOCKDEV_ABI_VERSION, v->abi_version);
	free(v);
}

TEST_F(dev, nonzero_flags)
{
	struct lockdev_version v, before;
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		version_input(&v);
		v.flags = 1u << bit;
		before = v;
		EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, memcmp(&v, &before, sizeof(v)));
	}
}

TEST_F(dev, nonzero_reserved)
{
	struct lockdev_version v, before;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		version_input(&v);
		v.reserved[i] = 1ull << 63;
		before = v;
		EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, memcmp(&v, &before, sizeof(v)));
	}
}

TEST_F(dev, bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_VERSION, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, read_only_buffer)
{
	struct lockdev_version *v;

	/* Readable, so the input checks pass, but not writable. */
	v = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, v);
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_VERSION, v));
	EXPECT_EQ(EFAULT, errno);
	munmap(v, 4096);
}

/*
 * Copy @size bytes of @arg where its first @ro bytes end a read-only page
 * and the rest start the writable page after it: a call that writes only
 * its outputs, which all lie past @ro, succeeds there.
 */
static void *split_arg(const void *arg, size_t size, size_t ro)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map, *p;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	p = map + page - ro;
	memcpy(p, arg, size);
	if (mprotect(map, page, PROT_READ)) {
		munmap(map, 2 * page);
		return NULL;
	}
	return p;
}

static void split_free(void *p, size_t ro)
{
	long page = sysconf(_SC_PAGESIZE);

	munmap((char *)p + ro - page, 2 * page);
}

/*
 * Make call @req with @size bytes of @arg placed by split_arg(): it must
 * succeed. Return the placed struct, for its outputs and split_free(), or
 * NULL if it could not be placed.
 */
static void *split_call(struct __test_metadata *_metadata, int fd,
			unsigned long req, const void *arg, size_t size,
			size_t ro)
{
	void *u = split_arg(arg, size, ro);

	if (u)
		EXPECT_EQ(0, ioctl(fd, req, u)) {
			TH_LOG("%s", strerror(errno));
		}
	return u;
}

/* Every call that is not LOCK, UNLOCK or CONVERT writes its outputs only. */
TEST_F(dev, inputs_read_only_version)
{
	size_t ro = offsetof(struct lockdev_version, abi_version);
	struct lockdev_version v = {}, *u;

	u = split_call(_metadata, self->fd, LOCKDEV_IOC_VERSION, &v,
		       sizeof(v), ro);
	ASSERT_NE(NULL, u);
	EXPECT_EQ(LOCKDEV_ABI_VERSION, u->abi_version);
	EXPECT_EQ(LOCKDEV_NAME_MAX, u->name_max);
	split_free(u, ro);
}

TEST_F(dev, inputs_read_only_set_order)
{
	size_t ro = offsetof(struct lockdev_order, old_mode);
	struct lockdev_order o = { .mode = LOCKDEV_ORDER_WARN }, *u;
	__u32 old;

	ASSERT_EQ(0, set_order(self->fd, LOCKDEV_ORDER_OFF, &old));
	u = split_call(_metadata, self->fd, LOCKDEV_IOC_SET_ORDER, &o,
		       sizeof(o), ro);
	ASSERT_NE(NULL, u);
	EXPECT_EQ(LOCKDEV_ORDER_OFF, u->old_mode);
	split_free(u, ro);
	ASSERT_EQ(0, set_order(self->fd, 0, &old));
	EXPECT_EQ(LOCKDEV_ORDER_WARN, old);
}

/* A SET_ORDER whose old mode cannot be written changes nothing. */
TEST_F(dev, set_order_output_unwritable)
{
	struct lockdev_order *o;
	__u32 old;

	ASSERT_EQ(0, set_order(self->fd, LOCKDEV_ORDER_WARN, &old));
	o = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, o);
	o->mode = LOCKDEV_ORDER_OFF;
	ASSERT_EQ(0, mprotect(o, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_SET_ORDER, o));
	EXPECT_EQ(EFAULT, errno);
	munmap(o, 4096);
	ASSERT_EQ(0, set_order(self->fd, 0, &old));
	EXPECT_EQ(LOCKDEV_ORDER_WARN, old);
}

TEST_F(dev, inputs_read_only_query)
{
	size_t ro = offsetof(struct lockdev_query, nr_entries);
	struct lockdev_query q = {}, *u;
	struct lockdev_lock l;
	int other = open_session();

	ASSERT_LE(0, other);
	ASSERT_EQ(0, lock_call(other, "ro-query", LOCKDEV_MODE_SHARED, 0, &l));
	q.name = ptr("ro-query");
	q.name_len = strlen("ro-query");
	u = split_call(_metadata, self->fd, LOCKDEV_IOC_QUERY, &q,
		       sizeof(q), ro);
	ASSERT_NE(NULL, u);
	EXPECT_EQ(1, u->nr_entries);
	EXPECT_EQ(l.generation, u->generation);
	split_free(u, ro);
	close(other);
}

TEST_F(dev, inputs_read_only_list)
{
	size_t ro = offsetof(struct lockdev_list, nr_entries);
	struct lockdev_list li = {}, *u;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd, "ro-list", LOCKDEV_MODE_SHARED, 0,
			       &l));
	u = split_call(_metadata, self->fd, LOCKDEV_IOC_LIST, &li,
		       sizeof(li), ro);
	ASSERT_NE(NULL, u);
	EXPECT_EQ(1, u->nr_entries);
	split_free(u, ro);
}

TEST_F(dev, inputs_read_only_lock_set)
{
	size_t ro = offsetof(struct lockdev_lock_set, failed);
	struct lockdev_lock_set ls = {}, *u;
	struct lockdev_set_item it[2];

	set_item(&it[0], "ro-set-a", LOCKDEV_MODE_EXCLUSIVE, 0);
	set_item(&it[1], "ro-set-b", LOCKDEV_MODE_SHARED, 0);
	ls.items = ptr(it);
	ls.nr_items = 2;
	ls.item_size = sizeof(it[0]);
	u = split_call(_metadata, self->fd, LOCKDEV_IOC_LOCK_SET, &ls,
		       sizeof(ls), ro);
	ASSERT_NE(NULL, u);
	EXPECT_EQ(LOCKDEV_SET_NONE, u->failed);
	EXPECT_EQ(0, u->result);
	split_free(u, ro);
	EXPECT_EQ(2, list_count(self->fd));
}

TEST_F(dev, inputs_read_only_deadlock)
{
	size_t ro = offsetof(struct lockdev_deadlock, nr_members);
	struct lockdev_deadlock d = {}, *u;

	u = split_call(_metadata, self->fd, LOCKDEV_IOC_DEADLOCK, &d,
		       sizeof(d), ro);
	ASSERT_NE(NULL, u);
	EXPECT_EQ(0, u->nr_members);
	EXPECT_EQ(0, u->reason);
	split_free(u, ro);
}

TEST_F(dev, not_seekable)
{
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_HARNESS_MAIN
