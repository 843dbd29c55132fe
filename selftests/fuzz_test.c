// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer of lockdev's interfaces, for a bounded time.
 *
 * Three supervisors each keep a few worker processes busy and kill -9 one
 * of them now and then, mid-call, starting a new one in its place: the test
 * process itself (workers as root and as uid 65534), a keeper in a new IPC
 * namespace (root), and a keeper that became uid 65534 and made a new user
 * and IPC namespace. A worker has two threads. One throws calls at
 * /dev/lockdev sessions: ioctl numbers at and near the real ones with
 * random direction and size bits, arguments built from the real structs
 * with random flags, modes, levels, deadlines, handles, names (0 to 300
 * random bytes, or one of a few names every worker uses) and sizes, or
 * plain random bytes, at good, NULL, unmapped, read-only, straddling and
 * kernel pointers; LOCKDEV_IOC_SPACE creating, changing and removing (forced
 * or not) the lockspaces the others work in, with random owners and modes;
 * read() and poll() on sessions; reads (and writes) of every /proc/lockdev
 * file; generic netlink messages to the lockdev family with random
 * commands, versions, flags and attributes, and subscriptions to events
 * that are read now and then (the keeper in a user namespace has a network
 * namespace of its own, where it may subscribe). The other thread
 * closes and reopens sessions under the first and takes its argument page
 * away for a moment. A timer interrupts blocking calls.
 *
 * Pass: every worker dies when killed (none hangs in the module), and once
 * all are gone and the owner-died locks they left are cleared (each
 * supervisor takes every name a worker may have used, in EXCLUSIVE, in
 * every lockspace it can reach under those names, and calls CONSISTENT:
 * random names come from a family the cleanup can name again) and the
 * persistent lockspaces they made are removed (by their keeper, or by the
 * test in its own namespaces), /proc/lockdev/stats counts the sessions,
 * holders, waiters, locks and lockspaces it counted before; the thresholds
 * of events that root's workers set over netlink are put back. (A
 * deadlock report kept in /proc/lockdev/deadlocks holds its lockspace:
 * before and after the run the test empties that file.) A kernel report
 * fails the run in the runner.
 *
 * LOCKDEV_FUZZ_MS: run time (default 20000 in the debug lane, 5000
 * elsewhere); LOCKDEV_FUZZ_SEED: the seed (printed; random by default).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "genl_util.h"

#define NOBODY		65534
#define WORKERS		3	/* per supervisor */
#define SLOTS		6	/* sessions a worker keeps open */
#define HANDLES		16	/* handles a worker remembers */
#define NAME_BUF	320
#define MAX_ITEMS	70

/* The names every worker uses, and the lockspaces. */
static const char *const shared_names[] = {
	"fz", "fz:a", "fz:b", "fy:a", "fy:b", "fx:1",
};
#define NSHARED		(sizeof(shared_names) / sizeof(shared_names[0]))
static const char *const spaces[] = { "fz-space", "fz-open", "fz-closed" };
#define NSPACES		(sizeof(spaces) / sizeof(spaces[0]))

static const char *const proc_files[] = {
	"/proc/lockdev/locks", "/proc/lockdev/stats",
	"/proc/lockdev/deadlocks", "/proc/lockdev/order",
	"/proc/lockdev/lock_stat", "/proc/lockdev/spaces",
	"/proc/lockdev/levels",
};
#define NPROC		(sizeof(proc_files) / sizeof(proc_files[0]))

/* Counters whose growth the run reports: what the calls reached. */
static const char *const reported[] = {
	"sessions_opened", "grants", "contended", "timeouts", "cancels",
	"eagains", "deadlocks", "owner_deaths", "order_violations",
	"inversions",
};
#define NREPORTED	(sizeof(reported) / sizeof(reported[0]))

/* The counters that must come back once every worker is gone. */
static const char *const counted[] = {
	"sessions", "holders", "waiters", "locks", "lockspaces",
};
#define NCOUNTED	(sizeof(counted) / sizeof(counted[0]))

/* ---- a worker's state ---- */

static __thread uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

/* A number below @n (n > 0). */
static uint32_t below(uint32_t n)
{
	return rnd() % n;
}

/* True one time in @n. */
static bool one_in(uint32_t n)
{
	return below(n) == 0;
}

static int slot[SLOTS];
static __u64 handles[HANDLES];
static __u64 worker_end;
static int family = -1;
static int nl = -1;
/* Two pages: the argument at the end of the first, the second PROT_NONE. */
static char *arena;
static long page;

/* SIGALRM only has to end a blocking call (no SA_RESTART): EINTR. */
static void on_tick(int sig)
{
}

static void remember(__u64 h)
{
	if (h)
		handles[below(HANDLES)] = h;
}

