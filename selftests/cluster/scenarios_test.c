// SPDX-License-Identifier: GPL-2.0
/*
 * scenarios_test: the cyrus-copy and dovecot-log scenarios of
 * selftests/scenarios/ with their workers split across the two guests of
 * selftests/vm/cluster, in one cluster lockspace.
 *
 *     selftests/vm/cluster -- selftests/cluster/scenarios_test
 *
 * The mail both hosts serve is on storage both mount, as a cluster's
 * mailboxes are on GFS2, OCFS2 or NFS: the directory LOCKDEV_SHARED, which
 * selftests/vm/cluster exports from the host to both guests over 9p
 * without caching. The workers read and write it with pread and pwrite
 * under the locks that guard it, and record there who is inside each lock,
 * so that two holders on two hosts at once are caught, as is an update
 * lost to them. Runs on both nodes, as cluster_test does:
 *
 *  copy.lock_set  workers on both hosts move messages between four users'
 *                 mailboxes, both users taken with one lock set: no user is
 *                 ever held twice, every copy is done, the messages add up,
 *                 and no host's module ever reports a deadlock;
 *  copy.naive     workers take the source, then the target with a deadline,
 *                 pairs copying in opposite directions on both hosts: a
 *                 cycle within a host ends in EDEADLK with its report, one
 *                 across hosts in the deadline (neither module can see it),
 *                 and after either the copier releases the source and
 *                 tries again; every copy is done and the messages add up;
 *  log.modes      node 1 appends to the transaction log: node 2 may read it
 *                 at once, and may not append;
 *  log            readers (SHARED), appenders (APPEND) and an expunger
 *                 (EXCLUSIVE) on both hosts on one log: appenders one at a
 *                 time across the hosts, the UIDs unique and increasing, the
 *                 next UID carried by the lock's value block from host to
 *                 host (not valid only at the log's first append), every
 *                 expunge alone and none starved.
 *
 * Each node prints TAP lines for its own checks and the figures of both as
 * comments, and "N passed, N failed"; the exit status is 1 if a check
 * failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lockdev.h"
#include "../util.h"
#include "peer.h"

#define SPACE		"lockdev_scenarios"
#define PORT		7180
/* Bound on every wait for the peer and on each lock's wait. */
#define PEER_MS		300000
#define LOCK_NS		((uint64_t)60 * 1000000000)
#define MS		((uint64_t)1000000)

/* The copies: four users' mailboxes, both hosts' workers. */
#define USERS		4
#define LEVEL_USER	10
#define START_MSGS	1000
#define SET_WORKERS	3
#define SET_OPS		30
#define NAIVE_WORKERS	4
#define NAIVE_OPS	6
/* A naive copier's deadline on its target: what breaks a cycle of hosts. */
#define TARGET_MS	500
#define TRIES_MAX	500

/* The log: readers, an appender and an expunger on each host. */
#define LOG		"log:INBOX"
#define LOG_MAX		16384
#define READERS		2
#define EXPUNGES	10
#define EXPUNGE_BOUND_MS 20000

/* Where the records are in the shared files (each a uint64_t). */
#define USER_MSGS(u)	((off_t)(u) * 16)
#define USER_HOLDER(u)	((off_t)(u) * 16 + 8)
#define LOG_NR		0
#define LOG_APPENDER	8
#define LOG_EXPUNGER	16
#define LOG_NEXT_UID	24
#define LOG_READER(s)	(64 + (off_t)(s) * 8)
#define LOG_SLOTS	16
#define LOG_UID(i)	(256 + (off_t)(i) * 8)

/* What a host's workers count, in memory its forked workers share. */
struct stats {
	uint64_t copies, deadlocks, timeouts, worst_copy_ns, retries_max;
	uint64_t reads, reads_with_remote_append, worst_read_ns;
	uint64_t appends, expunged, expunges, worst_expunge_ns;
	uint64_t value_reads, value_invalid, value_stale;
	uint64_t stop;
};

static struct stats *st;
static int node, copy_fd = -1, log_fd = -1;
/* The worker this process is, or -1 in the main process. */
static int worker_id = -1;

