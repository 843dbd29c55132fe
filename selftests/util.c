// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the lockdev selftests: what needs no kselftest harness. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "util.h"

/* CLOCK_MONOTONIC in nanoseconds. */
__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A user pointer as the __u64 the uapi structures carry. */
__u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* True if every byte of @p is still POISON. */
bool poisoned(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != POISON)
			return false;
	return true;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A name of exactly @len bytes that starts with @prefix, in @buf. */
void long_name(char *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	memset(buf, 'z', len);
	memcpy(buf, prefix, n < len ? n : len);
	buf[len] = 0;
}

/* A LOCK request: inputs set, outputs (result, handle, generation) poisoned. */
void lock_input(struct lockdev_lock *l, const char *name,
		__u32 mode, __u32 flags)
{
	poison(l, sizeof(*l));
	l->name = ptr(name);
	l->name_len = strlen(name);
	l->mode = mode;
	l->flags = flags;
	l->level = 0;
	l->deadline_ns = 0;
	l->user_data = 0;
	l->entries = 0;
	l->nr_entries = 0;
}

int lock_call(int fd, const char *name, __u32 mode, __u32 flags,
	      struct lockdev_lock *l)
{
	lock_input(l, name, mode, flags);
	return ioctl(fd, LOCKDEV_IOC_LOCK, l);
}

int unlock_handle(int fd, __u64 handle)
{
	struct lockdev_unlock u = { .handle = handle };

	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

int convert_nonblock(int fd, __u64 handle, __u32 mode)
{
	struct lockdev_convert c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	c.mode = mode;
	c.flags = LOCKDEV_LOCK_NONBLOCK;
	return ioctl(fd, LOCKDEV_IOC_CONVERT, &c);
}

int attach_space(int fd, const char *name, __u32 flags, __u32 mode)
{
	struct lockdev_attach a;

	memset(&a, 0, sizeof(a));
	a.name = ptr(name);
	a.name_len = strlen(name);
	a.flags = flags;
	a.mode = mode;
	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

int space_ctl_call(int fd, const void *name, __u32 len, __u32 op,
		   __u32 flags, __u32 mode, __u32 uid, __u32 gid)
{
	struct lockdev_space_ctl c;

	memset(&c, 0, sizeof(c));
	c.name = ptr(name);
	c.name_len = len;
	c.op = op;
	c.flags = flags;
	c.mode = mode;
	c.uid = uid;
	c.gid = gid;
	return ioctl(fd, LOCKDEV_IOC_SPACE, &c);
}

int unlock_name(int fd, const char *name)
{
	struct lockdev_unlock u = { .name = ptr(name), .name_len = strlen(name) };

	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

/* QUERY @name into @e, @cap entries; only those @cap are poisoned first. */
int query(int fd, const char *name, struct lockdev_query *q,
	  struct lockdev_entry *e, __u32 cap)
{
	poison(q, sizeof(*q));
	q->name = ptr(name);
	q->name_len = strlen(name);
	q->flags = 0;
	q->entries = ptr(e);
	q->nr_entries = cap;
	if (e)
		poison(e, cap * sizeof(*e));
	return ioctl(fd, LOCKDEV_IOC_QUERY, q);
}

int count_state(int fd, const char *name, __u32 state)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	unsigned int i;
	int n = 0;

	if (query(fd, name, &q, e, MAXE))
		return -1;
	for (i = 0; i < q.nr_entries && i < MAXE; i++)
		if (e[i].state == state)
			n++;
	return n;
}

int wait_lock_state(int fd, const char *name, int held, int waiting)
{
	__u64 end = now_ns() + SOON_MS * 1000000ull;

	do {
		if (count_state(fd, name, LOCKDEV_STATE_HELD) == held &&
		    count_state(fd, name, LOCKDEV_STATE_WAITING) == waiting)
			return 0;
		usleep(2000);
	} while (now_ns() < end);
	return -1;
}

int poll_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDNORM };
	int ret = poll(&p, 1, timeout_ms);

	if (ret < 0)
		return POLL_FAILED;
	return ret ? p.revents : 0;
}

