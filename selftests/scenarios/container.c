// SPDX-License-Identifier: GPL-2.0
/*
 * A mail server in a container: its processes run in new user, IPC, PID and
 * network namespaces (container root is host uid 100000, the map written
 * by the host), with a workload that locks in its own lockspace, breaks the
 * order and dies holding locks, and a monitor subscribed to lockdev's
 * events from inside its network namespace (LOCKDEV_CMD_SUBSCRIBE). At the
 * same time the host runs the same workload in a lockspace of its own. The
 * container's monitor receives every event of the container and none of
 * the host's, with pids as the container sees them; its /proc/lockdev/locks
 * and /proc/lockdev/spaces show its own lockspace only, with its own pids
 * and ids; the host's lockspace is not there for it to attach to (ENOENT:
 * the name resolves in the container's IPC namespace, where a lockspace of
 * the same name is another one). The host's root monitor and /proc see
 * both, the container's with host pids and uids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scen.h"

#define SPACE		"scen-container"	/* the container's */
#define HOST_SPACE	"scen-container-host"	/* the host's */
#define BASE		100000		/* host uid and gid of container root */
#define RANGE		65536
#define MAX_PROCS	16
#define STEP_MS		20000		/* any step, at most */
#define QUIET_MS	300		/* no more events after the last */

/* The events a monitor received, by lockspace: the container's, the host's. */
struct seen {
	int ret;			/* lockdev_monitor_open() */
	int order[2], died[2];
	int foreign;			/* container's monitor: not its own */
	int holder_pid;			/* pid in the holder's ORDER event */
	char first_foreign[128];
};

struct state {
	int setup;			/* the container's init: 0 or a step */
	pid_t holder;			/* its pid, as the container sees it */
	int holder_order;		/* the holder's order violation */
	int attach_host;		/* attach to HOST_SPACE, NOCREATE */
	int same_name;			/* lock of h:held in its own HOST_SPACE */
	int workers_bad, host_workers_bad;
	int locks_lines, locks_foreign, locks_holder;
	int spaces_lines, spaces_own;
	struct scen_space sp;		/* its lockspace, as it sees it */
	int stop;			/* the container's monitor may end */
	struct seen mon, host_mon;
};

static struct state *st;

/* The workload of the container (prefix 'c') or of the host ('h'). */
struct side {
	const char *space;
	char prefix;
};

static const struct side container_side = { SPACE, 'c' };
static const struct side host_side = { HOST_SPACE, 'h' };

/* A byte from @fd within @ms, or -1. */
static int recv_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

static void send_byte(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		scen_die("write to a pipe: %s", strerror(errno));
}

/*
 * One worker: locks at random, one order violation ("P:lo-ID" at level 10
 * under "P:hi-ID" at 20, refused) and one process that dies holding
 * "P:died-ID", repaired afterwards.
 */
static void worker(int id, void *arg)
{
	const struct side *s = arg;
	struct lockdev *ld = scen_open(s->space);
	char name[64], hi[64];
	struct lockdev_grant g;
	int i, ret, status;
	pid_t pid;

	for (i = 0; i < scen_ops; i++) {
		snprintf(name, sizeof(name), "%c:mbox-%u", s->prefix,
			 scen_rand() % 8);
		scen_ok(lockdev_lock(ld, name, scen_rand() % 4 ?
				     LOCKDEV_MODE_SHARED :
				     LOCKDEV_MODE_EXCLUSIVE, 0,
				     LOCKDEV_RESTART, &g), "lock");
		usleep(scen_rand() % 200);
		scen_ok(lockdev_unlock(ld, g.handle), "unlock");
	}

	snprintf(hi, sizeof(hi), "%c:hi-%d", s->prefix, id);
	snprintf(name, sizeof(name), "%c:lo-%d", s->prefix, id);
	scen_ok(lockdev_lock(ld, hi, LOCKDEV_MODE_EXCLUSIVE, 20, 0, NULL),
		"lock at level 20");
	ret = lockdev_lock(ld, name, LOCKDEV_MODE_EXCLUSIVE, 10, 0, NULL);
	if (ret != -EDEADLK)
		scen_die("%s under %s: %s", name, hi, lockdev_strerror(ret, 0));
	scen_ok(lockdev_unlock_name(ld, hi), "unlock");

	snprintf(name, sizeof(name), "%c:died-%d", s->prefix, id);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct lockdev *doomed = scen_open(s->space);

		scen_ok(lockdev_lock(doomed, name, LOCKDEV_MODE_EXCLUSIVE, 0,
				     0, NULL), "the doomed lock");
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		scen_die("the doomed process");
	scen_ok(lockdev_lock(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g),
		"lock after the death");
	if (!(g.result & LOCKDEV_RESULT_OWNER_DIED))
		scen_die("%s: not owner-died after its holder died", name);
	scen_ok(lockdev_consistent(ld, g.handle), "consistent");
	scen_ok(lockdev_unlock(ld, g.handle), "unlock");
	lockdev_close(ld);
}