/* A worker's id in the shared files: never 0. */
static uint64_t me(void)
{
	return (uint64_t)node * 100 + worker_id + 1;
}

/*
 * Say what broke and exit 1: in a worker as a comment (its end is a check
 * of the main process), in the main process as a failing check.
 */
static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt,
								 ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (worker_id < 0) {
		check(0, "%s", what);
		exit(summary());
	}
	printf("# node %d worker %d: %s\n", node, worker_id, what);
	fflush(stdout);
	_exit(1);
}

static void ok(int ret, const char *what)
{
	if (ret)
		die("%s: %s", what, lockdev_strerror(ret, 0));
}

static unsigned int rnd(void)
{
	static unsigned int seed;

	if (!seed)
		seed = (unsigned int)now_ns() ^ (getpid() << 8);
	return rand_r(&seed);
}

static void raise_max(uint64_t *max, uint64_t v)
{
	uint64_t old = __atomic_load_n(max, __ATOMIC_RELAXED);

	while (v > old && !__atomic_compare_exchange_n(max, &old, v, false,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static void add(uint64_t *counter, uint64_t v)
{
	__atomic_add_fetch(counter, v, __ATOMIC_RELAXED);
}

/* A record of a shared file. */
static uint64_t get(int fd, off_t at)
{
	uint64_t v;

	if (pread(fd, &v, sizeof(v), at) != sizeof(v))
		die("reading the shared file at %lld: %s", (long long)at,
		    strerror(errno));
	return v;
}

static void put(int fd, off_t at, uint64_t v)
{
	if (pwrite(fd, &v, sizeof(v), at) != sizeof(v))
		die("writing the shared file at %lld: %s", (long long)at,
		    strerror(errno));
}

/* Record this worker inside the lock whose holder record is at @at. */
static void enter(int fd, off_t at, const char *what)
{
	uint64_t h = get(fd, at);

	if (h)
		die("%s is held by worker %" PRIu64 " of node %" PRIu64
		    " as this one takes it", what, h % 100 - 1, h / 100);
	put(fd, at, me());
}

static void leave(int fd, off_t at, const char *what)
{
	uint64_t h = get(fd, at);

	if (h != me())
		die("%s: worker %" PRIu64 " of node %" PRIu64
		    " came in while this one held it", what, h % 100 - 1,
		    h / 100);
	put(fd, at, 0);
}

static struct lockdev *session(void)
{
	struct lockdev *ld;

	ok(lockdev_open_space(&ld, SPACE, 0, LOCKDEV_OPEN_NOCREATE),
	   "opening a session in " SPACE);
	return ld;
}

static pid_t spawn(void (*fn)(struct lockdev *ld), int id)
{
	pid_t pid = fork();

	if (pid < 0)
		bail("fork");
	if (pid)
		return pid;
	worker_id = id;
	fn(session());
	fflush(stdout);
	_exit(0);
}

/* Wait for @n workers: how many did not exit 0. */
static int reap_workers(const pid_t *pids, int n)
{
	int i, status, bad = 0;

	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	return bad;
}

static const char *user(int u)
{
	static const char *const names[USERS] = {
		"user:u0", "user:u1", "user:u2", "user:u3",
	};

	return names[u];
}

/* Move one message from @from to @to, both users locked. */
static void move(int from, int to)
{
	uint64_t m;

	enter(copy_fd, USER_HOLDER(from), user(from));
	if (to != from)
		enter(copy_fd, USER_HOLDER(to), user(to));
	m = get(copy_fd, USER_MSGS(from));
	if (m) {
		put(copy_fd, USER_MSGS(from), m - 1);
		usleep(rnd() % 300);
		put(copy_fd, USER_MSGS(to), get(copy_fd, USER_MSGS(to)) + 1);
	}
	if (to != from)
		leave(copy_fd, USER_HOLDER(to), user(to));
	leave(copy_fd, USER_HOLDER(from), user(from));
	add(&st->copies, 1);
}

static void set_worker(struct lockdev *ld)
{
	struct lockdev_set_req r[2];
	unsigned int failed;
	int i, from, to, ret;
	uint64_t t0;

	for (i = 0; i < SET_OPS; i++) {
		from = (worker_id + node + i) % USERS;
		to = rnd() % 8 ? (int)(rnd() % USERS) : -1;
		memset(r, 0, sizeof(r));
		r[0].name = user(from);
		r[1].name = to < 0 ? NULL : user(to);
		r[0].mode = r[1].mode = LOCKDEV_MODE_EXCLUSIVE;
		r[0].level = r[1].level = LEVEL_USER;
		t0 = now_ns();
		ret = lockdev_lock_set(ld, r, 2, LOCK_NS, LOCKDEV_RESTART,
				       &failed);
		if (ret)
			die("lock set u%d, u%d: %s", from, to,
			    lockdev_strerror(ret, failed < 2 ?
					     r[failed].result : 0));
		raise_max(&st->worst_copy_ns, now_ns() - t0);
		move(from, to < 0 ? from : to);
		ok(lockdev_unlock_set(ld, r, 2), "unlock set");
	}
	lockdev_close(ld);
}

/* The report of the cycle a naive copier ran into starts with it. */
static void check_cycle(struct lockdev *ld, int from, int to)
{
	struct lockdev_cycle_member m[LOCKDEV_CYCLE_MAX];
	struct lockdev_deadlock_info info;
	int n = lockdev_deadlock(ld, &info, m, LOCKDEV_CYCLE_MAX);

	if (n < 2 || n > LOCKDEV_CYCLE_MAX ||
	    info.reason != LOCKDEV_RESULT_CYCLE)
		die("deadlock report: %d members, reason %#x", n, info.reason);
	if (m[0].held_name_len != strlen(user(from)) ||
	    memcmp(m[0].held_name, user(from), m[0].held_name_len) ||
	    m[0].wait_name_len != strlen(user(to)) ||
	    memcmp(m[0].wait_name, user(to), m[0].wait_name_len))
		die("the report does not start with u%d -> u%d", from, to);
}

/*
 * Workers 2k and 2k+1 copy between the same two users in opposite
 * directions, on both hosts: the source, then the target with a deadline.
 */
static void naive_worker(struct lockdev *ld)
{
	int pair = (worker_id / 2) % (USERS / 2);
	int from = 2 * pair + worker_id % 2, to = 2 * pair + 1 - worker_id % 2;
	struct lockdev_grant gf, gt;
	uint64_t tries, t0;
	int i, ret;

	for (i = 0; i < NAIVE_OPS; i++) {
		t0 = now_ns();
		for (tries = 1; ; tries++) {
			if (tries > TRIES_MAX)
				die("u%d -> u%d: no copy after %d tries", from,
				    to, TRIES_MAX);
			ok(lockdev_timedlock(ld, user(from),
					     LOCKDEV_MODE_EXCLUSIVE, 0,
					     LOCK_NS, LOCKDEV_RESTART, &gf),
			   "source");
			usleep(rnd() % 200);
			ret = lockdev_timedlock(ld, user(to),
						LOCKDEV_MODE_EXCLUSIVE, 0,
						TARGET_MS * MS,
						LOCKDEV_RESTART, &gt);
			if (!ret)
				break;
			if (ret == -EDEADLK &&
			    (gt.result & LOCKDEV_RESULT_CYCLE))
				check_cycle(ld, from, to);
			ok(lockdev_unlock(ld, gf.handle), "unlock source");
			if (ret == -EDEADLK &&
			    (gt.result & LOCKDEV_RESULT_CYCLE)) {
				add(&st->deadlocks, 1);
				usleep(rnd() % 20000);
			} else if (ret == -ETIMEDOUT) {
				/*
				 * The copier on the other host timed out too:
				 * a pause as long as the deadline lets one go
				 * first.
				 */
				add(&st->timeouts, 1);
				usleep(rnd() % (TARGET_MS * 1000));
			} else {
				die("target u%d: %s", to,
				    lockdev_strerror(ret, gt.result));
			}
		}
		raise_max(&st->worst_copy_ns, now_ns() - t0);
		raise_max(&st->retries_max, tries - 1);
		move(from, to);
		ok(lockdev_unlock(ld, gt.handle), "unlock target");
		ok(lockdev_unlock(ld, gf.handle), "unlock source");
	}
	lockdev_close(ld);
}

#define MAX(a, b)	((a) > (b) ? (a) : (b))

/*
 * Exchange this host's figures for the peer's: @sum gets both, the counts
 * added, the worst of each kind the larger of the two.
 */
static void exchange(int sock, struct stats *sum)
{
	uint64_t *a = (uint64_t *)sum, *b;
	struct stats peer;
	size_t i;

	tell(sock, st, sizeof(*st));
	hear(sock, &peer, sizeof(peer));
	*sum = *st;
	b = (uint64_t *)&peer;
	for (i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
		a[i] += b[i];
	sum->worst_copy_ns = MAX(st->worst_copy_ns, peer.worst_copy_ns);
	sum->retries_max = MAX(st->retries_max, peer.retries_max);
	sum->worst_read_ns = MAX(st->worst_read_ns, peer.worst_read_ns);
	sum->worst_expunge_ns = MAX(st->worst_expunge_ns,
				    peer.worst_expunge_ns);
}

/* Run @n workers of @fn; the figures of both hosts, once both are done. */
static int run(int sock, void (*fn)(struct lockdev *ld), int n,
	       struct stats *sum)
{
	pid_t pids[16];
	int i, bad;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < n; i++)
		pids[i] = spawn(fn, i);
	bad = reap_workers(pids, n);
	exchange(sock, sum);
	return bad;
}

static void messages_add_up(const char *what)
{
	uint64_t sum = 0;
	int u;

	for (u = 0; u < USERS; u++)
		sum += get(copy_fd, USER_MSGS(u));
	check(sum == USERS * START_MSGS,
	      "%s: the messages add up (%" PRIu64 " of %d)", what, sum,
	      USERS * START_MSGS);
}

/*
 * Run @n copiers of @fn, @ops copies each, on both hosts, and check what
 * every copy phase must hold; @sum gets both hosts' figures. Both hosts
 * have read the mailboxes before either goes on to move messages again.
 */
static void copy_run(int sock, const char *what,
		     void (*fn)(struct lockdev *ld), int n, int ops,
		     struct stats *sum)
{
	int bad = run(sock, fn, n, sum);

	check(!bad, "%s: %d workers ended cleanly (%d did not)", what, n, bad);
	check(st->copies == (uint64_t)n * ops &&
	      sum->copies == 2 * (uint64_t)n * ops,
	      "%s: every copy done (%" PRIu64 " here, %" PRIu64
	      " on both hosts)", what, st->copies, sum->copies);
	messages_add_up(what);
	tell_c(sock, 'M');
	hear_c(sock, 'M');
}

static void copy_lock_set(int sock)
{
	long long deadlocks = stat_value("deadlocks");
	uint64_t t0 = now_ns();
	struct stats sum;

	copy_run(sock, "copy.lock_set", set_worker, SET_WORKERS, SET_OPS, &sum);
	deadlocks = stat_value("deadlocks") - deadlocks;
	check(!deadlocks, "copy.lock_set: never deadlocks (%lld)", deadlocks);
	printf("# copy.lock_set: %" PRIu64 " copies on both hosts in %" PRIu64
	       " ms, worst copy %" PRIu64 " ms\n", sum.copies,
	       (uint64_t)(now_ns() - t0) / MS, sum.worst_copy_ns / MS);
}

static void copy_naive(int sock)
{
	long long deadlocks = stat_value("deadlocks");
	long long cycles = stat_value("cycles");
	uint64_t t0 = now_ns();
	struct stats sum;

	copy_run(sock, "copy.naive", naive_worker, NAIVE_WORKERS, NAIVE_OPS,
		 &sum);
	deadlocks = stat_value("deadlocks") - deadlocks;
	cycles = stat_value("cycles") - cycles;
	check(cycles == deadlocks && (uint64_t)cycles == st->deadlocks,
	      "copy.naive: every cycle within this host reported (module %lld, copiers %"
	      PRIu64 ")", cycles, st->deadlocks);
	printf("# copy.naive: %" PRIu64 " copies on both hosts in %" PRIu64
	       " ms: %" PRIu64 " cycles within a host caught, %" PRIu64
	       " waits broken by the %d ms deadline, at most %" PRIu64
	       " retries, worst copy %" PRIu64 " ms\n", sum.copies,
	       (uint64_t)(now_ns() - t0) / MS, sum.deadlocks, sum.timeouts,
	       TARGET_MS, sum.retries_max, sum.worst_copy_ns / MS);
}

/* Nobody died holding the log: a grant that says so is a defect. */
static void granted(int ret, const struct lockdev_grant *g, const char *what)
{
	ok(ret, what);
	if (g->result & LOCKDEV_RESULT_OWNER_DIED)
		die("%s: granted with result %#x", what, g->result);
}

/* The log as it is now: UIDs strictly increasing, the last the index's. */
static void check_log(const char *who, int last)
{
	static uint64_t uid[LOG_MAX];
	uint64_t i, n = get(log_fd, LOG_NR);
	ssize_t len = n * sizeof(uid[0]);

	if (n > LOG_MAX)
		die("%s: %" PRIu64 " records in the log", who, n);
	if (n && pread(log_fd, uid, len, LOG_UID(0)) != len)
		die("%s: reading the log: %s", who, strerror(errno));
	for (i = 1; i < n; i++)
		if (uid[i] <= uid[i - 1])
			die("%s: UID %" PRIu64 " after %" PRIu64
			    " at record %" PRIu64, who, uid[i], uid[i - 1], i);
	if (last && n && uid[n - 1] != get(log_fd, LOG_NEXT_UID))
		die("%s: the last UID is %" PRIu64 ", the index says %" PRIu64,
		    who, uid[n - 1], get(log_fd, LOG_NEXT_UID));
}

static void reader(struct lockdev *ld)
{
	off_t slot = LOG_READER((node - 1) * 8 + worker_id);
	struct lockdev_grant g;
	uint64_t t0, h;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		t0 = now_ns();
		granted(lockdev_timedlock(ld, LOG, LOCKDEV_MODE_SHARED, 0,
					  LOCK_NS, LOCKDEV_RESTART, &g),
			&g, "reader lock");
		raise_max(&st->worst_read_ns, now_ns() - t0);
		put(log_fd, slot, 1);
		if (get(log_fd, LOG_EXPUNGER))
			die("reading while an expunge holds the log");
		check_log("reader", 0);
		usleep(500 + rnd() % 1000);
		h = get(log_fd, LOG_APPENDER);
		if (h && h / 100 != (uint64_t)node)
			add(&st->reads_with_remote_append, 1);
		check_log("reader", 0);
		put(log_fd, slot, 0);
		ok(lockdev_unlock(ld, g.handle), "reader unlock");
		add(&st->reads, 1);
		usleep(rnd() % 2000);
	}
	lockdev_close(ld);
}

/* The next UID as granted: from the value, else from the log's index. */
static uint64_t next_uid(const struct lockdev_value *v)
{
	uint64_t next, index = get(log_fd, LOG_NEXT_UID);

	if (!v->valid) {
		add(&st->value_invalid, 1);
		return index + 1;
	}
	memcpy(&next, v->data, sizeof(next));
	add(&st->value_reads, 1);
	if (next != index + 1)
		add(&st->value_stale, 1);
	return next;
}

static void appender(struct lockdev *ld)
{
	struct lockdev_value v;
	struct lockdev_grant g;
	uint64_t n, uid, next;
	int k;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		granted(lockdev_lock_value(ld, LOG, LOCKDEV_MODE_APPEND, 0,
					   LOCK_NS, LOCKDEV_RESTART, &g, &v),
			&g, "appender lock");
		enter(log_fd, LOG_APPENDER, "the log's append");
		if (get(log_fd, LOG_EXPUNGER))
			die("appending while an expunge holds the log");
		next = next_uid(&v);
		for (k = 1 + rnd() % 3; k; k--) {
			n = get(log_fd, LOG_NR);
			uid = next++;
			if (n == LOG_MAX)
				die("the log is full");
			if (n && get(log_fd, LOG_UID(n - 1)) >= uid)
				die("UID %" PRIu64 " after %" PRIu64, uid,
				    get(log_fd, LOG_UID(n - 1)));
			put(log_fd, LOG_UID(n), uid);
			put(log_fd, LOG_NEXT_UID, uid);
			put(log_fd, LOG_NR, n + 1);
			add(&st->appends, 1);
			usleep(200);
		}
		leave(log_fd, LOG_APPENDER, "the log's append");
		ok(lockdev_unlock_value(ld, g.handle, &next, sizeof(next)),
		   "appender unlock");
		usleep(rnd() % 2000);
	}
	lockdev_close(ld);
}

/* Expunge: drop the older half of the log, alone. */
static void expunger(struct lockdev *ld)
{
	static uint64_t uid[LOG_MAX];
	struct lockdev_grant g;
	uint64_t t0, nr, keep;
	ssize_t len;
	int i, s;

	for (i = 0; i < EXPUNGES; i++) {
		usleep(100000 + rnd() % 200000);
		t0 = now_ns();
		granted(lockdev_timedlock(ld, LOG, LOCKDEV_MODE_EXCLUSIVE, 0,
					  LOCK_NS, LOCKDEV_RESTART, &g),
			&g, "expunge lock");
		raise_max(&st->worst_expunge_ns, now_ns() - t0);
		enter(log_fd, LOG_EXPUNGER, "the log's expunge");
		if (get(log_fd, LOG_APPENDER))
			die("the expunge is not alone: an appender is inside");
		for (s = 0; s < LOG_SLOTS; s++)
			if (get(log_fd, LOG_READER(s)))
				die("the expunge is not alone: reader %d of node %d is inside",
				    s % 8, s / 8 + 1);
		check_log("expunge", 1);
		nr = get(log_fd, LOG_NR);
		keep = nr / 2;
		len = keep * sizeof(uid[0]);
		if (keep &&
		    (pread(log_fd, uid, len, LOG_UID(nr - keep)) != len ||
		     pwrite(log_fd, uid, len, LOG_UID(0)) != len))
			die("moving the log: %s", strerror(errno));
		put(log_fd, LOG_NR, keep);
		add(&st->expunged, nr - keep);
		add(&st->expunges, 1);
		leave(log_fd, LOG_EXPUNGER, "the log's expunge");
		ok(lockdev_unlock(ld, g.handle), "expunge unlock");
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	lockdev_close(ld);
}

static void log_worker(struct lockdev *ld)
{
	if (worker_id < READERS)
		reader(ld);
	else if (worker_id == READERS)
		appender(ld);
	else
		expunger(ld);
}

/* The modes across hosts: node 2 reads while node 1 appends, not appends. */
static void log_modes(int sock)
{
	struct lockdev *ld = session();
	struct lockdev_grant g;
	int ret;

	if (node == 1) {
		ret = lockdev_timedlock(ld, LOG, LOCKDEV_MODE_APPEND, 0,
					LOCK_NS, 0, &g);
		check(!ret, "log.modes: node 1 appends (%s)",
		      lockdev_strerror(ret, 0));
		tell_c(sock, 'A');
		hear_c(sock, 'R');
		/* Closing a session that appends would leave it owner-died. */
		if (!ret)
			lockdev_unlock(ld, g.handle);
	} else {
		hear_c(sock, 'A');
		ret = lockdev_trylock(ld, LOG, LOCKDEV_MODE_SHARED, 0, &g);
		check(!ret, "log.modes: node 2 reads while node 1 appends (%s)",
		      lockdev_strerror(ret, 0));
		if (!ret)
			lockdev_unlock(ld, g.handle);
		ret = lockdev_trylock(ld, LOG, LOCKDEV_MODE_APPEND, 0, &g);
		check(ret == -EAGAIN,
		      "log.modes: node 2 may not append while node 1 does (%s)",
		      lockdev_strerror(ret, 0));
		tell_c(sock, 'R');
	}
	lockdev_close(ld);
}

static void log_run(int sock)
{
	uint64_t t0 = now_ns(), nr, last;
	struct stats sum;
	int bad;

	bad = run(sock, log_worker, READERS + 2, &sum);
	check(!bad, "log: %d readers, an appender and an expunger ended cleanly (%d did not)",
	      READERS, bad);
	printf("# log: %" PRIu64 " reads (%" PRIu64
	       " while the other host appended), %" PRIu64
	       " UIDs appended, %" PRIu64 " expunges on both hosts in %" PRIu64
	       " ms\n", sum.reads, sum.reads_with_remote_append, sum.appends,
	       sum.expunges, (uint64_t)(now_ns() - t0) / MS);
	printf("# log: worst read wait %" PRIu64 " ms, worst expunge wait %"
	       PRIu64 " ms (bound %d ms)\n", sum.worst_read_ns / MS,
	       sum.worst_expunge_ns / MS, EXPUNGE_BOUND_MS);
	check_log("end", 1);
	nr = get(log_fd, LOG_NR);
	last = get(log_fd, LOG_NEXT_UID);
	check(last == sum.appends && sum.expunged + nr == sum.appends,
	      "log: UIDs unique and increasing across the hosts (%" PRIu64
	      " assigned, %" PRIu64 " expunged, %" PRIu64 " in the log)",
	      last, sum.expunged, nr);
	printf("# log: next UID from the value block %" PRIu64
	       " times, from the index %" PRIu64 " times (value not valid)\n",
	       sum.value_reads, sum.value_invalid);
	check(sum.value_reads && sum.value_invalid == 1 && !sum.value_stale,
	      "log: the value block carries the next UID between the hosts (%"
	      PRIu64 " stale)", sum.value_stale);
	check(st->expunges == EXPUNGES &&
	      sum.worst_expunge_ns < EXPUNGE_BOUND_MS * MS,
	      "log: no expunge starved (%" PRIu64 " here)", st->expunges);
}

/* A file of @size bytes in the shared directory: node 1 makes it. */
static int shared_file(const char *dir, const char *name, size_t size)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CLOEXEC | (node == 1 ? O_CREAT | O_TRUNC : 0),
		  0644);
	if (fd < 0)
		bail(path);
	if (node == 1 && ftruncate(fd, size))
		bail(path);
	return fd;
}