static __u64 some_handle(void)
{
	switch (below(8)) {
	case 0:
		return 0;
	case 1:
		return rnd();
	case 2:
		return below(64);
	default:
		return handles[below(HANDLES)];
	}
}

/* An interesting 64-bit value. */
static __u64 some_u64(void)
{
	static const __u64 v[] = {
		0, 1, 2, 3, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
		~0ull, ~0ull - 1,
	};

	return one_in(2) ? v[below(sizeof(v) / sizeof(v[0]))] : rnd();
}

/* A deadline: soon, past, now, far or absurd. */
static __u64 some_deadline(void)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return now_ns() - below(1000000);
	case 2:
		return some_u64();
	default:
		return now_ns() + below(30000000);
	}
}

static __u32 some_mode(void)
{
	return one_in(8) ? (__u32)some_u64() : below(5);
}

/* Flags of @all: mostly valid combinations, now and then any bits. */
static __u32 some_flags(__u32 all)
{
	if (one_in(10))
		return (__u32)some_u64();
	return rnd() & all;
}

/* A bad pointer of one kind or another. */
static __u64 bad_ptr(void)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return ptr(arena + page);		/* PROT_NONE */
	case 2:
		return ptr(arena + page - below(16));	/* straddles it */
	case 3:
		return 0xffffffff81000000ull;		/* the kernel's */
	case 4:
		return 0x8000000000000000ull;		/* not canonical */
	default:
		return some_u64();
	}
}

/*
 * Random names come from a family of RANDOM_NAMES * NLENS that the
 * cleanup can name again: name @k of length random_len[@l], random bytes
 * (NULs and high bytes too) that only @k and @l decide.
 */
#define RANDOM_NAMES	8
static const __u32 random_len[] = { 0, 1, 3, 31, 200, 255, 256, 300 };
#define NLENS		(sizeof(random_len) / sizeof(random_len[0]))

static __u32 random_name(char *buf, __u32 k, __u32 l)
{
	uint64_t x = (k + 1) * 0x9e3779b97f4a7c15ull ^ l;
	__u32 i;

	for (i = 0; i < random_len[l]; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x >> 24;
	}
	return random_len[l];
}

/* Fill @buf with a name: a shared one, or a random one of the family. */
static __u32 some_name(char *buf)
{
	const char *s;

	if (one_in(4))
		return random_name(buf, below(RANDOM_NAMES), below(NLENS));
	s = shared_names[below(NSHARED)];
	memcpy(buf, s, strlen(s));
	return strlen(s);
}

/*
 * A name field: good or bad pointer, length right or not. A wrong length
 * is a prefix of at most PREFIX_MAX bytes, or too long; a bad pointer
 * points nowhere readable: the names a call may take stay ones the
 * cleanup can name. A prefix is never longer than the name: past a short
 * name @buf holds bytes of earlier ones, and the mix ("W" of a random
 * name, "z" of "fz") would be a name the cleanup cannot name.
 */
#define PREFIX_MAX	3
static void name_field(char *buf, __u64 *p, __u32 *len)
{
	static const __u32 bad_len[] = {
		0, 256, 257, 4096, 0x7fffffff, 0x80000000, 0xffffffff,
	};
	static const __u64 bad[] = {
		0, 1, 0xffffffff81000000ull, 0x8000000000000000ull, ~0ull,
	};
	__u32 n;

	*len = some_name(buf);
	*p = ptr(buf);
	if (one_in(16))
		*p = one_in(2) ? ptr(arena + page) : bad[below(5)];
	if (one_in(16)) {
		if (one_in(2)) {
			n = 1 + below(PREFIX_MAX);
			*len = n < *len ? n : *len;
		} else {
			*len = bad_len[below(7)];
		}
	}
}

/* ---- argument builders, one per ioctl ---- */

static char names[1][NAME_BUF];
static char item_names[8][NAME_BUF];
/* Room for MAX_ITEMS items of up to 100 bytes each. */
static struct lockdev_set_item items[MAX_ITEMS * 100 /
				     sizeof(struct lockdev_set_item) + 1];
static struct lockdev_entry entries[8];
static struct lockdev_cycle_member members[4];
static struct lockdev_held held[4];

static void entries_field(__u64 *p, __u32 *nr, void *array, __u32 cap)
{
	*p = one_in(8) ? bad_ptr() : ptr(array);
	*nr = one_in(8) ? (__u32)some_u64() : below(cap + 1);
}

