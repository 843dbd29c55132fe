/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the lockdev selftests. The bodies are in util.c, which
 * every test program links; the ones that need the kselftest harness (its
 * _metadata and ASSERTs) are in harness_util.h.
 */
#ifndef LOCKDEV_SELFTESTS_UTIL_H
#define LOCKDEV_SELFTESTS_UTIL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/lockdev.h>

#define LOCKDEV_DEV "/dev/lockdev"
#define STATS "/proc/lockdev/stats"

/* Byte written over output buffers, so that a call that writes nothing shows. */
#define POISON 0xa5

/* The longest a thing that must happen may take: TCG guests are slow. */
#define WAIT_MS		10000
/* How long to wait for something the module should do at once. */
#define SOON_MS		5000
/* No locker process outlives this many seconds. */
#define CHILD_SECS	120
/* Entries the lock helpers read back from QUERY. */
#define MAXE		16
/* Other sessions (processes) and own sessions a test may use. */
#define MAXLK		8
#define NFD		4

static inline int open_session(void)
{
	return open(LOCKDEV_DEV, O_RDWR | O_CLOEXEC);
}

static inline void poison(void *buf, size_t len)
{
	memset(buf, POISON, len);
}

/* ---- time, memory, files ---- */

/* CLOCK_MONOTONIC in nanoseconds. */
__u64 now_ns(void);
/* A user pointer as the __u64 the uapi structures carry. */
__u64 ptr(const void *p);
/* True if every byte of @p is still POISON. */
bool poisoned(const void *p, size_t len);
/* Sleep @ms milliseconds, through signals. */
void sleep_ms(int ms);
/* A name of exactly @len bytes that starts with @prefix, in @buf. */
void long_name(char *buf, size_t len, const char *prefix);
/* Read or write all @len bytes, through EINTR: 0, or -1 on error or EOF. */
int read_all(int fd, void *buf, size_t len);
int write_all(int fd, const void *buf, size_t len);
/* SIGALRM (no SA_RESTART) after @secs, to interrupt a blocking call. */
void arm_alarm(unsigned int secs);
/* The value of @name in /proc/lockdev/stats, or -1 if it is absent. */
long long stat_value(const char *name);
/* Wait up to WAIT_MS for stat @name to become @want; return its last value. */
long long wait_stat(const char *name, long long want);
/* Read all of @path into a NUL-terminated buffer to free(), or NULL. */
char *read_file(const char *path);

/* ---- lock calls: inputs set, outputs poisoned ---- */

/* A LOCK request: inputs set, outputs (result, handle, generation) poisoned. */
void lock_input(struct lockdev_lock *l, const char *name, __u32 mode,
		__u32 flags);
int lock_call(int fd, const char *name, __u32 mode, __u32 flags,
	      struct lockdev_lock *l);
int unlock_handle(int fd, __u64 handle);
/* CONVERT by handle to @mode, without waiting. */
int convert_nonblock(int fd, __u64 handle, __u32 mode);
/* ATTACH to the lockspace @name with @flags, creating it with @mode. */
int attach_space(int fd, const char *name, __u32 flags, __u32 mode);
/* LOCKDEV_IOC_SPACE on @fd with every field given. */
int space_ctl_call(int fd, const void *name, __u32 len, __u32 op,
		   __u32 flags, __u32 mode, __u32 uid, __u32 gid);
int unlock_name(int fd, const char *name);
/* QUERY @name into @e, @cap entries; only those @cap are poisoned first. */
int query(int fd, const char *name, struct lockdev_query *q,
	  struct lockdev_entry *e, __u32 cap);
/* Holders or waiters of @name in @state (of the first MAXE); -1 if QUERY fails. */
int count_state(int fd, const char *name, __u32 state);
/*
 * Wait (QUERY polled, at most SOON_MS) until @name has @held holders and
 * @waiting waiters: the way to know a request is really queued. 0 or -1.
 */
int wait_lock_state(int fd, const char *name, int held, int waiting);

/* Not a poll bit: what poll_in() returns when poll() itself fails. */
#define POLL_FAILED	0x40000000
/* poll() @fd for input: its revents, 0 on timeout, POLL_FAILED on error. */
int poll_in(int fd, int timeout_ms);
/* LIST into @h, @cap entries; only those @cap are poisoned first. */
int list_call(int fd, struct lockdev_held *h, __u32 cap,
	      struct lockdev_list *l);
/* How many locks and requests the session has, or -1 if LIST fails. */
int list_count(int fd);
/* Index of the first of @n entries of @pid (any pid if 0) in @state (any if 0). */
int find_entry(const struct lockdev_entry *e, __u32 n, pid_t pid, __u32 state);
/* Wait until QUERY of @name shows an entry of @pid (0: anyone) in @state. */
bool wait_entry(int fd, const char *name, pid_t pid, __u32 state);
bool wait_queued(int fd, const char *name, pid_t pid);
/* Wait until QUERY of @name shows no entry of @pid. */
bool wait_no_entry(int fd, const char *name, pid_t pid);