int main(void)
{
	const char *dir = getenv("LOCKDEV_SHARED");
	const char *cluster = getenv("LOCKDEV_CLUSTER");
	int sock, ret, u;

	node = peer_node("scenarios_test");
	peer_ms = PEER_MS;
	if (!dir || !cluster) {
		errno = EINVAL;
		bail("LOCKDEV_SHARED and LOCKDEV_CLUSTER (run by selftests/vm/cluster)");
	}
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		bail("mmap");
	sock = peer_connect(node, PORT);
	ret = lockdev_space_create_cluster(SPACE, cluster, 0600,
					   LOCKDEV_SPACE_KEEP,
					   LOCKDEV_SPACE_KEEP);
	check(!ret, "creates the cluster lockspace %s (%s)", SPACE,
	      lockdev_strerror(ret, 0));
	if (node == 1) {
		copy_fd = shared_file(dir, "mailboxes", USER_HOLDER(USERS));
		for (u = 0; u < USERS; u++)
			put(copy_fd, USER_MSGS(u), START_MSGS);
		log_fd = shared_file(dir, "dovecot.index.log", LOG_UID(LOG_MAX));
	}
	/* Both joined, and the shared files are there. */
	peer_joined(sock);
	if (node == 2) {
		copy_fd = shared_file(dir, "mailboxes", 0);
		log_fd = shared_file(dir, "dovecot.index.log", 0);
	}
	copy_lock_set(sock);
	copy_naive(sock);
	log_modes(sock);
	log_run(sock);
	tell_c(sock, 'E');
	hear_c(sock, 'E');
	ret = lockdev_space_remove(SPACE, LOCKDEV_SPACE_FORCE);
	check(!ret, "removes the cluster lockspace (%s)",
	      lockdev_strerror(ret, 0));
	return summary();
}