/* LIST into @h, @cap entries; only those @cap are poisoned first. */
int list_call(int fd, struct lockdev_held *h, __u32 cap,
	      struct lockdev_list *l)
{
	poison(l, sizeof(*l));
	l->entries = ptr(h);
	l->nr_entries = cap;
	l->flags = 0;
	if (h)
		poison(h, cap * sizeof(*h));
	return ioctl(fd, LOCKDEV_IOC_LIST, l);
}

/* How many locks and requests the session has, or -1 if LIST fails. */
int list_count(int fd)
{
	struct lockdev_held h[4];
	struct lockdev_list l;

	if (list_call(fd, h, 4, &l))
		return -1;
	return l.nr_entries;
}

/* Index of the first of @n entries of @pid (any pid if 0) in @state (any if 0). */
int find_entry(const struct lockdev_entry *e, __u32 n, pid_t pid,
	       __u32 state)
{
	__u32 i;

	for (i = 0; i < n && i < MAXE; i++)
		if ((!pid || e[i].pid == (__u32)pid) && (!state || e[i].state == state))
			return i;
	return -1;
}

/* Wait until QUERY of @name shows an entry of @pid (0: anyone) in @state. */
bool wait_entry(int fd, const char *name, pid_t pid, __u32 state)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	__u64 end = now_ns() + WAIT_MS * 1000000ull;

	do {
		if (!query(fd, name, &q, e, MAXE) &&
		    find_entry(e, q.nr_entries, pid, state) >= 0)
			return true;
		sleep_ms(2);
	} while (now_ns() < end);
	return false;
}

/* Wait until QUERY of @name shows a request of @pid queued or converting. */
bool wait_queued(int fd, const char *name, pid_t pid)
{
	__u64 end = now_ns() + WAIT_MS * 1000000ull;
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;

	do {
		if (!query(fd, name, &q, e, MAXE) &&
		    (find_entry(e, q.nr_entries, pid,
				LOCKDEV_STATE_WAITING) >= 0 ||
		     find_entry(e, q.nr_entries, pid,
				LOCKDEV_STATE_CONVERTING) >= 0))
			return true;
		sleep_ms(2);
	} while (now_ns() < end);
	return false;
}

/* Wait until QUERY of @name shows no entry of @pid. */
bool wait_no_entry(int fd, const char *name, pid_t pid)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	__u64 end = now_ns() + WAIT_MS * 1000000ull;

	do {
		if (!query(fd, name, &q, e, MAXE) &&
		    find_entry(e, q.nr_entries, pid, 0) < 0)
			return true;
		sleep_ms(2);
	} while (now_ns() < end);
	return false;
}

void take_snap(int fd, const char *name, struct snap *s)
{
	struct lockdev_query q;

	s->ret = query(fd, name, &q, s->e, MAXE);
	s->generation = q.generation;
	s->nr = q.nr_entries;
	s->lock_flags = q.lock_flags;
}

/* SIGALRM that interrupts a call, bounding a wait the test makes itself. */
static void on_alarm(int sig)
{
	(void)sig;
}