static void build_attach(struct lockdev_attach *a)
{
	name_field(names[0], &a->name, &a->name_len);
	if (!one_in(3)) {
		a->name = ptr(spaces[below(NSPACES)]);
		a->name_len = strlen((char *)(uintptr_t)a->name);
	}
	a->flags = some_flags(LOCKDEV_ATTACH_FLAGS_ALL);
	a->mode = one_in(8) ? (__u32)some_u64() : below(01000);
	a->pad = one_in(16);
}

static void build_lock(struct lockdev_lock *l)
{
	name_field(names[0], &l->name, &l->name_len);
	l->mode = some_mode();
	l->flags = some_flags(LOCKDEV_LOCK_FLAGS_ALL);
	/* Blocking calls now and then: the timer ends them. */
	if (!(l->flags & 7) && !one_in(4))
		l->flags |= LOCKDEV_LOCK_NONBLOCK;
	l->level = one_in(3) ? below(40) : 0;
	l->deadline_ns = some_deadline();
	l->user_data = rnd();
	entries_field(&l->entries, &l->nr_entries, entries, 8);
}

static void build_target(__u64 *handle, __u64 *name, __u32 *len)
{
	*handle = some_handle();
	name_field(names[0], name, len);
	if (*handle && !one_in(8))
		*name = *len = 0;
}

static void build_convert(struct lockdev_convert *c)
{
	build_target(&c->handle, &c->name, &c->name_len);
	c->mode = some_mode();
	c->flags = some_flags(LOCKDEV_CONVERT_FLAGS_ALL);
	c->deadline_ns = some_deadline();
}

static void build_query(struct lockdev_query *q)
{
	name_field(names[0], &q->name, &q->name_len);
	q->flags = one_in(16);
	entries_field(&q->entries, &q->nr_entries, entries, 8);
}

/* An owner for LOCKDEV_IOC_SPACE: keep, root, 65534 or any. */
static __u32 some_id(void)
{
	static const __u32 ids[] = { LOCKDEV_SPACE_KEEP, 0, NOBODY };

	return one_in(8) ? (__u32)some_u64() : ids[below(3)];
}

static void build_space(struct lockdev_space_ctl *c)
{
	name_field(names[0], &c->name, &c->name_len);
	if (!one_in(3)) {
		c->name = ptr(spaces[below(NSPACES)]);
		c->name_len = strlen((char *)(uintptr_t)c->name);
	}
	c->op = one_in(8) ? (__u32)some_u64() : below(6);
	c->flags = some_flags(LOCKDEV_SPACE_FLAGS_ALL);
	c->mode = one_in(8) ? (__u32)some_u64() :
		  one_in(4) ? LOCKDEV_SPACE_KEEP : below(01000);
	c->uid = some_id();
	c->gid = some_id();
	c->order_mode = one_in(8) ? (__u32)some_u64() : below(4);
	c->level = one_in(2) ? 0 : (__u32)some_u64();
	if (c->op == LOCKDEV_SPACE_LEVEL || one_in(16))
		name_field(item_names[0], &c->prefix, &c->prefix_len);
	c->pad = one_in(16);
}

static void build_set(struct lockdev_lock_set *s)
{
	struct lockdev_set_item *it = items;
	__u32 i, n;

	/* No stale items: their names would be ones nobody can name again. */
	memset(items, 0, sizeof(items));
	n = one_in(8) ? below(MAX_ITEMS) : below(6);
	s->item_size = sizeof(*it);
	/* A wrong item size, for one item (others would mix their bytes). */
	if (one_in(8)) {
		s->item_size = below(101);
		n = below(2);
	}
	for (i = 0; i < n; i++) {
		it[i].name_len = some_name(item_names[i % 8]);
		it[i].name = ptr(item_names[i % 8]);
		it[i].mode = some_mode();
		it[i].level = one_in(3) ? below(40) : 0;
		it[i].result = one_in(16);
	}
	s->items = one_in(10) ? bad_ptr() : ptr(it);
	s->nr_items = one_in(16) && s->item_size == sizeof(*it) ?
		      (__u32)some_u64() : n;
	s->flags = some_flags(LOCKDEV_LOCK_FLAGS_ALL);
	s->deadline_ns = some_deadline();
	s->pad = one_in(16);
}

/*
 * One ioctl: a real number (or a neighbour, or the right number with wrong
 * direction or size bits), its struct built with purpose or at random,
 * placed at the end of the arena's first page, the pointer good or bad.
 */