/* Run the workload of @s in scen_procs workers; how many failed. */
static int workload(const struct side *s)
{
	pid_t pids[MAX_PROCS];
	int i, n = scen_procs < MAX_PROCS ? scen_procs : MAX_PROCS;

	for (i = 0; i < n; i++)
		pids[i] = scen_spawn(worker, i, (void *)s);
	return scen_reap(pids, n);
}

/* The lock an event is about: an ORDER event's is the lock asked. */
static const char *event_name(const struct lockdev_event *ev, uint32_t *pid)
{
	if (ev->kind == LOCKDEV_EVENT_ORDER && ev->nr_members) {
		*pid = ev->members[0].pid;
		return ev->members[0].wait_name;
	}
	*pid = ev->pid;
	return ev->name;
}

/*
 * Count an event in @s: [0] if it is the container's (a lock "c:..." of
 * SPACE), [1] if the host's ("h:..." of HOST_SPACE); for the container's
 * own monitor (@inside) every event of another lockspace is foreign.
 */
static void tally(struct seen *s, const struct lockdev_event *ev, bool inside)
{
	uint32_t pid;
	const char *name = event_name(ev, &pid);
	int i = -1;

	if (name[0] == 'c' && name[1] == ':' && !strcmp(ev->lockspace, SPACE))
		i = 0;
	else if (name[0] == 'h' && name[1] == ':' &&
		 !strcmp(ev->lockspace, HOST_SPACE))
		i = 1;
	if (inside && (i != 0 || strcmp(ev->lockspace, SPACE))) {
		if (!s->foreign++)
			snprintf(s->first_foreign, sizeof(s->first_foreign),
				 "kind %u, lockspace %.40s, lock %.40s, pid %u",
				 ev->kind, ev->lockspace, name, pid);
		return;
	}
	if (i < 0)
		return;
	if (ev->kind == LOCKDEV_EVENT_ORDER) {
		s->order[i]++;
		if (!strcmp(name, "c:lo-holder"))
			s->holder_pid = (int)pid;
	} else if (ev->kind == LOCKDEV_EVENT_OWNER_DIED) {
		s->died[i]++;
	}
}

/* Read @mon's events into @s for up to @ms, or until none came for a while. */
static void drain(struct lockdev_monitor *mon, struct seen *s, bool inside,
		  int ms)
{
	struct pollfd p = { .fd = lockdev_monitor_fd(mon), .events = POLLIN };
	uint64_t end = now_ns() + (uint64_t)ms * SCEN_MS;
	struct lockdev_event ev;
	int ret;

	while (now_ns() < end && poll(&p, 1, QUIET_MS) == 1)
		while ((ret = lockdev_monitor_read(mon, &ev)) == 0)
			tally(s, &ev, inside);
}

/* Has @s every event of the container's (@i 0) or the host's (1) workload? */
static bool complete(const struct seen *s, int i)
{
	return s->order[i] >= scen_procs + !i && s->died[i] >= scen_procs;
}

/*
 * The container's monitor: subscribed, then reading until told to end;
 * then until it has every event of the container (they are sent from a
 * work item, a little later), and for a while more.
 */
static void container_monitor(int ready)
{
	struct lockdev_monitor *mon;
	uint64_t end;

	st->mon.ret = lockdev_monitor_open(&mon, LOCKDEV_MONITOR_NONBLOCK);
	send_byte(ready, 'm');
	if (st->mon.ret)
		_exit(1);
	while (!__atomic_load_n(&st->stop, __ATOMIC_SEQ_CST))
		drain(mon, &st->mon, true, 100);
	end = now_ns() + STEP_MS * SCEN_MS;
	while (!complete(&st->mon, 0) && now_ns() < end)
		drain(mon, &st->mon, true, 100);
	drain(mon, &st->mon, true, QUIET_MS);
	lockdev_monitor_close(mon);
	_exit(0);
}

