// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime and permission races within one session, and calls whose
 * argument goes away while they wait.
 *
 * Threads of one process share one session, so they can race calls on the
 * same request: a release against a lookup by handle or by name (the lock
 * object freed under the lookup), an upgrade against a downgrade of the same
 * handle (the upgrade deciding on a mode read without the locks), an ATTACH
 * against the implicit bind of a first LOCK or another ATTACH (the loser's
 * permissions left on the winner's lockspace), and a close against the
 * deadlines of its asynchronous requests. These races show as a KASAN or
 * lockdep report in the debug lane, where the runner fails the run, or as a
 * wrong answer anywhere: every call must end with an error its text names,
 * and a session bound to a lockspace must have exactly its permissions.
 *
 * A blocking LOCK, CONVERT or LOCK_SET whose argument is unmapped by another
 * thread while it waits cannot write its result back: it fails with EFAULT,
 * and then, as every failed call, must leave no lock state changed.
 *
 * Knob: LOCKDEV_RACE_MS, how long each race runs (default 2500, and 10000
 * for the lookup race in the debug lane; a bind race stops at its first
 * wrong bind).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

#define S LOCKDEV_MODE_SHARED
#define X LOCKDEV_MODE_EXCLUSIVE
#define US 1000ull
#define MS 1000000ull

#define NOBODY		65534
/* Threads that take and release, and threads that race them. */
#define NTAKERS		2
#define NRACERS		8
/* How long the racers are stopped at a time. */
#define FREEZE_MS	250
/* Async requests per session in the deadline race. */
#define NASYNC		48

static int knob(const char *env, int dflt)
{
	const char *v = getenv(env);

	return v && atoi(v) > 0 ? atoi(v) : dflt;
}

static int race_ms(void)
{
	return knob("LOCKDEV_RACE_MS", 2500);
}

/*
 * The lookup race runs longer in the debug lane, the one where KASAN sees
 * what it does, and where each call is some fifty times slower.
 */
static int lookup_ms(void)
{
	const char *lane = getenv("LOCKDEV_VM_LANE");

	if (lane && !strcmp(lane, "debug"))
		return knob("LOCKDEV_RACE_MS", 10000);
	return race_ms();
}

/* A small xorshift generator, one state per thread. */
static unsigned int rnd(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Keep the calling thread on CPU @cpu, if there is such a CPU. */
static void pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- an errno a call may not return ---- */

struct bad {
	atomic_int seen;
	char what[128];
};

static void bad_call(struct bad *b, const char *op, int ret, int err)
{
	if (atomic_fetch_add(&b->seen, 1) == 0)
		snprintf(b->what, sizeof(b->what), "%s returned %d, errno %d (%s)",
			 op, ret, err, strerror(err));
}

/* Whether @err is one of the @n errnos in @ok (0 is success). */
static bool err_in(int err, const int *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ok[i] == err)
			return true;
	return false;
}

#define CHECK_ERR(b, op, ret, ...) do {					\
	static const int __ok[] = { __VA_ARGS__ };			\
	int __e = (ret) ? errno : 0;					\
	if (!err_in(__e, __ok, sizeof(__ok) / sizeof(__ok[0])))		\
		bad_call(b, op, ret, __e);				\
} while (0)

/* ---- Finding 1: a lookup against a release of the same request ---- */

struct lookup_race {
	int fd;
	atomic_int stop;
	char names[NTAKERS][48];
	_Atomic __u64 handle[NTAKERS];
	atomic_ulong takes, calls, freezes;
	atomic_int drop;	/* a taker is to drop the slab caches */
	struct bad bad;
	atomic_int idx;
};

/* Take a lock and release it by handle, as fast as possible. */
static void *taker(void *arg)
{
	struct lookup_race *r = arg;
	int me = atomic_fetch_add(&r->idx, 1);
	struct lockdev_lock l;
	int drop = -1, ret;

	pin_self(1);
	if (me == 0)
		drop = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	while (!atomic_load(&r->stop)) {
		if (drop >= 0 && atomic_exchange(&r->drop, 0) &&
		    write(drop, "2", 1) != 1)
			bad_call(&r->bad, "dropping the slab caches", -1, errno);
		ret = lock_call(r->fd, r->names[me], X, 0, &l);
		/* A racer's release may still be leaving the owned table. */
		CHECK_ERR(&r->bad, "LOCK", ret, 0, EALREADY);
		if (ret)
			continue;
		atomic_store(&r->handle[me], l.handle);
		ret = unlock_handle(r->fd, l.handle);
		CHECK_ERR(&r->bad, "UNLOCK by the taker", ret, 0, ENOLCK);
		atomic_fetch_add(&r->takes, 1);
	}
	if (drop >= 0)
		close(drop);
	return NULL;
}

/*
 * Call everything that looks a request up, with the handles the takers just
 * got or are about to get, and by name.
 */