static void fuzz_ioctl(int fd)
{
	static const size_t size[] = {
		sizeof(struct lockdev_version), sizeof(struct lockdev_attach),
		sizeof(struct lockdev_lock), sizeof(struct lockdev_unlock),
		sizeof(struct lockdev_convert), sizeof(struct lockdev_cancel),
		sizeof(struct lockdev_consistent), sizeof(struct lockdev_query),
		sizeof(struct lockdev_list), sizeof(struct lockdev_order),
		sizeof(struct lockdev_lock_set),
		sizeof(struct lockdev_deadlock),
		sizeof(struct lockdev_space_ctl),
	};
	union {
		struct lockdev_version v;
		struct lockdev_attach a;
		struct lockdev_lock l;
		struct lockdev_unlock u;
		struct lockdev_convert c;
		struct lockdev_cancel k;
		struct lockdev_consistent o;
		struct lockdev_query q;
		struct lockdev_list li;
		struct lockdev_order od;
		struct lockdev_lock_set s;
		struct lockdev_deadlock d;
		struct lockdev_space_ctl sp;
		char raw[512];
	} arg;
	__u32 nr = below(0x0e), dir = _IOC_READ | _IOC_WRITE;
	size_t len = nr < 0x0d ? size[nr] : below(64), i;
	unsigned long cmd;
	char *at;
	__u64 p;

	memset(&arg, 0, sizeof(arg));
	switch (nr) {
	case 0x01:
		build_attach(&arg.a);
		break;
	case 0x02:
		build_lock(&arg.l);
		break;
	case 0x03:
		build_target(&arg.u.handle, &arg.u.name, &arg.u.name_len);
		arg.u.flags = one_in(16);
		break;
	case 0x04:
		build_convert(&arg.c);
		break;
	case 0x05:
		arg.k.handle = some_handle();
		arg.k.flags = one_in(16);
		break;
	case 0x06:
		build_target(&arg.o.handle, &arg.o.name, &arg.o.name_len);
		arg.o.flags = one_in(16);
		break;
	case 0x07:
		build_query(&arg.q);
		break;
	case 0x08:
		entries_field(&arg.li.entries, &arg.li.nr_entries, held, 4);
		arg.li.flags = one_in(16);
		break;
	case 0x09:
		arg.od.mode = some_mode();
		arg.od.flags = one_in(16);
		break;
	case 0x0a:
		build_set(&arg.s);
		break;
	case 0x0b:
		entries_field(&arg.d.members, &arg.d.nr_members, members, 4);
		arg.d.flags = one_in(16);
		break;
	case 0x0c:
		build_space(&arg.sp);
		break;
	default:
		for (i = 0; i < sizeof(arg.raw); i++)
			arg.raw[i] = rnd();
	}
	/*
	 * Random bytes over the struct (not over those that name a lock or
	 * lockspace to create: see name_field()), or a size of its own.
	 */
	if (one_in(16) && nr != 0x01 && nr != 0x02 && nr != 0x0a &&
	    nr != 0x0c)
		arg.raw[below(len + 8)] = rnd();
	switch (below(10)) {
	case 0:
		len = below(sizeof(arg.raw));
		break;
	case 1:
		len = len + 8 - below(17);
		break;
	case 2:
		len = below(_IOC_SIZEMASK + 1);
		break;
	}
	if (one_in(20))
		dir = below(4);
	if (one_in(30)) {
		nr = below(256);
		if (nr == 0x01 || nr == 0x02 || nr == 0x0a || nr == 0x0c)
			nr = 0x0d;
	}
	cmd = _IOC(dir, one_in(50) ? below(256) : LOCKDEV_IOC_MAGIC, nr,
		   len & _IOC_SIZEMASK);

	/* The argument ends where the PROT_NONE page starts, or a bit before. */
	i = len < sizeof(arg.raw) ? len : sizeof(arg.raw);
	at = arena + page - i - (one_in(2) ? below(64) : 0);
	memcpy(at, &arg, i);
	p = one_in(12) ? bad_ptr() : ptr(at);
	if (one_in(40))
		p = ptr(arena + page - below(i + 1));
	if (ioctl(fd, cmd, (unsigned long)p) == 0 && nr == 0x02 &&
	    p == ptr(at) && len >= sizeof(struct lockdev_lock))
		remember(((struct lockdev_lock *)at)->handle);
}

/* ---- the other calls ---- */

static void fuzz_read(int fd)
{
	char buf[128];
	struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT | POLLPRI };

	switch (below(4)) {
	case 0:
		poll(&pf, 1, below(10));
		break;
	case 1:
		if (read(fd, arena + page - below(64), below(128)) < 0)
			break;
		break;
	default:
		if (poll(&pf, 1, 0) == 1 && read(fd, buf, below(sizeof(buf) + 1)) > 0)
			remember(((struct lockdev_completion *)buf)->handle);
	}
}

