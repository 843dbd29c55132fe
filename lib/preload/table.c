// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process's locks and sessions: which lock each open file description
 * or file holds, in which session, and what close(), dup() and fork() do to
 * them (preload.h explains the mapping).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

/* A session: one open file description of /dev/lockdev. */
struct pl_sess {
	struct pl_sess *next;
	int fd;
	bool shared;		/* held locks at a fork: takes no new ones */
	unsigned int locks;	/* records it holds */
};

/*
 * Everything below is guarded by mu; owner is the thread that holds it
 * (so that a call it makes that comes back to the table does not wait for
 * itself).
 * busy counts records and sessions, read without mu by close() and dup()
 * to pass by when there is nothing to do.
 * pid is the process the table is of, set at start and in a fork's child:
 * a vfork() child shares the table but is another process.
 */
static struct {
	pthread_mutex_t mu;
	pid_t owner;
	unsigned int busy;
	pid_t pid;
	struct pl_rec *recs;
	struct pl_sess *sessions;
	struct pl_sess *ofd;	/* new flock and OFD locks go here */
	struct pl_sess *posix;	/* the process's POSIX locks */
	bool no_device;		/* the module is not there: kernel only */
} pl_t = { .mu = PTHREAD_MUTEX_INITIALIZER };

static __thread pid_t pl_tid;
/* The signal mask of the thread that holds mu, as it was before. */
static __thread sigset_t pl_sigsaved;

/*
 * Every signal is blocked while mu is held (and from a fork's prepare
 * handler to its parent or child handler): a handler that calls close() or
 * dup2() on the thread that holds it, between the lock and the store of
 * owner or the clear of owner and the unlock, would wait for itself.
 */
bool pl_table_lock(void)
{
	sigset_t all, old;

	if (!pl_tid)
		pl_tid = gettid();
	if (__atomic_load_n(&pl_t.owner, __ATOMIC_RELAXED) == pl_tid)
		return false;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&pl_t.mu);
	__atomic_store_n(&pl_t.owner, pl_tid, __ATOMIC_RELAXED);
	pl_sigsaved = old;
	return true;
}