static void *racer(void *arg)
{
	struct lookup_race *r = arg;
	int me = atomic_fetch_add(&r->idx, 1);
	unsigned int seed = (me + 1) * 2654435761u;
	struct lockdev_consistent cs;
	struct lockdev_convert cv;
	struct lockdev_cancel cn;
	struct lockdev_held h[4];
	struct lockdev_list ls;
	struct lockdev_entry e[2];
	struct lockdev_query q;
	struct lockdev_unlock u;
	const char *name;
	__u64 handle;
	int t, ret;

	pin_self(0);
	while (!atomic_load(&r->stop)) {
		t = rnd(&seed) % NTAKERS;
		name = r->names[t];
		/* The handle just given, or the next one (0 is no handle). */
		handle = atomic_load(&r->handle[t]) + 1 - rnd(&seed) % 2;
		if (!handle)
			handle = 1;
		memset(&cs, 0, sizeof(cs));
		memset(&cv, 0, sizeof(cv));
		memset(&u, 0, sizeof(u));
		switch (rnd(&seed) % 9) {
		case 0:
		case 1:
			cs.handle = handle;
			ret = ioctl(r->fd, LOCKDEV_IOC_CONSISTENT, &cs);
			CHECK_ERR(&r->bad, "CONSISTENT by handle", ret, 0,
				  ENOLCK, EPERM);
			break;
		case 2:
			cs.name = ptr(name);
			cs.name_len = strlen(name);
			ret = ioctl(r->fd, LOCKDEV_IOC_CONSISTENT, &cs);
			CHECK_ERR(&r->bad, "CONSISTENT by name", ret, 0,
				  ENOLCK, EPERM);
			break;
		case 3:
			cv.handle = handle;
			cv.mode = S + rnd(&seed) % 3;
			cv.flags = LOCKDEV_LOCK_NONBLOCK;
			ret = ioctl(r->fd, LOCKDEV_IOC_CONVERT, &cv);
			CHECK_ERR(&r->bad, "CONVERT by handle", ret, 0, ENOLCK);
			break;
		case 4:
			cv.name = ptr(name);
			cv.name_len = strlen(name);
			cv.mode = S + rnd(&seed) % 3;
			cv.flags = LOCKDEV_LOCK_NONBLOCK;
			ret = ioctl(r->fd, LOCKDEV_IOC_CONVERT, &cv);
			CHECK_ERR(&r->bad, "CONVERT by name", ret, 0, ENOLCK);
			break;
		case 5:
			if (rnd(&seed) % 4)
				continue;
			u.handle = handle;
			ret = ioctl(r->fd, LOCKDEV_IOC_UNLOCK, &u);
			CHECK_ERR(&r->bad, "UNLOCK by handle", ret, 0, ENOLCK);
			break;
		case 6:
			if (rnd(&seed) % 4)
				continue;
			ret = unlock_name(r->fd, name);
			CHECK_ERR(&r->bad, "UNLOCK by name", ret, 0, ENOLCK);
			break;
		case 7:
			ret = list_call(r->fd, h, 4, &ls);
			CHECK_ERR(&r->bad, "LIST", ret, 0);
			if (!ret && ls.nr_entries > NTAKERS)
				bad_call(&r->bad, "LIST (too many entries)",
					 ls.nr_entries, 0);
			break;
		default:
			if (rnd(&seed) % 2) {
				ret = query(r->fd, name, &q, e, 2);
				CHECK_ERR(&r->bad, "QUERY", ret, 0);
				break;
			}
			memset(&cn, 0, sizeof(cn));
			cn.handle = handle;
			ret = ioctl(r->fd, LOCKDEV_IOC_CANCEL, &cn);
			CHECK_ERR(&r->bad, "CANCEL of a plain request", ret,
				  ENOENT);
			break;
		}
		atomic_fetch_add(&r->calls, 1);
	}
	return NULL;
}

/*
 * Now and then stop every racer where it is for a while: a SCHED_FIFO
 * thread on their CPU spins, then sleeps to let them run again. A racer
 * stopped between its lookup and its use of the lock stays stopped while
 * the takers release the lock. A taker then drops the slab caches, which
 * runs the kfree_rcu shrinker: what kfree_rcu() holds back (for up to five
 * seconds otherwise) is freed after a grace period, within the stop.
 */
static void *freezer(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct lookup_race *r = arg;
	__u64 until;

	pin_self(0);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		return NULL;
	while (!atomic_load(&r->stop)) {
		sleep_ms(40);
		until = now_ns() + FREEZE_MS * MS;
		while (now_ns() < until - (FREEZE_MS - 5) * MS)
			;
		atomic_store(&r->drop, 1);
		while (now_ns() < until && !atomic_load(&r->stop))
			;
		atomic_fetch_add(&r->freezes, 1);
	}
	return NULL;
}

/*
 * Finding 1: takers lock and unlock by handle in a tight loop while racers
 * look the same requests up. A lookup that took its reference before the
 * release freed the lock object must not touch that object (KASAN:
 * use-after-free in ld_req_lookup_pinned <- ld_lock_consistent).
 */