static void fuzz_proc(void)
{
	static char buf[8192];
	const char *path = proc_files[below(NPROC)];
	int fd = open(path, one_in(10) ? O_RDWR : O_RDONLY);
	ssize_t len;

	if (fd < 0)
		fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	if (one_in(10)) {
		const char *w[] = { "0", "0\n", "1", "", "00", "-1" };
		const char *s = w[below(6)];

		if (write(fd, s, strlen(s)) < 0 && one_in(2))
			goto out;
	}
	if (one_in(5))
		lseek(fd, below(4096), SEEK_SET);
	do
		len = read(fd, buf, 1 + below(sizeof(buf)));
	while (len > 0 && !one_in(50));
out:
	close(fd);
}

static void fuzz_netlink(void)
{
	char attrs[512];
	size_t off = 0, i, n;
	char data[64];
	__u16 flags;

	if (nl < 0) {
		nl = genl_socket();
		if (nl < 0)
			return;
		family = genl_family(nl, LOCKDEV_GENL_NAME);
	}
	if (one_in(20)) {
		int group = below(40);

		setsockopt(nl, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
			   sizeof(group));
	}
	n = below(6);
	for (i = 0; i < n; i++) {
		size_t len = below(sizeof(data));
		__u16 type = below(LOCKDEV_A_MAX + 4);
		size_t j;

		for (j = 0; j < len; j++)
			data[j] = one_in(2) ? 0 : rnd();
		if (one_in(8))
			type |= NLA_F_NESTED;
		if (genl_put(attrs, sizeof(attrs), &off, type, data, len))
			break;
	}
	/* Now and then a broken attribute length. */
	if (off && one_in(8))
		((struct nlattr *)attrs)->nla_len = rnd();
	/* A subscription, or its end, as the header describes them. */
	if (one_in(8)) {
		genl_send(nl, family, one_in(2) ? LOCKDEV_CMD_SUBSCRIBE :
			  LOCKDEV_CMD_UNSUBSCRIBE, LOCKDEV_GENL_VERSION,
			  NLM_F_REQUEST | NLM_F_ACK, NULL, 0);
		off = 0;
	}
	flags = NLM_F_REQUEST;
	if (one_in(2))
		flags |= NLM_F_DUMP;
	if (one_in(2))
		flags |= NLM_F_ACK;
	if (one_in(8))
		flags = rnd();
	genl_send(nl, one_in(30) ? below(40) : family,
		  one_in(10) ? below(256) : below(LOCKDEV_CMD_MAX + 2),
		  one_in(10) ? below(256) : LOCKDEV_GENL_VERSION, flags,
		  attrs, off);
	/* Read what came back, without waiting; a dump may stay unread. */
	while (recv(nl, arena, page, MSG_DONTWAIT) > 0 && !one_in(4))
		;
	if (one_in(30)) {
		close(nl);
		nl = -1;
	}
}

static int some_slot(void)
{
	int i = below(SLOTS);

	if (slot[i] < 0)
		slot[i] = open(LOCKDEV_DEV,
			       O_RDWR | (one_in(2) ? O_NONBLOCK : 0));
	return slot[i];
}

static void *chaos(void *seed)
{
	int i;

	rng = (uintptr_t)seed | 1;
	for (;;) {
		usleep(below(3000));
		switch (below(4)) {
		case 0:
			i = below(SLOTS);
			if (slot[i] >= 0) {
				close(slot[i]);
				slot[i] = -1;
			}
			break;
		case 1:
			mprotect(arena, page, PROT_READ);
			usleep(below(500));
			mprotect(arena, page, PROT_READ | PROT_WRITE);
			break;
		case 2:
			mprotect(arena, page, PROT_NONE);
			usleep(below(500));
			mprotect(arena, page, PROT_READ | PROT_WRITE);
			break;
		default:
			fuzz_proc();
		}
	}
	return NULL;
}

/*
 * The chaos thread takes the arena's first page away: a fault of ours on
 * it waits until the page is back. Any other fault is a bug of the fuzzer.
 */
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	char *at = si->si_addr;

	if (at < arena || at >= arena + page)
		_exit(4);
	mprotect(arena, page, PROT_READ | PROT_WRITE);
}

/* Until killed, or a few seconds past @end_ns: one worker. */
static void __attribute__((noreturn)) worker(uint64_t seed, bool nobody,
					     __u64 end_ns)
{
	struct sigaction sa = { .sa_handler = on_tick };
	struct sigaction segv = { .sa_sigaction = on_segv,
				  .sa_flags = SA_SIGINFO };
	struct itimerval it = { { 0, 30000 }, { 0, 30000 } };
	pthread_t t;
	int i, fd;

	rng = seed | 1;
	worker_end = end_ns + 5000000000ull;
	if (nobody && become(NOBODY, NOBODY))
		_exit(3);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	page = sysconf(_SC_PAGESIZE);
	arena = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || mprotect(arena + page, page, PROT_NONE))
		_exit(3);
	for (i = 0; i < SLOTS; i++)
		slot[i] = -1;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGSEGV, &segv, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	if (pthread_create(&t, NULL, chaos, (void *)(uintptr_t)rnd()))
		_exit(3);
	while (now_ns() < worker_end) {
		fd = some_slot();
		switch (below(20)) {
		case 0:
		case 1:
			fuzz_read(fd);
			break;
		case 2:
			fuzz_proc();
			break;
		case 3:
		case 4:
			fuzz_netlink();
			break;
		default:
			fuzz_ioctl(fd);
		}
	}
	_exit(0);
}