void pl_table_unlock(void)
{
	sigset_t old = pl_sigsaved;

	__atomic_store_n(&pl_t.owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pl_t.mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * In a vfork() child, whose close() and dup2() before its exec are its own
 * business, the parent's table is never busy.
 */
bool pl_table_busy(void)
{
	return __atomic_load_n(&pl_t.busy, __ATOMIC_RELAXED) &&
	       getpid() == pl_t.pid;
}

static void pl_busy(int delta)
{
	__atomic_add_fetch(&pl_t.busy, delta, __ATOMIC_RELAXED);
}

static bool pl_same_ofd(int fd, int fd2)
{
	pid_t pid = getpid();

	return syscall(SYS_kcmp, pid, pid, KCMP_FILE, fd, fd2) == 0;
}

static bool pl_rec_has_fd(const struct pl_rec *r, int fd)
{
	unsigned int i;

	for (i = 0; i < r->nr_fds; i++)
		if (r->fds[i] == fd)
			return true;
	return false;
}

static int pl_rec_add_fd(struct pl_rec *r, int fd)
{
	int *fds;

	if (pl_rec_has_fd(r, fd))
		return 0;
	if (r->nr_fds == r->max_fds) {
		fds = realloc(r->fds, (r->max_fds + 4) * sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		r->fds = fds;
		r->max_fds += 4;
	}
	r->fds[r->nr_fds++] = fd;
	return 0;
}

static void pl_rec_del_fd(struct pl_rec *r, int fd)
{
	unsigned int i;

	for (i = 0; i < r->nr_fds; i++)
		if (r->fds[i] == fd)
			r->fds[i] = r->fds[--r->nr_fds];
}

static bool pl_same_file(const struct pl_rec *r, enum pl_kind kind,
			 const struct pl_file *f)
{
	return r->kind == kind && r->file.dev == f->dev &&
	       r->file.ino == f->ino;
}

/*
 * The record of @fd's lock of kind @kind: for POSIX locks the file's, for
 * the others its open file description's, which @fd joins when kcmp() says
 * it is one of the record's.
 */
static struct pl_rec *pl_find(enum pl_kind kind, int fd,
			      const struct pl_file *f)
{
	struct pl_rec *r;

	for (r = pl_t.recs; r; r = r->next) {
		if (!pl_same_file(r, kind, f))
			continue;
		if (kind == PL_POSIX || pl_rec_has_fd(r, fd))
			return r;
		if (r->nr_fds && pl_same_ofd(fd, r->fds[0]) &&
		    !pl_rec_add_fd(r, fd))
			return r;
	}
	return NULL;
}

static void pl_sess_free(struct pl_sess *s, bool close_it)
{
	struct pl_sess **p;

	for (p = &pl_t.sessions; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	if (pl_t.ofd == s)
		pl_t.ofd = NULL;
	if (pl_t.posix == s)
		pl_t.posix = NULL;
	if (close_it)
		pl_real.close(s->fd);
	free(s);
	pl_busy(-1);
}

/* Forget @r; a shared session goes with its last record. */
static void pl_rec_drop(struct pl_rec *r)
{
	struct pl_rec **p;

	for (p = &pl_t.recs; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	if (!--r->sess->locks && r->sess->shared)
		pl_sess_free(r->sess, true);
	free(r->fds);
	free(r);
	pl_busy(-1);
}

/* The session new locks of @kind go to, opened when there is none. */
static int pl_session(enum pl_kind kind, struct pl_sess **sp)
{
	struct pl_sess **cur = kind == PL_POSIX ? &pl_t.posix : &pl_t.ofd;
	struct pl_sess *s;
	int fd;

	if (*cur) {
		*sp = *cur;
		return 0;
	}
	if (pl_t.no_device)
		return -ENODEV;
	fd = pl_ld_open();
	/* No module, or not for us: no use asking again. */
	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO ||
	    fd == -EACCES || fd == -EPERM) {
		pl_t.no_device = true;
		pl_fallback_notice(-fd);
	}
	if (fd < 0)
		return fd;
	s = calloc(1, sizeof(*s));
	if (!s) {
		pl_real.close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->next = pl_t.sessions;
	pl_t.sessions = s;
	pl_busy(1);
	*cur = s;
	*sp = s;
	return 0;
}

int pl_table_slot(enum pl_kind kind, int fd, struct pl_file *f, bool mapped,
		  struct pl_slot *slot)
{
	struct pl_sess *s;
	struct pl_rec *r;
	int ret;

	memset(slot, 0, sizeof(*slot));
	slot->sfd = -1;
	r = pl_find(kind, fd, f);
	if (r) {
		*f = r->file;
		slot->sfd = r->sess->fd;
		slot->held = r->mode;
		return 0;
	}
	if (!mapped)
		return -ENOENT;
	/* Another open file description of this process holds the file. */
	for (r = pl_t.recs; r; r = r->next) {
		if (pl_same_file(r, kind, f)) {
			slot->kernel_only = true;
			return 0;
		}
	}
	ret = pl_session(kind, &s);
	if (ret)
		return ret;
	slot->sfd = s->fd;
	return 0;
}

int pl_table_set(enum pl_kind kind, int fd, const struct pl_file *f,
		 int sfd, unsigned int mode)
{
	struct pl_sess *s;
	struct pl_rec *r = pl_find(kind, fd, f);

	if (r) {
		if (mode)
			r->mode = mode;
		else
			pl_rec_drop(r);
		return 0;
	}
	if (!mode)
		return 0;
	for (s = pl_t.sessions; s && s->fd != sfd; s = s->next)
		;
	/* The program closed the session meanwhile: its locks went with it. */
	if (!s)
		return -EBADF;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->kind = kind;
	r->mode = mode;
	r->sess = s;
	r->file = *f;
	if (kind != PL_POSIX && pl_rec_add_fd(r, fd)) {
		free(r);
		return -ENOMEM;
	}
	r->next = pl_t.recs;
	pl_t.recs = r;
	s->locks++;
	pl_busy(1);
	return 0;
}

/* The program closes @fd, which is one of the sessions: forget it. */
static bool pl_closing_session(int fd)
{
	struct pl_rec *r, *next;
	struct pl_sess *s;

	for (s = pl_t.sessions; s && s->fd != fd; s = s->next)
		;
	if (!s)
		return false;
	for (r = pl_t.recs; r; r = next) {
		next = r->next;
		if (r->sess == s) {
			s->shared = false;
			pl_rec_drop(r);
		}
	}
	pl_sess_free(s, false);
	return true;
}

/*
 * @fd closes: a POSIX lock of its file ends (the kernel's too), and an
 * open file description whose last descriptor this was lets its lock go,
 * here by releasing it, in a shared session by leaving it to the session.
 */
static void pl_closing(int fd)
{
	struct pl_rec *r, *next;
	bool stat_done = false;
	struct stat st;

	if (pl_closing_session(fd))
		return;
	for (r = pl_t.recs; r; r = next) {
		next = r->next;
		if (r->kind == PL_POSIX) {
			if (!stat_done && fstat(fd, &st))
				return;
			stat_done = true;
			if (r->file.dev != st.st_dev || r->file.ino != st.st_ino)
				continue;
		} else {
			if (!pl_rec_has_fd(r, fd))
				continue;
			pl_rec_del_fd(r, fd);
			if (r->nr_fds)
				continue;
			if (r->sess->shared) {
				pl_rec_drop(r);
				continue;
			}
		}
		pl_ld_unlock(r->sess->fd, &r->file);
		pl_log(PL_LOG_CALLS, "close %d releases %.*s", fd,
		       (int)r->file.name_len, r->file.name);
		pl_rec_drop(r);
	}
}

void pl_fd_closing(int fd)
{
	if (!pl_table_lock())
		return;
	pl_closing(fd);
	pl_table_unlock();
}

void pl_fd_copied(int fd, int fd2)
{
	struct pl_rec *r;

	if (!pl_table_lock())
		return;
	for (r = pl_t.recs; r; r = r->next)
		if (r->kind != PL_POSIX && pl_rec_has_fd(r, fd))
			pl_rec_add_fd(r, fd2);
	pl_table_unlock();
}

static bool pl_in(unsigned int fd, unsigned int first, unsigned int last)
{
	return fd >= first && fd <= last;
}

void pl_fds_closing(unsigned int first, unsigned int last)
{
	struct pl_rec *r;
	struct pl_sess *s;
	struct dirent *d;
	bool posix = false;
	unsigned int i;
	DIR *dir;

	if (!pl_table_lock())
		return;
again:
	for (s = pl_t.sessions; s; s = s->next) {
		if (pl_in(s->fd, first, last)) {
			pl_closing(s->fd);
			goto again;
		}
	}
	for (r = pl_t.recs; r; r = r->next) {
		posix |= r->kind == PL_POSIX;
		for (i = 0; i < r->nr_fds; i++) {
			if (pl_in(r->fds[i], first, last)) {
				pl_closing(r->fds[i]);
				goto again;
			}
		}
	}
	/* POSIX locks end with any descriptor of their file: look at all. */
	dir = posix ? opendir("/proc/self/fd") : NULL;
	while (dir && (d = readdir(dir))) {
		char *end;
		unsigned long fd = strtoul(d->d_name, &end, 10);

		if (!*end && end != d->d_name && fd != (unsigned long)dirfd(dir) &&
		    pl_in(fd, first, last))
			pl_closing(fd);
	}
	if (dir)
		closedir(dir);
	pl_table_unlock();
}

/*
 * fork(): the session that holds locks of open file descriptions is shared
 * from now on, and each side takes new ones in a fresh session.
 */
static void pl_fork_prepare(void)
{
	pl_table_lock();
}

static void pl_fork_share(void)
{
	if (pl_t.ofd && pl_t.ofd->locks) {
		pl_t.ofd->shared = true;
		pl_t.ofd = NULL;
	}
}

static void pl_fork_parent(void)
{
	pl_fork_share();
	pl_table_unlock();
}

/* The child: no POSIX lock and no unshared session of the parent's. */
static void pl_fork_child(void)
{
	struct pl_rec *r, *next;

	pthread_mutex_init(&pl_t.mu, NULL);
	pl_t.owner = 0;
	pl_t.pid = getpid();
	pl_tid = 0;
	pl_fork_share();
	if (pl_t.ofd)
		pl_sess_free(pl_t.ofd, true);
	for (r = pl_t.recs; r; r = next) {
		next = r->next;
		if (r->kind == PL_POSIX)
			pl_rec_drop(r);
	}
	if (pl_t.posix)
		pl_sess_free(pl_t.posix, true);
	pthread_sigmask(SIG_SETMASK, &pl_sigsaved, NULL);
}

void pl_table_init(void)
{
	pl_t.pid = getpid();
	pthread_atfork(pl_fork_prepare, pl_fork_parent, pl_fork_child);
}