TEST(lookup_vs_release)
{
	pthread_t th[NTAKERS + NRACERS + 1];
	struct lookup_race *r;
	int i, ms = lookup_ms();

	require_lock_feature(_metadata);
	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	r->fd = open_session();
	ASSERT_LE(0, r->fd);
	for (i = 0; i < NTAKERS; i++)
		snprintf(r->names[i], sizeof(r->names[i]), "race.lookup.%d.%d",
			 getpid(), i);
	for (i = 0; i < NTAKERS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, taker, r));
	while (atomic_load(&r->idx) < NTAKERS)
		sched_yield();
	for (i = 0; i < NRACERS; i++)
		ASSERT_EQ(0, pthread_create(&th[NTAKERS + i], NULL, racer, r));
	ASSERT_EQ(0, pthread_create(&th[NTAKERS + NRACERS], NULL, freezer, r));
	sleep_ms(ms);
	atomic_store(&r->stop, 1);
	for (i = 0; i < NTAKERS + NRACERS + 1; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%lu takes, %lu racing calls, %lu freezes in %d ms",
	       atomic_load(&r->takes), atomic_load(&r->calls),
	       atomic_load(&r->freezes), ms);
	EXPECT_EQ(0, atomic_load(&r->bad.seen)) {
		TH_LOG("%d bad answers, the first: %s",
		       atomic_load(&r->bad.seen), r->bad.what);
	}
	EXPECT_LT(0, atomic_load(&r->takes));
	EXPECT_LE(0, list_count(r->fd));
	close(r->fd);
	EXPECT_EQ(0, wait_stat("holders", 0));
	EXPECT_EQ(0, wait_stat("waiters", 0));
	free(r);
}

/* ---- Finding 1: an upgrade against a downgrade of the same handle ---- */

struct convert_race {
	int fd;
	__u64 handle;
	atomic_int stop;
	atomic_ulong ups, downs, timeouts;
	struct bad bad;
};

static void *upgrader(void *arg)
{
	struct convert_race *r = arg;
	struct lockdev_convert cv;
	int ret, err;

	while (!atomic_load(&r->stop)) {
		memset(&cv, 0, sizeof(cv));
		cv.handle = r->handle;
		cv.mode = X;
		cv.flags = LOCKDEV_LOCK_DEADLINE;
		cv.deadline_ns = now_ns() + 2 * MS;
		ret = ioctl(r->fd, LOCKDEV_IOC_CONVERT, &cv);
		err = ret ? errno : 0;
		/* EBUSY: the other upgrader's is queued. */
		CHECK_ERR(&r->bad, "CONVERT up", ret, 0, ETIMEDOUT, EBUSY);
		if (!ret)
			atomic_fetch_add(&r->ups, 1);
		else if (err == ETIMEDOUT)
			atomic_fetch_add(&r->timeouts, 1);
	}
	return NULL;
}

static void *downgrader(void *arg)
{
	struct convert_race *r = arg;
	struct lockdev_convert cv;
	int ret;

	while (!atomic_load(&r->stop)) {
		memset(&cv, 0, sizeof(cv));
		cv.handle = r->handle;
		cv.mode = S;
		ret = ioctl(r->fd, LOCKDEV_IOC_CONVERT, &cv);
		/* EBUSY: the upgrade is queued. */
		CHECK_ERR(&r->bad, "CONVERT down", ret, 0, EBUSY);
		if (!ret)
			atomic_fetch_add(&r->downs, 1);
	}
	return NULL;
}

/*
 * Finding 1: the session holds a lock in EXCLUSIVE and another process
 * keeps asking it in SHARED with a short deadline. Two threads convert the
 * handle up to EXCLUSIVE (often a no-op: it holds EXCLUSIVE already) while
 * a third converts it down to SHARED, which grants the other process. An
 * upgrade that read the old mode without the locks and then finds SHARED
 * must still queue under ld_graph_mutex (lockdep: ld_graph_check() without
 * it).
 */
static void convert_race_run(struct __test_metadata *_metadata, bool async)
{
	struct convert_race *r;
	char name[48];
	pthread_t up, up2, down;
	struct lockdev_lock l;
	int *stop, ms = race_ms();
	unsigned long grants = 0;
	pid_t pid;
	int rep[2], fd, ret;

	require_lock_feature(_metadata);
	snprintf(name, sizeof(name), "race.convert.%d", getpid());
	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stop);
	*stop = 0;
	r->fd = open_session();
	ASSERT_LE(0, r->fd);
	ASSERT_EQ(0, lock_call(r->fd, name, X, async ? LOCKDEV_LOCK_ASYNC : 0,
			       &l));
	ASSERT_EQ(0, l.result & LOCKDEV_RESULT_QUEUED);
	r->handle = l.handle;
	ASSERT_EQ(0, pipe(rep));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The other process: SHARED, briefly, again and again. */
		unsigned long n = 0;
		int bad = 0;

		alarm(CHILD_SECS);
		close(r->fd);
		fd = open_session();
		while (fd >= 0 && !__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
			lock_input(&l, name, S, LOCKDEV_LOCK_DEADLINE);
			l.deadline_ns = now_ns() + 2 * MS;
			ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
			if (ret && errno != ETIMEDOUT)
				bad = errno;
			if (!ret) {
				n++;
				if (unlock_handle(fd, l.handle))
					bad = errno;
			}
		}
		if (write_all(rep[1], &n, sizeof(n)))
			_exit(2);
		_exit(fd < 0 || bad ? 1 : 0);
	}
	close(rep[1]);
	ASSERT_EQ(0, pthread_create(&up, NULL, upgrader, r));
	ASSERT_EQ(0, pthread_create(&up2, NULL, upgrader, r));
	ASSERT_EQ(0, pthread_create(&down, NULL, downgrader, r));
	sleep_ms(ms);
	atomic_store(&r->stop, 1);
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
	pthread_join(up, NULL);
	pthread_join(up2, NULL);
	pthread_join(down, NULL);
	EXPECT_EQ(0, reap(pid, WAIT_MS));
	EXPECT_EQ(0, read_all(rep[0], &grants, sizeof(grants)));
	TH_LOG("%lu upgrades, %lu timed out, %lu downgrades, %lu grants to the other process",
	       atomic_load(&r->ups), atomic_load(&r->timeouts),
	       atomic_load(&r->downs), grants);
	EXPECT_EQ(0, atomic_load(&r->bad.seen)) {
		TH_LOG("%d bad answers, the first: %s",
		       atomic_load(&r->bad.seen), r->bad.what);
	}
	EXPECT_EQ(1, list_count(r->fd));
	EXPECT_EQ(0, unlock_handle(r->fd, r->handle));
	close(r->fd);
	close(rep[0]);
	EXPECT_EQ(0, wait_stat("holders", 0));
	EXPECT_EQ(0, wait_stat("waiters", 0));
	munmap(stop, sizeof(*stop));
	free(r);
}