void arm_alarm(unsigned int secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

static volatile sig_atomic_t locker_sigs;

static void locker_on_signal(int sig)
{
	(void)sig;
	locker_sigs++;
}

int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

void locker_main(int fd, const char *name, int cmd, int reply, int order,
		 int idx)
{
	struct locker_cmd c;
	struct locker_reply r;
	__u64 last = 0;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGALRM, SIG_DFL);
	alarm(CHILD_SECS);
	/* Hold no other file: a session must go when the test closes it. */
	for (i = 3; i < 1024; i++)
		if (i != fd && i != cmd && i != reply && i != order)
			close(i);
	if (fd < 0)
		fd = open_session();
	if (fd < 0)
		_exit(99);

	while (!read_all(cmd, &c, sizeof(c))) {
		memset(&r, 0, sizeof(r));
		r.op = c.op;
		r.start_ns = now_ns();
		errno = 0;
		switch (c.op) {
		case OP_LOCK: {
			struct lockdev_lock l;

			lock_input(&l, name, c.mode, c.flags);
			l.level = c.level;
			l.deadline_ns = c.deadline_ns;
			poison(r.e, sizeof(r.e));
			l.entries = ptr(r.e);
			l.nr_entries = 4;
			r.ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
			r.err = r.ret ? errno : 0;
			r.result = l.result;
			r.handle = l.handle;
			r.generation = l.generation;
			r.nr = l.nr_entries;
			if (!r.ret)
				last = l.handle;
			break;
		}
		case OP_UNLOCK:
			r.ret = unlock_handle(fd, c.handle ? c.handle : last);
			r.err = r.ret ? errno : 0;
			break;
		case OP_UNLOCK_NAME:
			r.ret = unlock_name(fd, name);
			r.err = r.ret ? errno : 0;
			break;
		case OP_CONVERT: {
			struct lockdev_convert v;

			poison(&v, sizeof(v));
			v.handle = c.handle ? c.handle : last;
			v.name = 0;
			v.name_len = 0;
			v.mode = c.mode;
			v.flags = c.flags;
			v.deadline_ns = c.deadline_ns;
			r.ret = ioctl(fd, LOCKDEV_IOC_CONVERT, &v);
			r.err = r.ret ? errno : 0;
			r.result = v.result;
			r.generation = v.generation;
			break;
		}
		case OP_LIST: {
			struct lockdev_held h[2];
			struct lockdev_list l;

			r.ret = list_call(fd, h, 2, &l);
			r.err = r.ret ? errno : 0;
			r.nr = l.nr_entries;
			r.h = h[0];
			break;
		}
		case OP_SIGACT: {
			struct sigaction sa = { .sa_handler = locker_on_signal };

			sigemptyset(&sa.sa_mask);
			sa.sa_flags = c.flags;
			r.ret = sigaction(SIGUSR1, &sa, NULL);
			r.err = r.ret ? errno : 0;
			break;
		}
		default:
			r.ret = -1;
			r.err = ENOSYS;
		}
		r.end_ns = now_ns();
		r.sigs = locker_sigs;
		if (write_all(reply, &r, sizeof(r)))
			_exit(98);
		if (c.op == OP_LOCK && !r.ret && order >= 0) {
			char b = idx;

			if (write_all(order, &b, 1))
				_exit(97);
		}
	}
	_exit(0);
}

/* Read the next @len-byte answer on @fd, if it comes within @ms. */
static bool read_answer(int fd, void *r, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, ms);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		return false;
	return !read_all(fd, r, len);
}

/* The locker's next answer, if it comes within @ms. */
bool locker_answer(struct locker *lk, struct locker_reply *r, int ms)
{
	return read_answer(lk->reply, r, sizeof(*r), ms);
}

/* Let the locker exit normally (closing its end of the session). */
int locker_exit(struct locker *lk)
{
	__u64 end = now_ns() + WAIT_MS * 1000000ull;
	int status;
	pid_t got;

	close(lk->cmd);
	close(lk->reply);
	do {
		got = waitpid(lk->pid, &status, WNOHANG);
		if (got == lk->pid) {
			lk->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		sleep_ms(2);
	} while (now_ns() < end);
	kill(lk->pid, SIGKILL);
	waitpid(lk->pid, &status, 0);
	lk->pid = 0;
	return -1;
}

void locker_kill(struct locker *lk)
{
	if (lk->pid <= 0)
		return;
	kill(lk->pid, SIGKILL);
	waitpid(lk->pid, NULL, 0);
	close(lk->cmd);
	close(lk->reply);
	lk->pid = 0;
}

/* The value of @name in /proc/lockdev/stats, or -1 if it is absent. */
long long stat_value(const char *name)
{
	char key[64];
	long long value, found = -1;
	FILE *f = fopen(STATS, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &value) == 2)
		if (!strcmp(key, name))
			found = value;
	fclose(f);
	return found;
}

/* Wait up to WAIT_MS for stat @name to become @want; return its last value. */
long long wait_stat(const char *name, long long want)
{
	long long v;
	int waited;

	for (waited = 0; ; waited += 5) {
		v = stat_value(name);
		if (v == want || waited >= WAIT_MS)
			return v;
		sleep_ms(5);
	}
}