/*
 * A holder that stays: "c:held" at level 20, then an order violation it
 * survives; it unlocks once @release reads end of file.
 */
static void holder(int ready, int release)
{
	struct lockdev *ld = scen_open(SPACE);
	char c;

	scen_ok(lockdev_lock(ld, "c:held", LOCKDEV_MODE_EXCLUSIVE, 20, 0,
			     NULL), "c:held");
	st->holder_order = lockdev_lock(ld, "c:lo-holder",
					LOCKDEV_MODE_EXCLUSIVE, 10, 0, NULL);
	st->holder = getpid();
	send_byte(ready, 'h');
	while (read(release, &c, 1) > 0)
		;
	scen_ok(lockdev_unlock_name(ld, "c:held"), "unlock c:held");
	lockdev_close(ld);
	_exit(0);
}

/* /proc/lockdev/locks and /proc/lockdev/spaces as the container reads them. */
static void container_proc(void)
{
	char line[1200], space[1100], name[300], mode[16], state[16];
	unsigned int pid;
	FILE *f = fopen("/proc/lockdev/locks", "r");

	if (!f)
		scen_die("/proc/lockdev/locks: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' ||
		    sscanf(line, "%1099s %299s %*u %15s %15s %u", space, name,
			   mode, state, &pid) != 5)
			continue;
		st->locks_lines++;
		if (strcmp(space, SPACE) || name[0] != 'c')
			st->locks_foreign++;
		if (!strcmp(name, "c:held") && !strcmp(state, "held") &&
		    pid == (unsigned int)st->holder)
			st->locks_holder++;
	}
	fclose(f);
	f = fopen("/proc/lockdev/spaces", "r");
	if (!f)
		scen_die("/proc/lockdev/spaces: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#')
			st->spaces_lines++;
	fclose(f);
	st->spaces_own = scen_space(SPACE, &st->sp);
}

/* In its own IPC namespace the host's name is another, new lockspace. */
static void same_name(void)
{
	struct lockdev *ld;

	scen_ok(lockdev_open_space(&ld, HOST_SPACE, 0600, 0),
		"create the container's own " HOST_SPACE);
	st->same_name = lockdev_trylock(ld, "h:held", LOCKDEV_MODE_EXCLUSIVE,
					0, NULL);
	if (!st->same_name)
		scen_ok(lockdev_unlock_name(ld, "h:held"), "unlock h:held");
	lockdev_close(ld);
}

/*
 * The container's init, pid 1: @in from the host, @out to it. Steps
 * (st->setup says how far it got when it fails): root in the container,
 * monitor subscribed, holder holding; then 'r' to the host, the workload,
 * what /proc shows; 'd' to the host, and once the host says 'e' (its events
 * are out), the monitor drains and ends.
 */