TEST(upgrade_vs_downgrade)
{
	convert_race_run(_metadata, false);
}

/*
 * The same with an asynchronous request: each of its conversions waits on
 * its own, as any other request's. Were they to share one, a second
 * conversion could take over the wait of a first that was granted but had
 * not yet run: the first would sleep on, then unqueue the second's.
 */
TEST(upgrade_vs_downgrade_async)
{
	convert_race_run(_metadata, true);
}

/* ---- Finding 1: deadlines firing while their session closes ---- */

/*
 * Finding 1 (suspected): a session queues many asynchronous requests with
 * deadlines about now on locks another session holds, and closes while they
 * fire. The deadline work must not touch the session, or its user, after
 * the close freed them (KASAN in ld_timeout_fn / ld_req_forget).
 *
 * The closing thread runs SCHED_FIFO on the CPU whose workqueue runs the
 * deadlines, and sleeps until a random moment among them: its wakeup
 * preempts the deadline work wherever that is, and the close runs in the
 * middle of it.
 */
TEST(deadlines_vs_close)
{
	struct sched_param sp = { .sched_priority = 1 };
	char names[NASYNC][48];
	unsigned int seed = getpid();
	unsigned long rounds = 0, queued = 0;
	struct timespec at;
	struct lockdev_lock l;
	int holder, fd, i, ret, ms = race_ms();
	long long timeouts = stat_value("timeouts");
	bool fifo;
	cpu_set_t cpu;
	__u64 end, base, wake;

	require_lock_feature(_metadata);
	holder = open_session();
	ASSERT_LE(0, holder);
	for (i = 0; i < NASYNC; i++) {
		snprintf(names[i], sizeof(names[i]), "race.deadline.%d.%d",
			 getpid(), i);
		ASSERT_EQ(0, lock_call(holder, names[i], X, 0, &l));
	}
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
	fifo = !sched_setscheduler(0, SCHED_FIFO, &sp);
	end = now_ns() + ms * MS;
	while (now_ns() < end) {
		fd = open_session();
		ASSERT_LE(0, fd);
		base = now_ns();
		for (i = 0; i < NASYNC; i++) {
			lock_input(&l, names[i], 1 + i % 3,
				   LOCKDEV_LOCK_ASYNC | LOCKDEV_LOCK_DEADLINE);
			/* Ranked ones too: their close touches nr_ranked. */
			l.level = i % 2 ? 0 : i + 1;
			l.user_data = i;
			l.deadline_ns = base + (rnd(&seed) % 3000) * US;
			ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
			ASSERT_EQ(0, ret) {
				TH_LOG("async LOCK %d: errno %d", i, errno);
			}
			ASSERT_TRUE(l.result & LOCKDEV_RESULT_QUEUED);
			queued++;
		}
		/* The works run at the ticks after their deadlines. */
		wake = base + (rnd(&seed) % 12000) * US;
		at.tv_sec = wake / 1000000000ull;
		at.tv_nsec = wake % 1000000000ull;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		close(fd);
		rounds++;
	}
	sp.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &sp);
	TH_LOG("%lu sessions closed with %lu async requests, %lld timed out%s",
	       rounds, queued, stat_value("timeouts") - timeouts,
	       fifo ? "" : " (not SCHED_FIFO)");
	EXPECT_LT(0, rounds);
	/* Unlocked, not left owner-died: those would stay charged to root. */
	for (i = 0; i < NASYNC; i++)
		EXPECT_EQ(0, unlock_name(holder, names[i]));
	close(holder);
	EXPECT_EQ(0, wait_stat("holders", 0));
	EXPECT_EQ(0, wait_stat("waiters", 0));
}

/* ---- an asynchronous request's conversions: each waits on its own ---- */

struct conv_thread {
	int fd;
	__u64 handle;
	int cpu;
	atomic_int tid;
	int ret, err;
	atomic_int done;
};