/* Drop to @uid and @gid for good, with no supplementary groups. */
int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/* Read all of @path into a NUL-terminated buffer to free(), or NULL. */
char *read_file(const char *path)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size), *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (size - len < 4096) {
			p = realloc(buf, size * 2);
			if (!p)
				break;
			buf = p;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* Like fork(): the child gets 0 and dies by SIGALRM after KID_TIMEOUT_S. */
pid_t kid_fork(struct kid *k)
{
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC))
		return -1;
	if (pipe2(up, O_CLOEXEC)) {
		close(down[0]);
		close(down[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	k->pid = fork();
	if (k->pid < 0) {
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		return -1;
	}
	if (k->pid == 0) {
		close(down[1]);
		close(up[0]);
		k->rd = down[0];
		k->wr = up[1];
		alarm(KID_TIMEOUT_S);
		return 0;
	}
	close(down[0]);
	close(up[1]);
	k->rd = up[0];
	k->wr = down[1];
	return k->pid;
}

int kid_send(struct kid *k, char c)
{
	return write(k->wr, &c, 1) == 1 ? 0 : -1;
}

/* The next byte from the other side; -1 on EOF, error or timeout. */
int kid_recv(struct kid *k, int timeout_ms)
{
	struct pollfd p = { .fd = k->rd, .events = POLLIN };
	unsigned char c;

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	if (read(k->rd, &c, 1) != 1)
		return -1;
	return c;
}

/*
 * Wait up to @timeout_ms for child @pid, then kill it. Return its exit
 * status, 128 + the signal that killed it, or -1 if it had to be killed.
 */
int reap(pid_t pid, int timeout_ms)
{
	int status, waited = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			return -2;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(5);
		waited += 5;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int kid_reap(struct kid *k)
{
	close(k->rd);
	close(k->wr);
	return reap(k->pid, WAIT_MS);
}

/* ---- actors ---- */

static void actor_report(int fd, struct act_reply *r)
{
	poison(&r->dl, sizeof(r->dl));
	poison(r->m, sizeof(r->m));
	r->dl.members = ptr(r->m);
	r->dl.nr_members = ACT_MEMBERS;
	r->dl.flags = 0;
	r->dl.pad = 0;
	r->dl_ret = ioctl(fd, LOCKDEV_IOC_DEADLOCK, &r->dl);
}

void actor_main(int fd, int cmd, int reply)
{
	struct act_cmd c;
	struct act_reply r;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGALRM, SIG_DFL);
	alarm(CHILD_SECS);
	for (i = 3; i < 1024; i++)
		if (i != fd && i != cmd && i != reply)
			close(i);
	if (fd < 0)
		fd = open_session();
	if (fd < 0)
		_exit(99);

	while (!read_all(cmd, &c, sizeof(c))) {
		memset(&r, 0, sizeof(r));
		r.op = c.op;
		r.dl_ret = 1;
		r.start_ns = now_ns();
		errno = 0;
		switch (c.op) {
		case ACT_LOCK: {
			struct lockdev_lock l;

			c.name[ACT_NAME - 1] = 0;
			lock_input(&l, c.name, c.mode, c.flags);
			l.level = c.level;
			l.deadline_ns = c.deadline_ns;
			r.ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
			r.err = r.ret ? errno : 0;
			r.result = l.result;
			r.handle = l.handle;
			r.generation = l.generation;
			break;
		}
		case ACT_UNLOCK:
			c.name[ACT_NAME - 1] = 0;
			r.ret = c.handle ? unlock_handle(fd, c.handle) :
				unlock_name(fd, c.name);
			r.err = r.ret ? errno : 0;
			break;
		case ACT_CONVERT: {
			struct lockdev_convert v;

			c.name[ACT_NAME - 1] = 0;
			poison(&v, sizeof(v));
			v.handle = c.handle;
			v.name = c.handle ? 0 : ptr(c.name);
			v.name_len = c.handle ? 0 : strlen(c.name);
			v.mode = c.mode;
			v.flags = c.flags;
			v.deadline_ns = c.deadline_ns;
			r.ret = ioctl(fd, LOCKDEV_IOC_CONVERT, &v);
			r.err = r.ret ? errno : 0;
			r.result = v.result;
			r.generation = v.generation;
			break;
		}
		case ACT_SET: {
			struct lockdev_lock_set s;
			__u32 n = c.nr_items < ACT_ITEMS ? c.nr_items : ACT_ITEMS;
			__u32 k;

			for (k = 0; k < n; k++) {
				c.items[k].name[ACT_NAME - 1] = 0;
				set_item(&r.items[k], c.items[k].name,
					 c.items[k].mode, c.items[k].level);
			}
			r.ret = set_call(fd, r.items, n, c.flags, c.deadline_ns, &s);
			r.err = r.ret ? errno : 0;
			r.failed = s.failed;
			r.result = s.result;
			/* Rebase the name pointers: they mean nothing to the test. */
			for (k = 0; k < n; k++)
				r.items[k].name = 0;
			break;
		}
		case ACT_READ: {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poison(&r.comp, sizeof(r.comp));
			if (poll(&p, 1, WAIT_MS) != 1) {
				r.ret = -1;
				r.err = ETIMEDOUT;
				break;
			}
			r.ret = read(fd, &r.comp, sizeof(r.comp)) ==
				sizeof(r.comp) ? 0 : -1;
			r.err = r.ret ? errno : 0;
			break;
		}
		case ACT_ORDER:
			r.ret = set_order(fd, c.mode, &r.nr);
			r.err = r.ret ? errno : 0;
			break;
		case ACT_ATTACH: {
			struct lockdev_attach a = {
				.name = ptr(c.name),
				.name_len = strnlen(c.name, ACT_NAME),
				.mode = c.mode,
			};

			r.ret = ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
			r.err = r.ret ? errno : 0;
			break;
		}
		case ACT_SIGACT: {
			struct sigaction sa = { .sa_handler = locker_on_signal };

			sigemptyset(&sa.sa_mask);
			sa.sa_flags = c.flags;
			r.ret = sigaction(SIGUSR1, &sa, NULL);
			r.err = r.ret ? errno : 0;
			break;
		}
		case ACT_LIST:
			r.ret = list_count(fd);
			r.err = r.ret < 0 ? errno : 0;
			if (r.ret >= 0) {
				r.nr = r.ret;
				r.ret = 0;
			}
			break;
		default:
			r.ret = -1;
			r.err = ENOSYS;
		}
		r.end_ns = now_ns();
		r.sigs = locker_sigs;
		if ((r.ret && r.err == EDEADLK) ||
		    (c.op == ACT_READ && !r.ret && r.comp.result == -EDEADLK) ||
		    (!r.ret && (c.op == ACT_LOCK || c.op == ACT_SET) &&
		     (r.result & LOCKDEV_RESULT_ORDER)))
			actor_report(fd, &r);
		if (write_all(reply, &r, sizeof(r)))
			_exit(98);
	}
	_exit(0);
}

bool actor_answer(struct locker *lk, struct act_reply *r, int ms)
{
	return read_answer(lk->reply, r, sizeof(*r), ms);
}

/* ---- lock sets and deadlock reports ---- */

void set_item(struct lockdev_set_item *it, const char *name, __u32 mode,
	      __u32 level)
{
	poison(it, sizeof(*it));
	it->name = ptr(name);
	it->name_len = strlen(name);
	it->mode = mode;
	it->level = level;
	it->result = 0;
}

int set_call(int fd, struct lockdev_set_item *it, __u32 nr, __u32 flags,
	     __u64 deadline_ns, struct lockdev_lock_set *s)
{
	poison(s, sizeof(*s));
	s->items = ptr(it);
	s->nr_items = nr;
	s->item_size = sizeof(*it);
	s->flags = flags;
	s->deadline_ns = deadline_ns;
	s->pad = 0;
	return ioctl(fd, LOCKDEV_IOC_LOCK_SET, s);
}

int deadlock_call(int fd, struct lockdev_deadlock *d,
		  struct lockdev_cycle_member *m, __u32 cap)
{
	poison(d, sizeof(*d));
	if (m)
		poison(m, cap * sizeof(*m));
	d->members = ptr(m);
	d->nr_members = cap;
	d->flags = 0;
	d->pad = 0;
	return ioctl(fd, LOCKDEV_IOC_DEADLOCK, d);
}

int set_order(int fd, __u32 mode, __u32 *old)
{
	struct lockdev_order o;
	int ret;

	poison(&o, sizeof(o));
	o.mode = mode;
	o.flags = 0;
	o.pad = 0;
	ret = ioctl(fd, LOCKDEV_IOC_SET_ORDER, &o);
	if (old)
		*old = o.old_mode;
	return ret;
}

/* ---- /proc/lockdev/locks and /proc/lockdev/deadlocks ---- */

char *proc_escape(char *out, const void *bytes, size_t len)
{
	const unsigned char *s = bytes;
	char *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '\\' || s[i] == '~')
			o += sprintf(o, "\\%03o", s[i]);
		else
			*o++ = s[i];
	}
	*o = 0;
	return out;
}