/* ---- supervisors ---- */

/* Take @len bytes of @name in EXCLUSIVE if it is free, clear owner-died. */
static void clear_name(int fd, const char *name, __u32 len)
{
	struct lockdev_consistent c;
	struct lockdev_lock l;

	lock_input(&l, name, LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_LOCK_NONBLOCK);
	l.name_len = len;
	if (ioctl(fd, LOCKDEV_IOC_LOCK, &l))
		return;
	if (l.result & LOCKDEV_RESULT_OWNER_DIED) {
		memset(&c, 0, sizeof(c));
		c.handle = l.handle;
		ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c);
	}
	unlock_handle(fd, l.handle);
}

/* Call @fn on every name a worker may have used, and its short prefixes. */
static void each_name(void (*fn)(int, const char *, __u32), int fd)
{
	char name[NAME_BUF];
	__u32 k, l, len, n;
	size_t i;

	for (i = 0; i < NSHARED + RANDOM_NAMES * NLENS; i++) {
		if (i < NSHARED) {
			len = strlen(shared_names[i]);
			memcpy(name, shared_names[i], len);
		} else {
			k = (i - NSHARED) / NLENS;
			l = (i - NSHARED) % NLENS;
			len = random_name(name, k, l);
		}
		/*
		 * A name too long to use still has prefixes a worker can
		 * use (name_field()), as a lock's or a lockspace's name.
		 */
		if (len && len <= LOCKDEV_NAME_MAX)
			fn(fd, name, len);
		for (n = 1; n <= PREFIX_MAX && n < len; n++)
			fn(fd, name, n);
	}
}

/* Every name a worker may have used, in the session's lockspace. */
static void clear_names(int fd)
{
	each_name(clear_name, fd);
}

/*
 * The lockspace @name of @len bytes, if it exists: clear its names. A
 * session whose attach failed is still free to attach: kept for the next.
 */
static int clear_fd = -1;
static void clear_space(int unused, const char *name, __u32 len)
{
	struct lockdev_attach a = {
		.name = ptr(name), .name_len = len,
		.flags = LOCKDEV_ATTACH_NOCREATE,
	};

	if (clear_fd < 0)
		clear_fd = open_session();
	if (clear_fd < 0 || ioctl(clear_fd, LOCKDEV_IOC_ATTACH, &a))
		return;
	clear_names(clear_fd);
	close(clear_fd);
	clear_fd = -1;
}

/*
 * Clear the owner-died locks of every lockspace the workers may have made
 * in the caller's namespaces, and of the caller's default lockspace.
 */
static void clear_owner_died(void)
{
	size_t i;
	__u32 n;
	int fd;

	fd = open_session();
	if (fd >= 0) {
		clear_names(fd);
		close(fd);
	}
	each_name(clear_space, -1);
	for (i = 0; i < NSPACES; i++)
		for (n = 1; n <= strlen(spaces[i]); n++)
			if (n <= PREFIX_MAX || n == strlen(spaces[i]))
				clear_space(-1, spaces[i], n);
	if (clear_fd >= 0)
		close(clear_fd);
	clear_fd = -1;
}

/* Remove the lockspace @name of @len bytes, if a worker made it persist. */
static void remove_space(int fd, const char *name, __u32 len)
{
	struct lockdev_space_ctl c = {
		.name = ptr(name), .name_len = len,
		.op = LOCKDEV_SPACE_REMOVE, .flags = LOCKDEV_SPACE_FORCE,
	};

	ioctl(fd, LOCKDEV_IOC_SPACE, &c);
}

/*
 * Remove every lockspace of a name a worker may have used in the caller's
 * namespaces: those it made persistent stay otherwise. Their owner-died
 * locks go with them.
 */
static void remove_spaces(void)
{
	int fd = open_session();
	size_t i;
	__u32 n;

	if (fd < 0)
		return;
	each_name(remove_space, fd);
	for (i = 0; i < NSPACES; i++)
		for (n = 1; n <= strlen(spaces[i]); n++)
			if (n <= PREFIX_MAX || n == strlen(spaces[i]))
				remove_space(fd, spaces[i], n);
	close(fd);
}