/* CONVERT to EXCLUSIVE on CPU @cpu, blocking, with a far deadline. */
static void *conv_fn(void *arg)
{
	struct conv_thread *t = arg;
	struct lockdev_convert cv;

	pin_self(t->cpu);
	atomic_store(&t->tid, syscall(SYS_gettid));
	memset(&cv, 0, sizeof(cv));
	cv.handle = t->handle;
	cv.mode = X;
	cv.flags = LOCKDEV_LOCK_DEADLINE;
	cv.deadline_ns = now_ns() + 10ull * WAIT_MS * MS;
	t->ret = ioctl(t->fd, LOCKDEV_IOC_CONVERT, &cv);
	t->err = t->ret ? errno : 0;
	atomic_store(&t->done, 1);
	return NULL;
}

struct hog {
	atomic_int started, stop;
	bool fifo;
};

/* Take CPU 0 from every SCHED_OTHER thread pinned there, until stopped. */
static void *hog_fn(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct hog *h = arg;

	pin_self(0);
	h->fifo = !sched_setscheduler(0, SCHED_FIFO, &sp);
	atomic_store(&h->started, 1);
	while (!atomic_load(&h->stop))
		;
	return NULL;
}

static bool wait_done(atomic_int *done, int ms)
{
	for (; ms > 0 && !atomic_load(done); ms--)
		sleep_ms(1);
	return atomic_load(done);
}

/* The state letter of thread @tid of this process, or 0. */
static char thread_state(pid_t tid)
{
	char path[64], *buf, *p, state = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	buf = read_file(path);
	p = buf ? strrchr(buf, ')') : NULL;
	if (p && p[1] == ' ')
		state = p[2];
	free(buf);
	return state;
}

/* Wait until thread @tid sleeps interruptibly: in its wait, not on a mutex. */
static bool wait_sleeping(pid_t tid, int ms)
{
	for (; ms > 0 && thread_state(tid) != 'S'; ms--)
		sleep_ms(1);
	return thread_state(tid) == 'S';
}

/* Can this process run on CPUs 0 and 1? */
static bool cpus_0_and_1(void)
{
	cpu_set_t set;

	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 &&
	       !sched_getaffinity(0, sizeof(set), &set) &&
	       CPU_ISSET(0, &set) && CPU_ISSET(1, &set);
}

/*
 * Thread 1 converts an asynchronous request up and is granted while a hog
 * keeps it off its CPU; before it runs, thread 2 converts the request down
 * and up again, and waits. Thread 1 must still return its grant: were the
 * two waits one, the second would have reset it, and thread 1 would sleep
 * on and at its deadline unqueue thread 2's conversion.
 */
TEST(async_conversions_wait_apart)
{
	struct conv_thread t1 = {}, t2 = {};
	struct lockdev_lock l, o;
	pthread_t p1, p2, ph;
	struct hog h = {};
	char name[48];
	int fd, other;

	require_lock_feature(_metadata);
	if (!cpus_0_and_1())
		SKIP(return, "needs CPUs 0 and 1");
	snprintf(name, sizeof(name), "race.aconv.%d", getpid());
	pin_self(1);
	fd = open_session();
	other = open_session();
	ASSERT_LE(0, fd);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, lock_call(fd, name, LOCKDEV_MODE_NONE, LOCKDEV_LOCK_ASYNC,
			       &l));
	ASSERT_EQ(0, l.result & LOCKDEV_RESULT_QUEUED);
	ASSERT_EQ(0, lock_call(other, name, S, 0, &o));

	t1.fd = t2.fd = fd;
	t1.handle = t2.handle = l.handle;
	t1.cpu = 0;
	t2.cpu = 1;
	ASSERT_EQ(0, pthread_create(&p1, NULL, conv_fn, &t1));
	ASSERT_TRUE(wait_entry(other, name, getpid(),
			       LOCKDEV_STATE_CONVERTING));
	/* Queued, and past the graph mutex: its grant comes at the unlock. */
	ASSERT_TRUE(wait_sleeping(atomic_load(&t1.tid), WAIT_MS));
	ASSERT_EQ(0, pthread_create(&ph, NULL, hog_fn, &h));
	ASSERT_TRUE(wait_done(&h.started, WAIT_MS));
	if (!h.fifo) {
		atomic_store(&h.stop, 1);
		pthread_join(ph, NULL);
		unlock_handle(other, o.handle);
		pthread_join(p1, NULL);
		SKIP(return, "needs SCHED_FIFO");
	}
	/* Granted, while thread 1 cannot run. */
	ASSERT_EQ(0, unlock_handle(other, o.handle));
	ASSERT_EQ(0, convert_nonblock(fd, l.handle, LOCKDEV_MODE_NONE));
	ASSERT_EQ(0, lock_call(other, name, S, 0, &o));
	ASSERT_EQ(0, pthread_create(&p2, NULL, conv_fn, &t2));
	ASSERT_TRUE(wait_entry(other, name, getpid(),
			       LOCKDEV_STATE_CONVERTING));
	EXPECT_EQ(0, atomic_load(&t1.done));
	atomic_store(&h.stop, 1);
	pthread_join(ph, NULL);

	EXPECT_TRUE(wait_done(&t1.done, SOON_MS));
	EXPECT_EQ(0, t1.ret) {
		TH_LOG("thread 1: errno %d", t1.err);
	}
	EXPECT_EQ(0, atomic_load(&t2.done));
	ASSERT_EQ(0, unlock_handle(other, o.handle));
	EXPECT_TRUE(wait_done(&t2.done, SOON_MS));
	EXPECT_EQ(0, t2.ret) {
		TH_LOG("thread 2: errno %d", t2.err);
	}
	pthread_join(p1, NULL);
	pthread_join(p2, NULL);
	EXPECT_EQ(0, unlock_handle(fd, l.handle));
	close(fd);
	close(other);
	EXPECT_EQ(0, wait_stat("holders", 0));
	EXPECT_EQ(0, wait_stat("waiters", 0));
}