const char *mode_name(__u32 mode)
{
	switch (mode) {
	case LOCKDEV_MODE_SHARED:
		return "shared";
	case LOCKDEV_MODE_APPEND:
		return "append";
	case LOCKDEV_MODE_EXCLUSIVE:
		return "exclusive";
	case LOCKDEV_MODE_NONE:
		return "none";
	}
	return "?";
}

__u32 mode_of(const char *name)
{
	__u32 m;

	for (m = LOCKDEV_MODE_SHARED; m <= LOCKDEV_MODE_NONE; m++)
		if (!strcmp(name, mode_name(m)))
			return m;
	return 0;
}

bool compatible(__u32 a, __u32 b)
{
	if (a == LOCKDEV_MODE_NONE || b == LOCKDEV_MODE_NONE)
		return true;
	if (a == LOCKDEV_MODE_EXCLUSIVE || b == LOCKDEV_MODE_EXCLUSIVE)
		return false;
	return a == LOCKDEV_MODE_SHARED || b == LOCKDEV_MODE_SHARED;
}

static int field_str(char *dst, size_t size, const char *src)
{
	if (!src || !*src || strlen(src) >= size)
		return -1;
	strcpy(dst, src);
	return 0;
}

static int field_num(const char *src, long long *v)
{
	char *end;

	if (!src || !*src)
		return -1;
	errno = 0;
	*v = strtoll(src, &end, 10);
	return errno || *end ? -1 : 0;
}