/* What QUERY says about a lock, to check that a failed call changed nothing. */
struct snap {
	int ret;
	__u64 generation;
	__u32 nr;
	__u32 lock_flags;
	struct lockdev_entry e[MAXE];
};

/*
 * A locker: another process that runs lock calls on a session when the test
 * tells it to, over a pipe, and answers each with the outcome. Its session is
 * its own, or one of the test's that it shares (as fork shares it).
 */
enum {
	OP_LOCK = 1,	/* mode, flags, level, deadline_ns */
	OP_UNLOCK,	/* handle, or the locker's last grant if 0 */
	OP_UNLOCK_NAME,
	OP_CONVERT,	/* handle (0: last grant), mode, flags, deadline_ns */
	OP_LIST,
	OP_SIGACT,	/* catch SIGUSR1 with sa_flags = flags */
};

struct locker_cmd {
	__u32 op;
	__u32 mode;
	__u32 flags;
	__u32 level;
	__u64 deadline_ns;
	__u64 handle;
};

struct locker_reply {
	__u32 op;
	__s32 ret;
	__s32 err;
	__u32 result;
	__u64 handle;
	__u64 generation;
	__u64 start_ns;
	__u64 end_ns;
	__u32 sigs;		/* SIGUSR1s caught so far */
	__u32 nr;		/* LOCK: nr_entries; LIST: how many */
	struct lockdev_entry e[4];	/* LOCK: the entries, as written */
	struct lockdev_held h;		/* LIST: the first one */
};

struct locker {
	pid_t pid;
	int cmd;
	int reply;
};

void take_snap(int fd, const char *name, struct snap *s);

void __attribute__((noreturn))
locker_main(int fd, const char *name, int cmd, int reply, int order, int idx);
/* The locker's next answer, if it comes within @ms. */
bool locker_answer(struct locker *lk, struct locker_reply *r, int ms);
/* Let the locker exit normally (closing its end of the session). */
int locker_exit(struct locker *lk);
void locker_kill(struct locker *lk);

/* ---- child processes ("kids") ---- */

/* A kid never lives longer than this (alarm()). */
#define KID_TIMEOUT_S	20

/* End a kid inside a test: 0 if every EXPECT in it held. */
#define KID_EXIT() _exit(_metadata->passed ? 0 : 1)

/*
 * A forked child with a pipe each way. In the parent, pid is the child's;
 * in the child, 0. rd and wr talk to the other side.
 */
struct kid {
	pid_t pid;
	int rd;
	int wr;
};

/* Like fork(): the child gets 0 and dies by SIGALRM after KID_TIMEOUT_S. */
pid_t kid_fork(struct kid *k);
int kid_send(struct kid *k, char c);
/* The next byte from the other side; -1 on EOF, error or timeout. */
int kid_recv(struct kid *k, int timeout_ms);
/*
 * Wait up to @timeout_ms for child @pid, then kill it. Return its exit
 * status, 128 + the signal that killed it, or -1 if it had to be killed.
 */
int reap(pid_t pid, int timeout_ms);
/* Close the pipes and reap the kid within WAIT_MS. */
int kid_reap(struct kid *k);
/* Drop to @uid and @gid for good, with no supplementary groups. */
int become(uid_t uid, gid_t gid);

/* ---- actors: another process that runs any call on any name ---- */

/*
 * An actor is like a locker, but each command names its lock, so one actor
 * can hold several locks, take lock sets, read completions and report its
 * last deadlock: what the order, lock set and deadlock tests need. Its
 * session is its own (fd < 0) or one of the test's, shared.
 */
#define ACT_NAME	128
#define ACT_ITEMS	8
#define ACT_MEMBERS	4

enum {
	ACT_LOCK = 1,	/* name, mode, flags, level, deadline_ns */
	ACT_UNLOCK,	/* handle, or name if handle is 0 */
	ACT_CONVERT,	/* handle, or name if 0; mode, flags, deadline_ns */
	ACT_SET,	/* items[nr_items], flags, deadline_ns */
	ACT_READ,	/* read one completion, waiting up to WAIT_MS */
	ACT_ORDER,	/* SET_ORDER to mode */
	ACT_ATTACH,	/* attach to lockspace name */
	ACT_SIGACT,	/* catch SIGUSR1 with sa_flags = flags */
	ACT_LIST,	/* how many locks and requests the session has */
};

struct act_item {
	char name[ACT_NAME];
	__u32 mode;
	__u32 level;
};

struct act_cmd {
	__u32 op;
	__u32 mode;
	__u32 flags;
	__u32 level;
	__u64 deadline_ns;
	__u64 handle;
	__u32 nr_items;
	__u32 pad;
	char name[ACT_NAME];
	struct act_item items[ACT_ITEMS];
};