/* ---- Finding 2: which lockspace's permissions a racing bind leaves ---- */

enum { SECOND_LOCK, SECOND_ATTACH };

struct bind_race {
	int fd;
	int second;		/* SECOND_* */
	const char *rootro;	/* root's 0644 lockspace */
	const char *mine;	/* the caller's own 0600 lockspace */
	atomic_int go, done;
	int first;		/* the call this thread makes first */
	long sleep_ns;		/* before the other thread's call */
	int ret[2], err[2];
};

static int attach_call(int fd, const char *name, __u32 mode)
{
	struct lockdev_attach at = {
		.name = ptr(name), .name_len = strlen(name), .mode = mode,
	};

	return ioctl(fd, LOCKDEV_IOC_ATTACH, &at);
}

/* Call @which of the try: 0, ATTACH of root's lockspace; 1, the other bind. */
static void bind_call(struct bind_race *r, int which)
{
	struct lockdev_lock l;

	if (which == 0)
		r->ret[0] = attach_call(r->fd, r->rootro, 0);
	else if (r->second == SECOND_LOCK)
		r->ret[1] = lock_call(r->fd, "bind.second", X,
				      LOCKDEV_LOCK_NONBLOCK, &l);
	else
		r->ret[1] = attach_call(r->fd, r->mine, 0);
	r->err[which] = r->ret[which] ? errno : 0;
}

/*
 * The other thread of the race, on the same CPU: it sleeps a random few
 * microseconds and then makes its call. When its timer fires while the
 * first call is on its way to the bind, the wakeup preempts that call at
 * its first preemption point, ld_spaces_mutex, after it found the session
 * unbound: the two binds then interleave.
 */
static void *bind_other(void *arg)
{
	struct bind_race *r = arg;
	struct timespec ts = { 0 };
	int round, go;

	prctl(PR_SET_TIMERSLACK, 1);
	for (round = 1;; round++) {
		for (;;) {
			go = atomic_load(&r->go);
			if (go < 0)
				return NULL;
			if (go >= round)
				break;
			sched_yield();
		}
		ts.tv_nsec = r->sleep_ns;
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		bind_call(r, !r->first);
		atomic_store(&r->done, round);
	}
}

/*
 * As uid 65534: race, in a fresh session per try, an ATTACH of root's 0644
 * lockspace against the other bind, for @ms. Returns 0 when every try left
 * the session with the permissions of the lockspace it is bound to, else 1
 * with what went wrong printed.
 */
static int bind_tries(struct bind_race *r, int ms)
{
	__u64 end = now_ns() + ms * MS;
	unsigned int seed = getpid() * 7919;
	int t, probe, fails = 0, in_root = 0, in_other = 0;
	const char *second = r->second == SECOND_LOCK ? "LOCK" : "ATTACH";
	struct lockdev_lock l;
	cpu_set_t cpu;
	pthread_t th;

	/* Both threads on one CPU: they interleave by preemption. */
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	if (sched_setaffinity(0, sizeof(cpu), &cpu))
		return 1;
	if (pthread_create(&th, NULL, bind_other, r))
		return 1;
	for (t = 1; now_ns() < end && !fails; t++) {
		r->fd = open_session();
		if (r->fd < 0) {
			fprintf(stderr, "# try %d: open: %s\n", t,
				strerror(errno));
			fails++;
			break;
		}
		r->first = rnd(&seed) % 2;
		r->sleep_ns = rnd(&seed) % (60 * US);
		atomic_store(&r->go, t);
		/* The other thread goes to sleep; this one makes its call. */
		sched_yield();
		bind_call(r, r->first);
		while (atomic_load(&r->done) < t)
			sched_yield();
		/* Where did the session end up, and what may it do there? */
		probe = lock_call(r->fd, "bind.probe", X,
				  LOCKDEV_LOCK_NONBLOCK, &l);
		if (r->ret[0] == 0) {
			in_root++;
			if (r->ret[1] == 0) {
				fprintf(stderr, "# try %d: the ATTACH of root's 0644 lockspace won, yet the racing %s succeeded too\n",
					t, second);
				fails++;
			}
			if (probe == 0 || errno != EACCES) {
				fprintf(stderr, "# try %d: bound to root's 0644 lockspace, LOCK EXCLUSIVE as uid %d gave %d (errno %d), expected EACCES\n",
					t, NOBODY, probe, probe ? errno : 0);
				fails++;
			}
		} else {
			in_other++;
			if (r->err[0] != EBUSY) {
				fprintf(stderr, "# try %d: ATTACH failed with errno %d, expected EBUSY\n",
					t, r->err[0]);
				fails++;
			}
			if (r->ret[1]) {
				fprintf(stderr, "# try %d: the racing %s, which bound the session to the caller's own lockspace, failed with errno %d\n",
					t, second, r->err[1]);
				fails++;
			}
			if (probe) {
				fprintf(stderr, "# try %d: bound to the caller's own lockspace, LOCK EXCLUSIVE failed with errno %d\n",
					t, errno);
				fails++;
			}
		}
		close(r->fd);
	}
	atomic_store(&r->go, -1);
	pthread_join(th, NULL);
	fprintf(stderr, "# %d tries: %d bound to root's lockspace, %d to the caller's own\n",
		t - 1, in_root, in_other);
	return fails ? 1 : 0;
}