static int field_u64(const char *src, unsigned long long *v)
{
	char *end;

	if (!src || !*src || *src == '-')
		return -1;
	errno = 0;
	*v = strtoull(src, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Split @line (modified) at single spaces into at most @max fields. */
static int split(char *line, char **f, int max)
{
	char *rest = line;
	int n = 0;

	while (rest && n < max + 1)
		f[n++] = strsep(&rest, " ");
	return rest ? -1 : n;
}

static int parse_waits(char *s, struct locks_line *p)
{
	char *rest = s, *f;
	long long v;

	if (!strcmp(s, "-")) {
		p->nr_waits = -1;
		return 0;
	}
	p->nr_waits = 0;
	p->waits_more = false;
	while ((f = strsep(&rest, ","))) {
		/* More than LOCKDEV_PROC_WAITS_FOR_MAX: the last element. */
		if (!strcmp(f, "...") && p->nr_waits && !rest) {
			p->waits_more = true;
			break;
		}
		if (field_num(f, &v) || v < 0)
			return -1;
		if (p->nr_waits < WAITS_MAX)
			p->waits[p->nr_waits++] = v;
	}
	return 0;
}

static int parse_locks_line(char *line, struct locks_line *p)
{
	long long v[5];
	char *f[13];
	int n = split(line, f, 12);

	/* Snapshots written before the session column have 11 fields. */
	if (n != 11 && n != 12)
		return -1;
	p->session = 0;
	if (field_str(p->space, sizeof(p->space), f[0]) ||
	    field_str(p->name, sizeof(p->name), f[1]) ||
	    field_num(f[2], &v[0]) ||
	    field_str(p->mode, sizeof(p->mode), f[3]) ||
	    field_str(p->state, sizeof(p->state), f[4]) ||
	    field_num(f[5], &v[1]) ||
	    field_str(p->comm, sizeof(p->comm), f[6]) ||
	    field_num(f[7], &v[2]) ||
	    field_num(f[8], &v[3]) ||
	    field_u64(f[9], &p->generation) ||
	    parse_waits(f[10], p) ||
	    (n == 12 && field_u64(f[11], &p->session)))
		return -1;
	p->level = v[0];
	p->pid = v[1];
	p->age_ms = v[2];
	p->owner_died = v[3];
	return 0;
}

int read_locks(const char *text, const char *space, struct locks_line **out)
{
	char *buf = text ? strdup(text) : read_file(LOCKS);
	char *line, *save = NULL;
	struct locks_line *arr = NULL, *p, tmp;
	int n = 0, cap = 0, nr = 0;

	*out = NULL;
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		nr++;
		if (nr == 1) {
			if (strncmp(line, "# lockdev locks ", 16))
				goto bad;
			continue;
		}
		if (nr == 2) {
			if (strncmp(line, "# ", 2))
				goto bad;
			continue;
		}
		if (parse_locks_line(line, &tmp))
			goto bad;
		if (space && strcmp(tmp.space, space))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			p = realloc(arr, cap * sizeof(*arr));
			if (!p)
				goto bad;
			arr = p;
		}
		arr[n++] = tmp;
	}
	free(buf);
	*out = arr;
	return n;
bad:
	free(buf);
	free(arr);
	return -2;
}