static void __attribute__((noreturn)) container_init(int in, int out)
{
	int ready[2], release[2], status;
	struct lockdev *ld;
	pid_t mon, hold;

	if (recv_byte(in, STEP_MS) != 'g')
		_exit(10);
	if (setgroups(0, NULL) || setresgid(0, 0, 0) || setresuid(0, 0, 0))
		_exit(11);
	if (getpid() != 1 || getuid() != 0)
		_exit(12);
	if (pipe(ready) || pipe(release))
		_exit(13);
	st->setup = 1;
	fflush(stdout);
	mon = fork();
	if (mon == 0)
		container_monitor(ready[1]);
	if (mon < 0 || recv_byte(ready[0], STEP_MS) != 'm' || st->mon.ret)
		_exit(14);
	st->setup = 2;
	st->attach_host = lockdev_open_space(&ld, HOST_SPACE, 0,
					     LOCKDEV_OPEN_NOCREATE);
	if (!st->attach_host)
		lockdev_close(ld);
	hold = fork();
	if (hold == 0) {
		close(release[1]);
		holder(ready[1], release[0]);
	}
	close(release[0]);
	if (hold < 0 || recv_byte(ready[0], STEP_MS) != 'h')
		_exit(15);
	st->setup = 3;
	send_byte(out, 'r');

	st->workers_bad = workload(&container_side);
	container_proc();
	same_name();
	st->setup = 4;
	send_byte(out, 'd');
	if (recv_byte(in, STEP_MS) != 'e')
		_exit(16);
	__atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
	close(release[1]);
	if (waitpid(mon, &status, 0) != mon || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || waitpid(hold, &status, 0) != hold ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		_exit(17);
	st->setup = 5;
	_exit(0);
}

/* Write "0 BASE RANGE" to /proc/@pid/@file. */
static bool map(pid_t pid, const char *file)
{
	char path[64], line[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	snprintf(line, sizeof(line), "0 %d %d", BASE, RANGE);
	return !write_str(path, line);
}

/* The host pid of the process whose pid in its own namespace is @inner. */
static bool host_pid_is(unsigned int pid, pid_t inner)
{
	char path[64], *s, *p;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	s = read_file(path);
	p = s ? strstr(s, "\nNSpid:") : NULL;
	if (p) {
		unsigned int outer, in;

		ok = sscanf(p, "\nNSpid: %u %u", &outer, &in) == 2 &&
		     outer == pid && in == (unsigned int)inner;
	}
	free(s);
	return ok;
}

/* The host's view of the container's holder and lockspace. */
static void host_proc(void)
{
	char line[1200], space[1100], name[300];
	bool seen = false, pid_ok = false;
	unsigned int pid;
	struct scen_space sp;
	FILE *f = fopen("/proc/lockdev/locks", "r");

	while (f && fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%1099s %299s %*u %*s %*s %u", space, name,
			   &pid) == 3 && !strcmp(name, "c:held")) {
			seen = true;
			pid_ok = pid != (unsigned int)st->holder &&
				 host_pid_is(pid, st->holder);
		}
	if (f)
		fclose(f);
	scen_check(seen && pid_ok,
		   "host_sees_the_container_holder_with_its_host_pid");
	scen_check(scen_space(SPACE, &sp) && sp.uid == BASE && sp.gid == BASE,
		   "host_sees_the_container_lockspace_owned_by_uid_%d", BASE);
}

/* Which namespace type the kernel lacks (unshare fails EINVAL), or NULL. */
static const char *missing_namespace(void)
{
	static const struct {
		int flag;
		const char *name;
	} types[] = {
		{ CLONE_NEWUSER, "user namespaces (CONFIG_USER_NS)" },
		{ CLONE_NEWIPC, "IPC namespaces (CONFIG_IPC_NS)" },
		{ CLONE_NEWPID, "PID namespaces (CONFIG_PID_NS)" },
		{ CLONE_NEWNET, "network namespaces (CONFIG_NET_NS)" },
	};
	unsigned int i;
	int status;
	pid_t pid;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(unshare(types[i].flag) && errno == EINVAL);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			scen_die("fork: %s", strerror(errno));
		if (WIFEXITED(status) && WEXITSTATUS(status))
			return types[i].name;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int to[2], from[2], status, c, d = 0;
	struct lockdev_monitor *hmon;
	const char *missing;
	struct lockdev *hs;
	uint64_t t0, end;
	pid_t init;

	scen_start(argc, argv, "container",
		   "a workload and a monitor in new user, IPC, PID and network namespaces, and one on the host",
		   3, 20);
	if (scen_procs > MAX_PROCS)
		scen_procs = MAX_PROCS;
	missing = missing_namespace();
	if (missing) {
		scen_skip("namespaces", missing);
		return scen_end();
	}
	st = scen_shared(sizeof(*st));
	scen_ok(lockdev_monitor_open(&hmon, LOCKDEV_MONITOR_NONBLOCK),
		"the host's monitor");
	hs = scen_open(HOST_SPACE);
	scen_ok(lockdev_lock(hs, "h:held", LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL),
		"h:held");
	if (pipe(to) || pipe(from))
		scen_die("pipe: %s", strerror(errno));
	t0 = now_ns();

	fflush(stdout);
	init = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWPID |
		       CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, NULL);
	if (init < 0)
		scen_die("clone: %s", strerror(errno));
	if (init == 0) {
		/* Nothing of the host's goes with it. */
		lockdev_close(hs);
		lockdev_monitor_close(hmon);
		close(to[1]);
		close(from[0]);
		container_init(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	if (!map(init, "uid_map") || !map(init, "gid_map"))
		scen_die("cannot write the container's id maps");
	send_byte(to[1], 'g');

	c = recv_byte(from[0], STEP_MS);
	if (c == 'r') {
		host_proc();
		st->host_workers_bad = workload(&host_side);
		/* Until the container is done and both workloads' events are in. */
		end = now_ns() + STEP_MS * SCEN_MS;
		while (now_ns() < end &&
		       (d != 'd' || !complete(&st->host_mon, 0) ||
			!complete(&st->host_mon, 1))) {
			drain(hmon, &st->host_mon, false, 100);
			if (d != 'd')
				d = recv_byte(from[0], 0);
		}
		send_byte(to[1], 'e');
	}
	if (waitpid(init, &status, 0) != init)
		scen_die("waitpid: %s", strerror(errno));
	scen_say("the container ran for %llu ms",
		 (unsigned long long)((now_ns() - t0) / SCEN_MS));
	drain(hmon, &st->host_mon, false, QUIET_MS);
	lockdev_monitor_close(hmon);
	scen_ok(lockdev_unlock_name(hs, "h:held"), "unlock h:held");
	lockdev_close(hs);

	if (!scen_check(WIFEXITED(status) && !WEXITSTATUS(status) &&
			st->setup == 5,
			"container_ran (status %#x, at step %d)", status,
			st->setup))
		scen_say("the container's monitor: %s",
			 lockdev_strerror(st->mon.ret, 0));
	scen_check(!st->workers_bad && !st->host_workers_bad,
		   "workers_clean (container %d, host %d failed)",
		   st->workers_bad, st->host_workers_bad);
	scen_check(st->attach_host == -ENOENT,
		   "container_cannot_attach_to_the_host_lockspace (%s)",
		   strerror(-st->attach_host));
	scen_check(!st->same_name,
		   "same_name_in_the_container_is_another_lockspace (%s)",
		   strerror(-st->same_name));
	scen_say("the container's /proc/lockdev/locks: %d lines, %d not its own; /proc/lockdev/spaces: %d lines",
		 st->locks_lines, st->locks_foreign, st->spaces_lines);
	scen_check(st->locks_lines >= 1 && !st->locks_foreign,
		   "container_proc_locks_only_its_own");
	scen_check(st->locks_holder == 1,
		   "container_proc_locks_pid_as_the_container_sees_it (%d)",
		   (int)st->holder);
	scen_check(st->spaces_lines == 1 && st->spaces_own &&
		   st->sp.uid == 0 && st->sp.gid == 0 && st->sp.mode == 0600,
		   "container_proc_spaces_only_its_own_owned_by_its_root");
	scen_say("the container's monitor: %d order violations, %d owner deaths of its own; %d events not its own",
		 st->mon.order[0], st->mon.died[0], st->mon.foreign);
	scen_check(st->holder_order == -EDEADLK &&
		   st->mon.order[0] == scen_procs + 1 &&
		   st->mon.died[0] == scen_procs,
		   "container_monitor_sees_its_events");
	scen_check(st->mon.holder_pid == (int)st->holder,
		   "container_monitor_pids_as_the_container_sees_them (%d, holder %d)",
		   st->mon.holder_pid, (int)st->holder);
	if (!scen_check(!st->mon.foreign,
			"container_monitor_sees_no_host_event (%d)",
			st->mon.foreign))
		scen_say("first: %s", st->mon.first_foreign);
	scen_say("the host's monitor: container %d order, %d died; host %d order, %d died",
		 st->host_mon.order[0], st->host_mon.died[0],
		 st->host_mon.order[1], st->host_mon.died[1]);
	scen_check(st->host_mon.order[1] == scen_procs &&
		   st->host_mon.died[1] == scen_procs &&
		   st->host_mon.order[0] == scen_procs + 1 &&
		   st->host_mon.died[0] == scen_procs,
		   "host_monitor_sees_both");
	scen_check(st->host_mon.holder_pid &&
		   st->host_mon.holder_pid != (int)st->holder,
		   "host_monitor_pids_as_the_host_sees_them (%d)",
		   st->host_mon.holder_pid);
	return scen_end();
}