static void bind_race_test(struct __test_metadata *_metadata, int second)
{
	char rootro[48], mine[48];
	struct bind_race r = { .second = second };
	int root, own;
	pid_t pid;

	require_lock_feature(_metadata);
	snprintf(rootro, sizeof(rootro), "race.rootro.%d", getpid());
	snprintf(mine, sizeof(mine), "race.mine.%d", getpid());
	r.rootro = rootro;
	r.mine = mine;
	/* Root's read-only-for-others lockspace lives while this is open. */
	root = open_session();
	ASSERT_LE(0, root);
	ASSERT_EQ(0, attach_call(root, rootro, 0644));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(100);
		if (become(NOBODY, NOBODY))
			_exit(3);
		own = open_session();
		if (own < 0 || attach_call(own, mine, 0600))
			_exit(4);
		_exit(bind_tries(&r, race_ms()));
	}
	EXPECT_EQ(0, reap(pid, 100 * 1000)) {
		TH_LOG("uid %d got permissions its lockspace does not give (see above)",
		       NOBODY);
	}
	close(root);
}

/*
 * Finding 2: a LOCK (whose implicit bind to the default lockspace gives
 * read and write) racing an ATTACH of root's 0644 lockspace must not leave
 * uid 65534 bound there with write permission.
 */
FIXTURE(bind) {
};

FIXTURE_SETUP(bind)
{
}

FIXTURE_TEARDOWN(bind)
{
}

TEST_F_TIMEOUT(bind, attach_vs_implicit_bind, 120)
{
	bind_race_test(_metadata, SECOND_LOCK);
}

/* Finding 2: likewise with a second ATTACH, of a lockspace 65534 owns. */
TEST_F_TIMEOUT(bind, attach_vs_attach, 120)
{
	bind_race_test(_metadata, SECOND_ATTACH);
}

/* ---- Finding 10: the argument unmapped while the call waits ---- */

struct blocked {
	int fd;
	unsigned long cmd;
	void *arg;
	int ret, err;
};

static void *blocked_call(void *arg)
{
	struct blocked *b = arg;

	b->ret = ioctl(b->fd, b->cmd, b->arg);
	b->err = b->ret ? errno : 0;
	return NULL;
}

/*
 * Run @b's call in a thread, wait until QUERY of @name shows this process
 * in @state, unmap @page, have @lk release what blocks it, and wait for the
 * call to return.
 */
static void unmap_while_blocked(struct __test_metadata *_metadata,
				struct blocked *b, struct locker *lk,
				const char *name, __u32 state, void *page)
{
	struct locker_reply rep;
	pthread_t th;
	int qfd;

	qfd = open_session();
	ASSERT_LE(0, qfd);
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_call, b));
	ASSERT_TRUE(wait_entry(qfd, name, getpid(), state)) {
		TH_LOG("the call never showed up waiting");
	}
	ASSERT_EQ(0, munmap(page, getpagesize()));
	locker_call(_metadata, lk, OP_UNLOCK, 0, 0, &rep);
	ASSERT_EQ(0, rep.ret);
	ASSERT_EQ(0, pthread_join(th, NULL));
	close(qfd);
}