struct act_reply {
	__u32 op;
	__s32 ret;
	__s32 err;
	__u32 result;		/* LOCK, CONVERT, SET: result */
	__u64 handle;
	__u64 generation;
	__u64 start_ns;
	__u64 end_ns;
	__u32 failed;		/* SET: failed */
	__u32 nr;		/* LIST: how many; ORDER: old_mode */
	__u32 sigs;		/* SIGUSR1s caught so far */
	__u32 pad;
	struct lockdev_set_item items[ACT_ITEMS];	/* SET: as written */
	struct lockdev_completion comp;			/* READ */
	/* After EDEADLK (or a completion with -EDEADLK): LOCKDEV_IOC_DEADLOCK. */
	__s32 dl_ret;
	__u32 dl_pad;
	struct lockdev_deadlock dl;
	struct lockdev_cycle_member m[ACT_MEMBERS];
};

void __attribute__((noreturn)) actor_main(int fd, int cmd, int reply);
/* The actor's next answer, if it comes within @ms. */
bool actor_answer(struct locker *lk, struct act_reply *r, int ms);

/* ---- lock sets and deadlock reports ---- */

/* An item of a set: inputs set, outputs (result, handle, generation) poisoned. */
void set_item(struct lockdev_set_item *it, const char *name, __u32 mode,
	      __u32 level);
/* LOCK_SET of @nr items of sizeof(struct lockdev_set_item) at @it. */
int set_call(int fd, struct lockdev_set_item *it, __u32 nr, __u32 flags,
	     __u64 deadline_ns, struct lockdev_lock_set *s);
/* LOCKDEV_IOC_DEADLOCK into @m, @cap members; struct and members poisoned. */
int deadlock_call(int fd, struct lockdev_deadlock *d,
		  struct lockdev_cycle_member *m, __u32 cap);
/* SET_ORDER to @mode; the old mode in *@old. */
int set_order(int fd, __u32 mode, __u32 *old);

/* ---- /proc/lockdev/locks and /proc/lockdev/deadlocks, parsed ---- */

#define LOCKS "/proc/lockdev/locks"
#define DEADLOCKS "/proc/lockdev/deadlocks"
/* Escaped names are at most four times as long. */
#define ESC_MAX		(4 * LOCKDEV_NAME_MAX + 1)
#define WAITS_MAX	64

struct locks_line {
	char space[ESC_MAX];
	char name[ESC_MAX];
	unsigned long level;
	char mode[16];
	char state[16];
	long pid;
	char comm[4 * 16 + 1];
	long long age_ms;
	long owner_died;
	unsigned long long generation;
	int nr_waits;		/* -1: "-" */
	long waits[WAITS_MAX];
	bool waits_more;	/* waits_for ended in "...": there are more */
	unsigned long long session;
};

struct dl_line {
	unsigned long long seq;
	char space[ESC_MAX];
	char reason[16];
	long long age_ms;
	unsigned long member;
	long pid;
	char comm[4 * 16 + 1];
	char held_mode[32];
	unsigned long held_level;
	char held_name[ESC_MAX];
	char wait_mode[16];
	unsigned long wait_level;
	char wait_name[ESC_MAX];
};

/*
 * Parse the lines of /proc/lockdev/locks of lockspace @space (escaped; all
 * if NULL) into a malloc()ed array *@out (free it), or, given @text, that
 * text instead of the file. Return how many, -1 if unreadable, -2 if the
 * header or a line does not parse.
 */
int read_locks(const char *text, const char *space, struct locks_line **out);
/* Parse /proc/lockdev/deadlocks likewise: every report line. */
int read_deadlocks(struct dl_line **out);
/* Escape @len bytes as /proc/lockdev does, into @out (ESC_MAX bytes). */
char *proc_escape(char *out, const void *bytes, size_t len);
/* "none", "shared", "append", "exclusive" for a LOCKDEV_MODE_*, else "?". */
const char *mode_name(__u32 mode);
/* The mode /proc names, or 0. */
__u32 mode_of(const char *name);
/* Whether two LOCKDEV_MODE_* are compatible. */
bool compatible(__u32 a, __u32 b);

/*
 * Drop the reports /proc/lockdev/deadlocks keeps (root only): each holds its
 * lockspace, so one of a test's own would keep that alive. 0 or -1.
 */
int flush_reports(void);

/* Write @s to @path: 0, or -1 with errno. */
int write_str(const char *path, const char *s);

/*
 * Map uids and gids 0 to @count - 1 of @pid's user namespace to @first and
 * on outside: 0, or -1 with errno.
 */
int map_ids(pid_t pid, unsigned int first, unsigned int count);

/* The most descriptors send_fds() and recv_fds() pass at once. */
#define FDS_MAX	8
/* Send @n descriptors over unix socket @sock: 0 or -1. */
int send_fds(int sock, const int *fds, unsigned int n);
/* Receive @n descriptors from @sock within WAIT_MS: 0 or -1. */
int recv_fds(int sock, int *fds, unsigned int n);

#endif /* LOCKDEV_SELFTESTS_UTIL_H */