/*
 * The owner-died locks of a default lockspace of the initial namespaces
 * before the run: root's, and that of uid 65534, whom half of root's
 * workers become.
 */
struct died_before {
	const char *space;
	struct locks_line *l;
	int n;
};

static struct died_before died_root = { .space = "~0" };
static struct died_before died_nobody = { .space = "~65534" };

/* Undo /proc's escapes (\ooo) of @esc into @out; return the length. */
static __u32 proc_unescape(char *out, const char *esc)
{
	__u32 n = 0;

	while (*esc && n < NAME_BUF) {
		if (esc[0] == '\\' && esc[1] && esc[2] && esc[3]) {
			out[n++] = (char)((esc[1] - '0') * 64 +
					  (esc[2] - '0') * 8 + (esc[3] - '0'));
			esc += 4;
		} else {
			out[n++] = *esc++;
		}
	}
	return n;
}

static bool died_before_run(const struct died_before *d,
			    const struct locks_line *l)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->l[i].name, l->name))
			return true;
	return false;
}

/*
 * What the passes by name cannot name (a name of stray bytes a worker
 * made): clear each owner-died lock of the caller's default lockspace,
 * @d's, that was not there before the run, by its name in
 * /proc/lockdev/locks, and say so.
 */
static void clear_new_owner_died(const struct died_before *d)
{
	char name[NAME_BUF];
	struct locks_line *l;
	int n, i, fd;

	n = read_locks(NULL, d->space, &l);
	if (n <= 0)
		return;
	fd = open_session();
	for (i = 0; fd >= 0 && i < n; i++) {
		if (strcmp(l[i].state, "owner-died") || died_before_run(d, &l[i]))
			continue;
		ksft_print_msg("fuzz: clearing owner-died lock %s of %s by its /proc name\n",
			       l[i].name, d->space);
		clear_name(fd, name, proc_unescape(name, l[i].name));
	}
	if (fd >= 0)
		close(fd);
	free(l);
}

static pid_t start_worker(uint64_t seed, bool nobody, __u64 end_ns)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		worker(seed, nobody, end_ns);
	return pid;
}

/*
 * Keep WORKERS workers busy until @end_ns, killing one now and then, then
 * kill them all. Return how many did not die within WAIT_MS; *@kills
 * counts the kills mid-run.
 */
static int supervise(uint64_t seed, __u64 end_ns, bool mixed, int *kills)
{
	pid_t pid[WORKERS];
	int i, stuck = 0;
	uint64_t n = 0;

	rng = seed | 1;
	for (i = 0; i < WORKERS; i++)
		pid[i] = start_worker(seed + ++n * 0x9e3779b97f4a7c15ull,
				      mixed && i % 2, end_ns);
	while (now_ns() < end_ns) {
		usleep(20000 + below(200000));
		i = below(WORKERS);
		if (pid[i] > 0) {
			kill(pid[i], SIGKILL);
			if (reap(pid[i], WAIT_MS) < 0)
				stuck++;
			(*kills)++;
		}
		pid[i] = start_worker(seed + ++n * 0x9e3779b97f4a7c15ull,
				      mixed && i % 2, end_ns);
	}
	for (i = 0; i < WORKERS; i++)
		if (pid[i] > 0)
			kill(pid[i], SIGKILL);
	for (i = 0; i < WORKERS; i++)
		if (pid[i] > 0 && reap(pid[i], WAIT_MS) < 0)
			stuck++;
	return stuck;
}

/*
 * A keeper: a process in namespaces of its own (@flags for unshare, as
 * uid 65534 first if @nobody) supervising workers there; it clears what
 * they left, and removes the lockspaces they made persistent, before it
 * exits: what the module's collector would drop only once the namespaces
 * are gone, and a netns can take long to go. Its exit status: the stuck
 * workers, 100 if it could not make its namespaces.
 */
static pid_t start_keeper(uint64_t seed, __u64 end_ns, int flags, bool nobody)
{
	int kills = 0, stuck;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid;
	if (nobody && become(NOBODY, NOBODY))
		_exit(100);
	/* Without network namespaces, a keeper in the initial one. */
	if (unshare(flags) && (!(flags & CLONE_NEWNET) ||
			       unshare(flags & ~CLONE_NEWNET)))
		_exit(100);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	stuck = supervise(seed, end_ns, false, &kills);
	clear_owner_died();
	remove_spaces();
	_exit(stuck);
}

/*
 * The netlink command THRESHOLDS, which root's workers send, sets these
 * module parameters: the test puts them back.
 */
static const char *const params[] = {
	"/sys/module/lockdev/parameters/held_threshold_ms",
	"/sys/module/lockdev/parameters/wait_threshold_ms",
};
#define NPARAMS		(sizeof(params) / sizeof(params[0]))

