// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: an EXCLUSIVE lock passed back and forth between two processes,
 * lockdev against flock(2), and a futex-based mutex in memory both map: the
 * floor of any lock that puts its waiter to sleep, as it costs little more
 * than the wake-up and the switch.
 *
 * The holder waits until the other has announced its request and is asleep
 * in the kernel (state S or D in /proc/PID/stat), notes the time and
 * unlocks; the other notes the time its blocking call returns with the lock.
 * A hand-off is that interval: release, grant, wake-up, switch, return. Both
 * processes run on one CPU: under qemu TCG a wake-up across vCPUs waits for
 * the host to schedule the other vCPU, which takes milliseconds and would
 * drown what the lock costs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lockbench.h"

#define WARMUP		20
#define STEP_TIMEOUT_NS	10e9

static const char handoff_name[] = "lb.handoff";

struct handoff hand;

struct hshared {
	atomic_int holder;	/* 0 or 1 */
	atomic_int waiting[2];	/* announced a blocking request */
	atomic_int ready;	/* the child is set up */
	atomic_int stop;
	atomic_int error;
	atomic_long seq;	/* hand-offs done */
	atomic_long rel_seq;	/* seq when the lock was last released */
	atomic_llong t_rel;	/* when it was released, ns */
	atomic_int futex;	/* HV_FUTEX's mutex */
	char msg[160];
	long total;
	double lat[];		/* ns of hand-off k */
};

struct hside {
	int v;			/* HV_* */
	int fd;
	uint64_t handle;
	int statfd;		/* /proc/OTHER/stat */
};

static struct hshared *sh;
static size_t sh_size;
static const char *file_path;

