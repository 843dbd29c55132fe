/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liblockdev-preload: the whole-file locks of an unmodified program, taken
 * through flock(2), fcntl(2) (F_SETLK, F_SETLKW, F_GETLK and their F_OFD_
 * forms) and lockf(3), turned into lockdev locks, with LD_PRELOAD.
 * lockdev-preload(8) is the user's side of what follows.
 *
 * Names. A lock of the file with device D and inode I that the process
 * sees at PATH is called "KIND/CLASS:D:I:PATH" (D and I in hex, PATH
 * shortened from the left to fit LOCKDEV_NAME_MAX bytes). KIND is flock
 * for flock(2) locks and fcntl for POSIX and OFD locks (which conflict
 * with each other and not with flock's, as in the kernel). CLASS is the
 * file's base name with every run of digits made one '#', so that the
 * module's lock classes (the bytes before the first colon) group the files
 * of one pattern: every mailbox's dovecot.index.log is one class,
 * "fcntl/dovecot.index.log". Files whose names hold no digits but differ
 * all the same (Cyrus names a mailbox's lock file after its unique id) are
 * grouped by LOCKDEV_PRELOAD_CLASSES, which gives a class by glob. Device and inode make a file that replaced
 * another at the same path (a rotated log) another lock; the path makes
 * `lockdev list` show which file it is. Two names of one file that differ
 * after realpath (hard links, bind mounts, a chroot) are two lockdev locks:
 * the kernel's lock, taken too, still excludes them.
 *
 * Owners. The module's lock owner is a session, an open file description
 * of /dev/lockdev, and deadlock detection follows the sessions that wait.
 * A process has two:
 *
 *  - its POSIX session, for its fcntl(F_SETLK) and lockf() locks, one lock
 *    per file (POSIX locks belong to the process and merge per file). A
 *    fork()ed child closes its copy and starts with none, as the kernel
 *    does not let a child inherit POSIX locks; close() of any descriptor of
 *    a file releases the process's lock of it, in the kernel and here.
 *
 *  - its OFD session, for the locks of open file descriptions (flock() and
 *    F_OFD_SETLK): the table below remembers which open file description
 *    (by the descriptors that refer to it, learned from dup(), dup2(),
 *    dup3(), F_DUPFD, and kcmp(KCMP_FILE) for those it did not see made)
 *    holds which lock, and releases the lock when the process closes the
 *    last of those descriptors. All of a process's open file descriptions
 *    share that one session, so that a process that holds one file and
 *    waits for another is one waiter in the module's wait-for graph, and a
 *    deadlock of two processes over two files is found.
 *
 * fork() shares open file descriptions, and so their locks: parent and
 * child then share the OFD session that held locks at the fork (its file
 * reference is in both), and each takes its new locks in a fresh session
 * of its own, so that a shared session only ever holds locks of open file
 * descriptions both have. It is closed in a process once the process has
 * closed the last descriptor of the locks it holds, and the module releases
 * its locks when the last process closes it, as the kernel releases a
 * flock lock with the open file description's last descriptor. A flock
 * lock is held by the session, not by the open file description: of two
 * locks held at a fork, the first one closed in both processes stays held
 * until the second is closed too. Within one process, a lock of a second
 * open file description of a file that the process has locked already
 * through another is left to the kernel alone (it conflicts there; one
 * session cannot hold a name twice).
 *
 * Order of the two locks. lockdev decides first; then the kernel's lock is
 * taken too, so that programs without the library are still excluded, and
 * released first, so that a process holds a kernel lock only while it holds
 * the lockdev lock in the same or a stronger mode (a downgrade changes the
 * kernel's lock first). A waiter granted by lockdev therefore waits for the
 * kernel only for a program without the library: the library tries the
 * kernel's lock without waiting first, and says so (LOCKDEV_PRELOAD_LOG)
 * before it waits, while `lockdev list` shows the lock held by the waiter.
 *
 * Semantics kept: a flock() conversion drops the old lock before it waits
 * (the kernel does the same); a POSIX or OFD conversion waits holding the
 * old one (CONVERT in the module). Non-blocking calls fail with EAGAIN
 * (EWOULDBLOCK) where either lock is taken; a signal ends a wait with EINTR,
 * or restarts it under SA_RESTART, as the module's ioctl does; a cycle the
 * module finds fails the call with EDEADLK. Every other failure of lockdev
 * (no device, limits, memory, a removed lockspace) falls back to the
 * kernel's lock alone for that call.
 *
 * Threads and signals. The table is guarded by one mutex, never held while
 * a call waits, and held with every signal blocked. close(), dup2() and
 * friends may be called from a signal handler on a descriptor that holds
 * no lock through the library: the handler never runs inside the table on
 * its own thread, and the call then changes nothing in it. On one that
 * does, the table is changed with malloc(3)'s functions, which a handler
 * may not call. A vfork(2) child's close() and dup2() leave the parent's
 * table alone.
 */
#ifndef LOCKDEV_PRELOAD_H
#define LOCKDEV_PRELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <lockdev/uapi.h>

#define PL_API __attribute__((visibility("default")))

#define PL_DEVICE_PATH	"/dev/" LOCKDEV_DEVICE_NAME

/* The real functions, the next definitions after this library's. */
struct pl_real {
	int (*flock)(int fd, int op);
	int (*fcntl)(int fd, int cmd, ...);
	int (*fcntl64)(int fd, int cmd, ...);
	int (*lockf)(int fd, int cmd, off_t len);
	int (*close)(int fd);
	int (*fclose)(FILE *stream);
	int (*dup)(int fd);
	int (*dup2)(int fd, int fd2);
	int (*dup3)(int fd, int fd2, int flags);
	int (*close_range)(unsigned int first, unsigned int last, int flags);
	void (*closefrom)(int lowfd);
};

extern struct pl_real pl_real;
void pl_real_init(void);

/* Configuration (config.c), read once from the environment. */
struct pl_config {
	const char *space;	/* NULL: the uid's default lockspace */
	char **include;		/* globs; NULL: every path */
	char **exclude;
	char **classes;		/* "GLOB=CLASS" entries, split at the '=' */
	int log;		/* LOCKDEV_PRELOAD_LOG */
};

/* Longest class, kind and slash included. */
#define PL_CLASS_MAX	64

#define PL_LOG_PROBLEMS	1	/* deadlocks, fallbacks, waits for others */
#define PL_LOG_CALLS	2	/* and every lock call */

extern struct pl_config pl_config;
void pl_config_init(void);
bool pl_path_mapped(const char *path);
/* The class LOCKDEV_PRELOAD_CLASSES gives @path, or NULL. */
const char *pl_class_of(const char *path);
void pl_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Say once that the kernel's locks are used alone, and why. */
void pl_fallback_notice(int err);

/* Kinds of lock. */
enum pl_kind {
	PL_FLOCK,
	PL_OFD,
	PL_POSIX,
};

/* A file as the names see it (name.c). */
struct pl_file {
	dev_t dev;
	ino_t ino;
	unsigned int name_len;
	char name[LOCKDEV_NAME_MAX];
};

/*
 * Fill @f for @fd: -1 if it is not a regular file (or fstat() fails); 0
 * if the configuration does not map it, with only @f->dev and @f->ino
 * set; 1 with its lock name too. Under the table's mutex.
 */
int pl_file_of(int fd, enum pl_kind kind, struct pl_file *f);

/* The module's calls on a session (session.c); 0 or -errno. */
int pl_ld_open(void);
int pl_ld_lock(int sfd, const struct pl_file *f, unsigned int mode,
	       bool nonblock);
int pl_ld_convert(int sfd, const struct pl_file *f, unsigned int mode,
		  bool nonblock);
int pl_ld_unlock(int sfd, const struct pl_file *f);
/*
 * The pid of a holder of @f other than this process that conflicts with
 * @mode, through session @sfd's lockspace: 0 if none, -errno.
 */
int pl_ld_holder(int sfd, const struct pl_file *f, unsigned int mode,
		 unsigned int *holder_mode);

/*
 * One lock a process holds (table.c): a POSIX lock of a file, or the lock
 * of an open file description, known by the descriptors that refer to it.
 */
struct pl_sess;

struct pl_rec {
	struct pl_rec *next;
	enum pl_kind kind;
	unsigned int mode;		/* LOCKDEV_MODE_* held */
	struct pl_sess *sess;
	int *fds;			/* OFD kinds: its descriptors */
	unsigned int nr_fds;
	unsigned int max_fds;
	struct pl_file file;
};

/* What the table says about a call before it talks to the module. */
struct pl_slot {
	int sfd;			/* the session's descriptor */
	unsigned int held;		/* the mode held now, 0 if none */
	bool kernel_only;		/* leave this call to the kernel */
};

/* The fork handlers (table.c), from the constructor. */
void pl_table_init(void);

/*
 * Take the table's mutex, blocking every signal until pl_table_unlock();
 * false if this thread holds it already.
 */
bool pl_table_lock(void);
void pl_table_unlock(void);
/*
 * Are there records or sessions at all, of this process? (read without
 * the mutex; never in a vfork() child)
 */
bool pl_table_busy(void);

/*
 * Under the mutex: look @fd's lock up and choose its session. A lock the
 * table has for the file gives @f the name it was taken under (the file
 * may have been renamed or unlinked since, or mapped no longer);
 * otherwise, without @mapped, the call is the kernel's alone (-ENOENT).
 */
int pl_table_slot(enum pl_kind kind, int fd, struct pl_file *f, bool mapped,
		  struct pl_slot *slot);
/* Under the mutex: @fd now holds @f in @mode (0: no longer holds it). */
int pl_table_set(enum pl_kind kind, int fd, const struct pl_file *f,
		 int sfd, unsigned int mode);
/* Descriptor bookkeeping: @fd is about to close; @fd2 is a copy of @fd. */
void pl_fd_closing(int fd);
void pl_fd_copied(int fd, int fd2);
void pl_fds_closing(unsigned int first, unsigned int last);

/*
 * The generic lock call (lock.c): @mode LOCKDEV_MODE_SHARED or _EXCLUSIVE,
 * or 0 to unlock. @real does the kernel's call, without waiting if @nb; it
 * returns 0 or -1 with errno, as the interposed function does.
 */
struct pl_call {
	enum pl_kind kind;
	int fd;
	unsigned int mode;
	bool nonblock;
	int (*real)(const struct pl_call *call, unsigned int mode, bool nb);
	void *arg;
};

int pl_call(const struct pl_call *call);

/* F_GETLK's complement: a lockdev holder the kernel does not show yet. */
bool pl_getlk(enum pl_kind kind, int fd, unsigned int mode,
	      unsigned int *holder_mode, pid_t *pid);

#endif /* LOCKDEV_PRELOAD_H */