static void *map_page(void)
{
	void *p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Finding 10: a blocking LOCK whose struct (and name) another thread
 * unmaps while it waits is granted but cannot write back: it fails with
 * EFAULT, so it must not hold the lock.
 */
TEST(lock_arg_unmapped)
{
	struct lockdev_lock *l, l2;
	struct locker_reply rep;
	struct blocked b = { 0 };
	struct locker lk;
	char name[48], *pname;
	void *page;
	int fd, other;

	require_lock_feature(_metadata);
	snprintf(name, sizeof(name), "race.efault.lock.%d", getpid());
	fd = open_session();
	ASSERT_LE(0, fd);
	locker_start(_metadata, &lk, -1, name, -1, -1);
	locker_must_lock(_metadata, &lk, X, &rep);
	page = map_page();
	ASSERT_NE(NULL, page);
	l = page;
	pname = (char *)page + 512;
	strcpy(pname, name);
	lock_input(l, pname, X, 0);
	b.fd = fd;
	b.cmd = LOCKDEV_IOC_LOCK;
	b.arg = l;
	unmap_while_blocked(_metadata, &b, &lk, name, LOCKDEV_STATE_WAITING,
			    page);
	if (b.ret == 0) {
		/* It could write back after all: then it holds the lock. */
		EXPECT_EQ(1, list_count(fd));
	} else {
		EXPECT_EQ(EFAULT, b.err);
		EXPECT_EQ(0, list_count(fd)) {
			TH_LOG("LOCK failed with EFAULT but its session holds the lock");
		}
		other = open_session();
		ASSERT_LE(0, other);
		EXPECT_EQ(0, count_state(other, name, LOCKDEV_STATE_HELD));
		EXPECT_EQ(0, lock_call(other, name, X, LOCKDEV_LOCK_NONBLOCK,
				       &l2)) {
			TH_LOG("the lock is still taken: errno %d", errno);
		}
		close(other);
	}
	EXPECT_EQ(0, locker_exit(&lk));
	close(fd);
}

/*
 * Finding 10: a waiting upgrade whose struct is unmapped meanwhile fails
 * with EFAULT, so the lock must stay held in its old mode.
 */
TEST(convert_arg_unmapped)
{
	struct lockdev_held h[2];
	struct lockdev_convert *cv;
	struct lockdev_list ls;
	struct locker_reply rep;
	struct blocked b = { 0 };
	struct lockdev_lock l;
	struct locker lk;
	char name[48];
	void *page;
	int fd;

	require_lock_feature(_metadata);
	snprintf(name, sizeof(name), "race.efault.convert.%d", getpid());
	fd = open_session();
	ASSERT_LE(0, fd);
	locker_start(_metadata, &lk, -1, name, -1, -1);
	locker_must_lock(_metadata, &lk, S, &rep);
	ASSERT_EQ(0, lock_call(fd, name, S, 0, &l));
	page = map_page();
	ASSERT_NE(NULL, page);
	cv = page;
	memset(cv, 0, sizeof(*cv));
	cv->handle = l.handle;
	cv->mode = X;
	b.fd = fd;
	b.cmd = LOCKDEV_IOC_CONVERT;
	b.arg = cv;
	unmap_while_blocked(_metadata, &b, &lk, name, LOCKDEV_STATE_CONVERTING,
			    page);
	ASSERT_EQ(0, list_call(fd, h, 2, &ls));
	ASSERT_EQ(1, ls.nr_entries);
	EXPECT_EQ(LOCKDEV_STATE_HELD, h[0].state);
	if (b.ret == 0) {
		EXPECT_EQ(X, h[0].mode);
	} else {
		EXPECT_EQ(EFAULT, b.err);
		EXPECT_EQ(S, h[0].mode) {
			TH_LOG("CONVERT failed with EFAULT but the lock is held in mode %u",
			       h[0].mode);
		}
	}
	EXPECT_EQ(0, unlock_handle(fd, l.handle));
	EXPECT_EQ(0, locker_exit(&lk));
	close(fd);
}

/*
 * Finding 10: a waiting LOCK_SET whose struct and items are unmapped
 * meanwhile fails with EFAULT, so it must hold none of the set.
 */
TEST(lock_set_arg_unmapped)
{
	struct lockdev_set_item *it;
	struct lockdev_lock_set *ls;
	struct locker_reply rep;
	struct blocked b = { 0 };
	struct locker lk;
	char name[48], name2[48], *pname, *pname2;
	void *page;
	int fd;

	require_lock_feature(_metadata);
	snprintf(name, sizeof(name), "race.efault.set.%d", getpid());
	snprintf(name2, sizeof(name2), "race.efault.set2.%d", getpid());
	fd = open_session();
	ASSERT_LE(0, fd);
	locker_start(_metadata, &lk, -1, name2, -1, -1);
	locker_must_lock(_metadata, &lk, X, &rep);
	page = map_page();
	ASSERT_NE(NULL, page);
	ls = page;
	it = (struct lockdev_set_item *)((char *)page + 256);
	pname = (char *)page + 1024;
	pname2 = (char *)page + 1536;
	strcpy(pname, name);
	strcpy(pname2, name2);
	memset(ls, 0, sizeof(*ls));
	memset(it, 0, 2 * sizeof(*it));
	it[0].name = ptr(pname);
	it[0].name_len = strlen(pname);
	it[0].mode = X;
	it[1].name = ptr(pname2);
	it[1].name_len = strlen(pname2);
	it[1].mode = X;
	ls->items = ptr(it);
	ls->nr_items = 2;
	ls->item_size = sizeof(*it);
	b.fd = fd;
	b.cmd = LOCKDEV_IOC_LOCK_SET;
	b.arg = ls;
	unmap_while_blocked(_metadata, &b, &lk, name2, LOCKDEV_STATE_WAITING,
			    page);
	if (b.ret == 0) {
		EXPECT_EQ(2, list_count(fd));
	} else {
		EXPECT_EQ(EFAULT, b.err);
		EXPECT_EQ(0, list_count(fd)) {
			TH_LOG("LOCK_SET failed with EFAULT but its session holds %d locks",
			       list_count(fd));
		}
	}
	EXPECT_EQ(0, locker_exit(&lk));
	close(fd);
}

TEST_HARNESS_MAIN