static void hfail(const char *fmt, ...)
{
	va_list ap;
	int zero = 0;

	if (!atomic_compare_exchange_strong(&sh->error, &zero, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
	va_end(ap);
}

static int h_open(struct hside *s)
{
	if (s->v == HV_FUTEX)
		return 0;
	s->fd = open(s->v == HV_LOCKDEV ? DEV_PATH : file_path,
		     O_RDWR | O_CLOEXEC);
	return s->fd < 0 ? errno : 0;
}

static int h_lock(struct hside *s)
{
	switch (s->v) {
	case HV_LOCKDEV:
		return ld_lock(s->fd, handoff_name, strlen(handoff_name),
			       LOCKDEV_MODE_EXCLUSIVE, 0, &s->handle);
	case HV_FLOCK:
		return flock(s->fd, LOCK_EX) ? errno : 0;
	default:
		futex_lock(&sh->futex, 1);
		return 0;
	}
}

static int h_unlock(struct hside *s)
{
	switch (s->v) {
	case HV_LOCKDEV:
		return ld_unlock(s->fd, s->handle);
	case HV_FLOCK:
		return flock(s->fd, LOCK_UN) ? errno : 0;
	default:
		futex_unlock(&sh->futex, 1);
		return 0;
	}
}

/*
 * A side leaves: what it may hold is released. Closing the file does it for
 * lockdev and flock; the futex mutex is let go and its waiter woken, which
 * then sees the stop or the error.
 */
static void h_close(struct hside *s)
{
	if (s->v == HV_FUTEX) {
		atomic_store(&sh->futex, 0);
		syscall(SYS_futex, &sh->futex, FUTEX_WAKE, 1, NULL, NULL, 0);
	} else if (s->fd >= 0) {
		close(s->fd);
	}
}

/* Whether the task whose stat file is open sleeps (S or D); -1 unknown. */
static int other_asleep(int statfd)
{
	char buf[512], *p;
	ssize_t n = pread(statfd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return -1;
	return p[2] == 'S' || p[2] == 'D';
}

/* Waits while *flag differs from want; 0, or -1 on an error or timeout. */
static int wait_for(atomic_int *flag, int want, const char *what)
{
	double start = now_ns();

	while (atomic_load(flag) != want) {
		if (atomic_load(&sh->error))
			return -1;
		if (now_ns() - start > STEP_TIMEOUT_NS) {
			hfail("%s", what);
			return -1;
		}
		sched_yield();
	}
	return 0;
}

/* The holder's half: wait for the other to sleep in its request, unlock. */
static int give(struct hside *s, int me)
{
	double start = now_ns();
	long k;
	int a;

	if (wait_for(&sh->waiting[!me], 1, "the other side never asked"))
		return -1;
	while ((a = other_asleep(s->statfd)) == 0) {
		if (now_ns() - start > STEP_TIMEOUT_NS) {
			hfail("the other side never blocked");
			return -1;
		}
	}
	if (a < 0) {
		hfail("cannot read the other side's /proc stat");
		return -1;
	}
	k = atomic_load(&sh->seq);
	if (k >= sh->total)
		atomic_store(&sh->stop, 1);
	atomic_store(&sh->rel_seq, k);
	atomic_store(&sh->t_rel, (long long)now_ns());
	if (h_unlock(s)) {
		hfail("unlock: %s", strerror(errno));
		return -1;
	}
	if (atomic_load(&sh->stop))
		return -1;
	return wait_for(&sh->holder, !me, "the other side never got the lock");
}

/* The waiter's half: a blocking request, timed from the other's unlock. */
static int take(struct hside *s, int me)
{
	double t;
	long k;
	int e;

	atomic_store(&sh->waiting[me], 1);
	e = h_lock(s);
	t = now_ns();
	atomic_store(&sh->waiting[me], 0);
	if (e) {
		hfail("blocking lock: %s", strerror(e));
		return -1;
	}
	if (atomic_load(&sh->stop) || atomic_load(&sh->error)) {
		h_unlock(s);
		return -1;
	}
	k = atomic_load(&sh->seq);
	if (atomic_load(&sh->rel_seq) != k) {
		hfail("granted while the other side held the lock");
		h_unlock(s);
		return -1;
	}
	sh->lat[k] = t - (double)atomic_load(&sh->t_rel);
	atomic_store(&sh->seq, k + 1);
	atomic_store(&sh->holder, me);
	return 0;
}

/* One side's loop; side 0 starts holding the lock. */
static void handoff_loop(struct hside *s, int me)
{
	int holding = me == 0;

	while (!atomic_load(&sh->error)) {
		if (holding ? give(s, me) : take(s, me))
			return;
		holding = !holding;
	}
}

static void pin_first_cpu(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (i = 0; i < CPU_SETSIZE && !CPU_ISSET(i, &set); i++)
		;
	CPU_ZERO(&set);
	CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void child(int v)
{
	struct hside c = { .v = v, .fd = -1 };
	char path[64];

	alarm(120);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getppid());
	c.statfd = open(path, O_RDONLY | O_CLOEXEC);
	if (h_open(&c) || c.statfd < 0)
		hfail("child: %s", strerror(errno));
	atomic_store(&sh->ready, 1);
	if (!atomic_load(&sh->error))
		handoff_loop(&c, 1);
	h_close(&c);
	_exit(0);
}

/*
 * One round: the median hand-off in ns, or NAN with msg set. Not the mean:
 * a host that deschedules the guest for milliseconds now and then adds the
 * same outliers to both variants and would pull their ratio towards 1.
 */
static double handoff_round(int v, char *msg, size_t msglen)
{
	struct hside s = { .v = v, .fd = -1, .statfd = -1 };
	char path[64];
	int e, status;
	double *round;
	pid_t pid;
	long i;

	memset(sh, 0, sh_size);
	atomic_store(&sh->rel_seq, -1);
	sh->total = WARMUP + cfg.handoffs;
	e = h_open(&s);
	if (!e)
		e = h_lock(&s);
	if (e) {
		snprintf(msg, msglen, "%s", strerror(e));
		h_close(&s);
		return NAN;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		h_close(&s);
		return NAN;
	}
	if (pid == 0) {
		if (s.fd >= 0)
			close(s.fd);
		child(v);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	s.statfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s.statfd < 0)
		hfail("%s: %s", path, strerror(errno));
	if (!wait_for(&sh->ready, 1, "the child did not start"))
		handoff_loop(&s, 0);
	h_close(&s);	/* releases the lock if an error left it held */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		hfail("the child died");
	if (s.statfd >= 0)
		close(s.statfd);
	if (atomic_load(&sh->error)) {
		snprintf(msg, msglen, "%s", sh->msg);
		return NAN;
	}
	if (atomic_load(&sh->seq) < sh->total) {
		snprintf(msg, msglen, "only %ld hand-offs",
			 (long)atomic_load(&sh->seq));
		return NAN;
	}
	round = hand.lat[v] + hand.nlat[v];
	for (i = WARMUP; i < sh->total; i++)
		round[i - WARMUP] = sh->lat[i];
	hand.nlat[v] += cfg.handoffs;
	sort_doubles(round, cfg.handoffs);
	return percentile(round, cfg.handoffs, 50);
}

void run_handoff(const char *flock_path)
{
	struct meas *m = hand.m;
	cpu_set_t saved;
	char msg[160];
	int r, k, v;
	double x;

	file_path = flock_path;
	m[HV_LOCKDEV].key = "handoff_lockdev";
	m[HV_LOCKDEV].label = "hand-off lockdev";
	m[HV_FLOCK].key = "handoff_flock";
	m[HV_FLOCK].label = "hand-off flock";
	m[HV_FUTEX].key = "handoff_futex";
	m[HV_FUTEX].label = "hand-off futex";
	if (!sys.lock_ok)
		meas_fail(&m[HV_LOCKDEV], sys.lock_err, "%s", sys.lock_why);
	sh_size = sizeof(*sh) + (WARMUP + cfg.handoffs) * sizeof(double);
	sh = mmap(NULL, sh_size, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (v = 0; v < NR_HV; v++) {
		hand.lat[v] = calloc(cfg.handoffs * cfg.handoff_rounds,
				     sizeof(double));
		if (sh == MAP_FAILED || !hand.lat[v])
			meas_fail(&m[v], ENOMEM, "out of memory");
	}
	if (sh == MAP_FAILED)
		return;
	sched_getaffinity(0, sizeof(saved), &saved);
	pin_first_cpu();
	note("hand-off: %d rounds of %s hand-offs each ...",
	     cfg.handoff_rounds, count_str(cfg.handoffs));
	for (r = 0; r < cfg.handoff_rounds; r++) {
		for (k = 0; k < NR_HV; k++) {
			v = (r + k) % NR_HV;
			if (m[v].err)
				continue;
			x = handoff_round(v, msg, sizeof(msg));
			if (isnan(x))
				meas_fail(&m[v], EIO, "%s", msg);
			else
				m[v].s[m[v].n++] = x;
		}
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	munmap(sh, sh_size);
	for (v = 0; v < NR_HV; v++) {
		m[v].iters = cfg.handoffs;
		m[v].med = m[v].lo = m[v].hi = NAN;
		hand.nlat[v] = m[v].err ? 0 : hand.nlat[v];
		if (m[v].err)
			continue;
		m[v].med = median(m[v].s, m[v].n);
		sort_doubles(m[v].s, m[v].n);
		m[v].lo = m[v].s[0];
		m[v].hi = m[v].s[m[v].n - 1];
		sort_doubles(hand.lat[v], hand.nlat[v]);
	}
}