static long long env_num(const char *name, long long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoll(v, NULL, 0) : def;
}

/*
 * Stat @name must come back to @want, its value before the run. What the
 * workers left in namespaces that went away goes only when the module's
 * collector (every 10 s) drops it: wait for up to three WAIT_MS.
 */
static void expect_back(struct __test_metadata *_metadata, const char *name,
			long long want)
{
	long long v = wait_stat(name, want);
	int i;

	for (i = 0; i < 2 && v != want; i++)
		v = wait_stat(name, want);
	EXPECT_EQ(want, v) {
		TH_LOG("%s: %lld before the run", name, want);
	}
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, run, 600)
{
	const char *lane = getenv("LOCKDEV_VM_LANE");
	long long ms = env_num("LOCKDEV_FUZZ_MS",
			       lane && !strcmp(lane, "debug") ? 20000 : 5000);
	uint64_t seed = env_num("LOCKDEV_FUZZ_SEED", 0);
	long long base[NCOUNTED], before[NREPORTED];
	char *saved[NPARAMS];
	int kills = 0, stuck, status, i;
	pid_t ipc, user, nobody;
	__u64 end;

	if (!seed)
		seed = now_ns() ^ ((uint64_t)getpid() << 32);
	ksft_print_msg("fuzz: LOCKDEV_FUZZ_SEED=%llu LOCKDEV_FUZZ_MS=%lld\n",
		       (unsigned long long)seed, ms);
	for (i = 0; i < (int)NPARAMS; i++) {
		saved[i] = read_file(params[i]);
		ASSERT_NE(NULL, saved[i]);
	}
	ASSERT_EQ(0, flush_reports());
	died_root.n = read_locks(NULL, died_root.space, &died_root.l);
	ASSERT_LE(0, died_root.n);
	died_nobody.n = read_locks(NULL, died_nobody.space, &died_nobody.l);
	ASSERT_LE(0, died_nobody.n);
	for (i = 0; i < (int)NCOUNTED; i++)
		base[i] = stat_value(counted[i]);
	for (i = 0; i < (int)NREPORTED; i++)
		before[i] = stat_value(reported[i]);

	end = now_ns() + ms * 1000000ull;
	ipc = start_keeper(seed ^ 1, end, CLONE_NEWIPC, false);
	ASSERT_LT(0, ipc);
	user = start_keeper(seed ^ 2, end,
			    CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWNET, true);
	ASSERT_LT(0, user);
	stuck = supervise(seed, end, true, &kills);
	EXPECT_EQ(0, stuck) {
		TH_LOG("%d workers did not die when killed", stuck);
	}

	/* The keepers clear their namespaces; this process, the rest. */
	status = reap(ipc, 4 * WAIT_MS);
	EXPECT_EQ(0, status);
	status = reap(user, 4 * WAIT_MS);
	if (status == 100)
		TH_LOG("no user namespace for uid %d: that keeper skipped",
		       NOBODY);
	else
		EXPECT_EQ(0, status);
	clear_owner_died();
	nobody = fork();
	if (nobody == 0) {
		if (become(NOBODY, NOBODY))
			_exit(1);
		clear_owner_died();
		clear_new_owner_died(&died_nobody);
		_exit(0);
	}
	ASSERT_LT(0, nobody);
	EXPECT_EQ(0, reap(nobody, WAIT_MS));

	/*
	 * Once more: a killed worker whose session another process still
	 * had open may have left a lock owner-died after the first pass.
	 */
	clear_owner_died();
	clear_new_owner_died(&died_root);
	remove_spaces();
	free(died_root.l);
	free(died_nobody.l);
	EXPECT_EQ(0, flush_reports());
	for (i = 0; i < (int)NPARAMS; i++) {
		EXPECT_EQ(0, write_str(params[i], saved[i]));
		free(saved[i]);
	}
	ksft_print_msg("fuzz: %d workers killed mid-run\n", kills);
	for (i = 0; i < (int)NREPORTED; i++)
		ksft_print_msg("fuzz: %s +%lld\n", reported[i],
			       stat_value(reported[i]) - before[i]);
	fflush(stdout);
	for (i = 0; i < (int)NCOUNTED; i++)
		expect_back(_metadata, counted[i], base[i]);
	if (!_metadata->passed) {
		char *spaces = read_file("/proc/lockdev/spaces");

		/* What holds a count up: the lockspaces, not every lock. */
		TH_LOG("replay with LOCKDEV_FUZZ_SEED=%llu; lockspaces now:\n%s",
		       (unsigned long long)seed, spaces);
		free(spaces);
	}
}

TEST_HARNESS_MAIN
