// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: the cost of a blocking LOCK that has to wait, and so runs
 * deadlock detection, while 0, 100 and 1,000 other requests wait.
 *
 * A holder session keeps the measured lock EXCLUSIVE, another ten "wall"
 * locks. The other waiters are threads, each a session of its own blocked
 * in a SHARED LOCK of a wall. The measured request (op_detect) asks for the
 * held lock with a deadline already passed: detection, queueing, ETIMEDOUT,
 * no sleep. Each level is measured with two empty ioctls beside it, the
 * baseline that says how fast the machine ran meanwhile; once the walls go
 * and the waiters with them, no waiters is measured again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockbench.h"

#define WALLS		10
#define WAITER_STACK	(64 * 1024)

struct detect det;

static atomic_long failed;
static atomic_int fail_err;

static int wall_name(char *buf, size_t size, long i)
{
	return snprintf(buf, size, "lb.detect.wall.%ld", i % WALLS);
}

/* Another waiter: blocks on a wall until the walls go, then leaves. */
static void *waiter_main(void *arg)
{
	char name[32];
	int fd, len, e;
	uint64_t h;

	len = wall_name(name, sizeof(name), (long)arg);
	fd = open_session(NULL);
	e = fd < 0 ? -fd : ld_lock(fd, name, len, LOCKDEV_MODE_SHARED, 0, &h);
	if (e) {
		atomic_fetch_add(&failed, 1);
		atomic_store(&fail_err, e);
	} else {
		ld_unlock(fd, h);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Waits until /proc/lockdev/stats counts want waiters, at most 60 s. */
static int wait_waiters(long long want)
{
	double end = now_ns() + 60e9;
	long long v;

	while (now_ns() < end) {
		if (stat_get("waiters", &v))
			return -1;
		if (v >= want)
			return 0;
		if (atomic_load(&failed))
			return -1;
		usleep(10000);
	}
	return -1;
}

static int start_waiters(pthread_t *threads, long want)
{
	pthread_attr_t attr;
	int ret = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WAITER_STACK);
	while (det.started < want) {
		if (pthread_create(&threads[det.started], &attr, waiter_main,
				   (void *)det.started)) {
			ret = -1;
			break;
		}
		det.started++;
	}
	pthread_attr_destroy(&attr);
	return ret;
}

static void measure_detect(struct dlevel *L, int dev, int sess,
			   struct name_pool *probe, uint64_t *rnd)
{
	struct meas pair[2] = {
		{ .key = "detect", .label = "blocking LOCK that waits",
		  .op = { .run = op_detect, .fd = sess, .names = probe } },
		{ .key = "detect_empty2", .label = "two empty ioctls",
		  .op = { .run = op_empty2, .fd = dev } },
	};

	note("detection: %s other waiters asleep; %d rounds ...",
	     count_str(L->have), cfg.rounds);
	measure_set(pair, 2, rnd);
	L->probe = pair[0];
	L->base = pair[1];
}

static void measure_levels(int dev, int sess, struct name_pool *probe,
			   pthread_t *threads, long long waiters0,
			   uint64_t *rnd)
{
	int i;

	for (i = 0; i < cfg.ndwaiters; i++) {
		struct dlevel *L = &det.lv[i];

		L->want = cfg.dwaiters[i];
		if (start_waiters(threads, L->want) ||
		    wait_waiters(waiters0 + L->want)) {
			snprintf(det.why, sizeof(det.why),
				 "only %ld of %ld waiters waited (%s)",
				 det.started - atomic_load(&failed), L->want,
				 atomic_load(&failed) ?
				 errname(atomic_load(&fail_err)) : "timeout");
			return;
		}
		L->have = L->want;
		measure_detect(L, dev, sess, probe, rnd);
		det.nlv = i + 1;
	}
}

/* Takes the walls the waiters block on; 0 or an errno. */
static int take_walls(int fd, uint64_t *handles)
{
	char name[32];
	int i, e = 0;

	for (i = 0; !e && i < WALLS; i++)
		e = ld_lock(fd, name, wall_name(name, sizeof(name), i),
			    LOCKDEV_MODE_EXCLUSIVE, 0, &handles[i]);
	return e;
}

/*
 * Unlocks what a session took, then closes it: closing a session with
 * EXCLUSIVE locks would leave them marked owner-died.
 */
static void release(int fd, const uint64_t *handles, int n)
{
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < n; i++)
		if (handles[i])
			ld_unlock(fd, handles[i]);
	close(fd);
}

void run_detect(int dev, uint64_t *rnd)
{
	long max = cfg.dwaiters[cfg.ndwaiters - 1];
	int holder, walls, sess, i, e = 0;
	uint64_t h = 0, wall_handles[WALLS] = { 0 };
	pthread_t *threads = NULL;
	struct name_pool probe;
	long long waiters0;
	double t0;

	if (!sys.lock_ok) {
		snprintf(det.why, sizeof(det.why), "%s", sys.lock_why);
		return;
	}
	if (pool_init(&probe, "dp", 24, 1, rnd)) {
		snprintf(det.why, sizeof(det.why), "out of memory");
		return;
	}
	threads = calloc(max ? max : 1, sizeof(*threads));
	holder = open_session(NULL);
	walls = open_session(NULL);
	sess = open_session(NULL);
	if (!threads || holder < 0 || walls < 0 || sess < 0) {
		snprintf(det.why, sizeof(det.why), "cannot set up");
		goto out;
	}
	e = ld_lock(holder, probe.buf, probe.len, LOCKDEV_MODE_EXCLUSIVE, 0,
		    &h);
	if (!e)
		e = take_walls(walls, wall_handles);
	if (e || stat_get("waiters", &waiters0)) {
		snprintf(det.why, sizeof(det.why), "holder: %s",
			 e ? errname(e) : "/proc/lockdev/stats has no waiters");
		goto out;
	}
	measure_levels(dev, sess, &probe, threads, waiters0, rnd);
out:
	/* Let every waiter through: the walls go, then their waiters. */
	t0 = now_ns();
	release(walls, wall_handles, WALLS);
	for (i = 0; i < det.started; i++)
		pthread_join(threads[i], NULL);
	det.drain_ns = now_ns() - t0;
	/* No waiters once more: drift shows in the two. */
	if (det.nlv == cfg.ndwaiters)
		measure_detect(&det.again, dev, sess, &probe, rnd);
	release(holder, &h, 1);
	if (sess >= 0)
		close(sess);
	free(threads);
	pool_free(&probe);
}