static int parse_dl_line(char *line, struct dl_line *p)
{
	long long v[5];
	char *f[14];

	if (split(line, f, 13) != 13)
		return -1;
	if (field_u64(f[0], &p->seq) ||
	    field_str(p->space, sizeof(p->space), f[1]) ||
	    field_str(p->reason, sizeof(p->reason), f[2]) ||
	    field_num(f[3], &v[0]) ||
	    field_num(f[4], &v[1]) ||
	    field_num(f[5], &v[2]) ||
	    field_str(p->comm, sizeof(p->comm), f[6]) ||
	    field_str(p->held_mode, sizeof(p->held_mode), f[7]) ||
	    field_num(f[8], &v[3]) ||
	    field_str(p->held_name, sizeof(p->held_name), f[9]) ||
	    field_str(p->wait_mode, sizeof(p->wait_mode), f[10]) ||
	    field_num(f[11], &v[4]) ||
	    field_str(p->wait_name, sizeof(p->wait_name), f[12]))
		return -1;
	p->age_ms = v[0];
	p->member = v[1];
	p->pid = v[2];
	p->held_level = v[3];
	p->wait_level = v[4];
	return 0;
}

int read_deadlocks(struct dl_line **out)
{
	char *buf = read_file(DEADLOCKS), *line, *save = NULL;
	struct dl_line *arr = NULL, *p, *tmp = malloc(sizeof(*tmp));
	int n = 0, cap = 0, nr = 0;

	*out = NULL;
	if (!buf || !tmp) {
		free(buf);
		free(tmp);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		nr++;
		if (nr == 1) {
			if (strncmp(line, "# lockdev deadlocks ", 20))
				goto bad;
			continue;
		}
		if (nr == 2) {
			if (strncmp(line, "# ", 2))
				goto bad;
			continue;
		}
		if (parse_dl_line(line, tmp))
			goto bad;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			p = realloc(arr, cap * sizeof(*arr));
			if (!p)
				goto bad;
			arr = p;
		}
		arr[n++] = *tmp;
	}
	free(buf);
	free(tmp);
	*out = arr;
	return n;
bad:
	free(buf);
	free(tmp);
	free(arr);
	return -2;
}

int flush_reports(void)
{
	return write_str("/proc/lockdev/deadlocks", "0");
}

/* Write @s to @path: 0, or -1 with errno. */
int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Map uids and gids 0 to @count - 1 of @pid's user namespace to @first and
 * on outside, as root or newuidmap does: 0, or -1 with errno.
 */
int map_ids(pid_t pid, unsigned int first, unsigned int count)
{
	char map[64], path[64];

	snprintf(map, sizeof(map), "0 %u %u", first, count);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (write_str(path, map))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return write_str(path, map);
}

/* Send @n descriptors over unix socket @sock. */
int send_fds(int sock, const int *fds, unsigned int n)
{
	char cbuf[CMSG_SPACE(FDS_MAX * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receive @n descriptors from unix socket @sock, waiting at most WAIT_MS. */
int recv_fds(int sock, int *fds, unsigned int n)
{
	char cbuf[CMSG_SPACE(FDS_MAX * sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	if (!(poll_in(sock, WAIT_MS) & POLLIN) ||
	    recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(c), n * sizeof(int));
	return 0;
}
