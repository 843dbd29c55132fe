// SPDX-License-Identifier: GPL-2.0
/*
 * Cyrus IMAP's lock hierarchy as ranked levels: the user's namespace lock
 * (shared to read, exclusive to create, rename or delete mailboxes), then
 * the mailbox, then the user's conversations db, then the mailbox's index;
 * searches take the user's Xapian namelock and then xapianactive, shared to
 * search and exclusive to compact. As imapd forks a process per
 * connection, every operation is a process of its own (fork, attach, lock,
 * work for a few milliseconds, exit) in a persistent lockspace that root
 * creates first, declaring the level of each class by its names' prefix
 * (user: 10, mailbox: 20, ... as an administrator's spaces.conf would), so
 * that the workers pass no level at all: they read, append, rename, search
 * and compact at random
 * in strict order mode, none may ever see EDEADLK or an order report, and
 * what the locks guard stays consistent. Then, with no session left
 * attached, the inversion Cyrus only catches with an assertion: the
 * namespace lock asked in a new session that holds a mailbox lock is
 * refused in strict mode and named by lockdev_deadlock(), granted and
 * counted in warn mode, and is a learned-order inversion, as the order the
 * workload's processes taught the lockspace outlives them. Root removes
 * the lockspace at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scen.h"

#define SPACE		"scen-cyrus"
#define USERS		4
#define BOXES		4

/*
 * The level of each class, by the prefix of its names: declared in the
 * lockspace, which gives them to requests at level 0.
 */
static const struct {
	const char *prefix;
	unsigned int level;
} levels[] = {
	{ "user:", 10 },
	{ "mailbox:", 20 },
	{ "conversations:", 30 },
	{ "index:", 40 },
	{ "xapian:", 50 },
	{ "xapianactive:", 60 },
};

#define NR_LEVELS	(sizeof(levels) / sizeof(levels[0]))

/* Declare the levels in the lockspace, and check /proc/lockdev/levels. */
static void declare_levels(void)
{
	char line[600], space[300], prefix[300], *text;
	unsigned int i, level, found = 0;
	FILE *f;

	for (i = 0; i < NR_LEVELS; i++)
		scen_ok(lockdev_space_level(SPACE, levels[i].prefix,
					    levels[i].level), "declare a level");
	f = fopen("/proc/lockdev/levels", "r");
	if (!f)
		scen_die("/proc/lockdev/levels: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' ||
		    sscanf(line, "%299s %299s %u", space, prefix, &level) != 3 ||
		    strcmp(space, SPACE))
			continue;
		for (i = 0; i < NR_LEVELS; i++)
			if (!strcmp(prefix, levels[i].prefix) &&
			    level == levels[i].level)
				found++;
	}
	fclose(f);
	text = found == NR_LEVELS ? "" : " (not all listed)";
	scen_check(found == NR_LEVELS, "levels_declared%s", text);
}

/* The level /proc/lockdev/locks shows for the lock @name of SPACE, or 0. */
static unsigned long shown_level(const char *name)
{
	struct locks_line *l;
	unsigned long level = 0;
	int i, n = read_locks(NULL, SPACE, &l);

	for (i = 0; i < n; i++)
		if (!strcmp(l[i].name, name))
			level = l[i].level;
	free(l);
	return level;
}

enum { OP_READ, OP_APPEND, OP_RENAME, OP_SEARCH, OP_COMPACT, NR_OPS };

static const char *const op_names[NR_OPS] = {
	"reads", "appends", "renames", "searches", "compacts",
};

/* What the locks guard, shared by the workers. */
struct mailbox {
	int64_t msgs;
	int writer;		/* an append or rename is in it */
	int readers;
};

struct user {
	struct mailbox box[BOXES];
	int renaming;		/* under the namespace lock, exclusive */
	int searching;
	int compacting;
};

struct state {
	struct user user[USERS];
	uint64_t ops[NR_OPS];
	uint64_t appended;
	uint64_t worst_wait_ns;
};

static struct state *st;

struct held {
	struct lockdev *ld;
	uint64_t handle[8];
	int nr;
};

/* Take one lock of the hierarchy: anything but a clean grant is a failure. */
static void take(struct held *h, const char *fmt, int user, int box,
		 unsigned int mode)
{
	struct lockdev_grant g;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), fmt, user, box);
	ret = lockdev_lock(h->ld, name, mode, 0, LOCKDEV_RESTART, &g);
	if (ret)
		scen_die("%s: %s", name, lockdev_strerror(ret, g.result));
	if (g.result & (LOCKDEV_RESULT_ORDER | LOCKDEV_RESULT_OWNER_DIED))
		scen_die("%s: granted with result %#x", name, g.result);
	h->handle[h->nr++] = g.handle;
}

static void release(struct held *h)
{
	while (h->nr)
		scen_ok(lockdev_unlock(h->ld, h->handle[--h->nr]), "unlock");
}

static void enter(int *flag, const char *what)
{
	if (__atomic_exchange_n(flag, 1, __ATOMIC_SEQ_CST))
		scen_die("two processes in %s at once", what);
}

static void leave(int *flag)
{
	__atomic_store_n(flag, 0, __ATOMIC_SEQ_CST);
}

/* How long the operation of this process works under its locks. */
static unsigned int work_us;

static void work(void)
{
	usleep(work_us);
}

static void op_read(struct held *h, int u, int b)
{
	struct mailbox *m = &st->user[u].box[b];

	take(h, "user:u%d", u, 0, LOCKDEV_MODE_SHARED);
	take(h, "mailbox:u%d.b%d", u, b, LOCKDEV_MODE_SHARED);
	take(h, "conversations:u%d", u, 0, LOCKDEV_MODE_SHARED);
	take(h, "index:u%d.b%d", u, b, LOCKDEV_MODE_SHARED);
	__atomic_add_fetch(&m->readers, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&st->user[u].renaming, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&m->writer, __ATOMIC_SEQ_CST))
		scen_die("a reader of u%d.b%d met a writer", u, b);
	work();
	__atomic_sub_fetch(&m->readers, 1, __ATOMIC_SEQ_CST);
}

static void op_append(struct held *h, int u, int b)
{
	struct mailbox *m = &st->user[u].box[b];

	take(h, "user:u%d", u, 0, LOCKDEV_MODE_SHARED);
	take(h, "mailbox:u%d.b%d", u, b, LOCKDEV_MODE_EXCLUSIVE);
	take(h, "conversations:u%d", u, 0, LOCKDEV_MODE_EXCLUSIVE);
	take(h, "index:u%d.b%d", u, b, LOCKDEV_MODE_EXCLUSIVE);
	enter(&m->writer, "a mailbox");
	if (__atomic_load_n(&m->readers, __ATOMIC_SEQ_CST))
		scen_die("an append to u%d.b%d met a reader", u, b);
	work();
	m->msgs++;
	__atomic_add_fetch(&st->appended, 1, __ATOMIC_RELAXED);
	leave(&m->writer);
}

/* Rename mailbox a to b and b to a: both at the mailbox level, by name. */
static void op_rename(struct held *h, int u, int a, int b)
{
	struct user *us = &st->user[u];
	int64_t msgs;
	int t;

	if (a > b) {
		t = a;
		a = b;
		b = t;
	}
	take(h, "user:u%d", u, 0, LOCKDEV_MODE_EXCLUSIVE);
	enter(&us->renaming, "a user's namespace");
	take(h, "mailbox:u%d.b%d", u, a, LOCKDEV_MODE_EXCLUSIVE);
	take(h, "mailbox:u%d.b%d", u, b, LOCKDEV_MODE_EXCLUSIVE);
	take(h, "conversations:u%d", u, 0, LOCKDEV_MODE_EXCLUSIVE);
	take(h, "index:u%d.b%d", u, a, LOCKDEV_MODE_EXCLUSIVE);
	take(h, "index:u%d.b%d", u, b, LOCKDEV_MODE_EXCLUSIVE);
	msgs = us->box[a].msgs;
	us->box[a].msgs = us->box[b].msgs;
	work();
	us->box[b].msgs = msgs;
	leave(&us->renaming);
}

static void op_search(struct held *h, int u, bool compact)
{
	unsigned int mode = compact ? LOCKDEV_MODE_EXCLUSIVE :
				      LOCKDEV_MODE_SHARED;
	struct user *us = &st->user[u];

	take(h, "user:u%d", u, 0, LOCKDEV_MODE_SHARED);
	take(h, "xapian:u%d", u, 0, mode);
	take(h, "xapianactive:u%d", u, 0, mode);
	if (compact) {
		enter(&us->compacting, "a Xapian compaction");
		if (__atomic_load_n(&us->searching, __ATOMIC_SEQ_CST))
			scen_die("a compaction of u%d met a search", u);
		work();
		leave(&us->compacting);
		return;
	}
	__atomic_add_fetch(&us->searching, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&us->compacting, __ATOMIC_SEQ_CST))
		scen_die("a search of u%d met a compaction", u);
	work();
	__atomic_sub_fetch(&us->searching, 1, __ATOMIC_SEQ_CST);
}

/*
 * One operation as a process of its own, as an imapd serves a connection:
 * attach, lock, work, unlock and exit.
 */
static void operation(int op, unsigned int u, unsigned int b, unsigned int b2)
{
	struct held h = { .ld = scen_open(SPACE) };
	uint64_t t0 = now_ns();

	switch (op) {
	case OP_READ:
		op_read(&h, u, b);
		break;
	case OP_APPEND:
		op_append(&h, u, b);
		break;
	case OP_RENAME:
		op_rename(&h, u, b, b2);
		break;
	default:
		op_search(&h, u, op == OP_COMPACT);
		break;
	}
	scen_max(&st->worst_wait_ns, now_ns() - t0);
	release(&h);
	lockdev_close(h.ld);
	__atomic_add_fetch(&st->ops[op], 1, __ATOMIC_RELAXED);
}

/* A master's connection slot: a process forked for each operation. */
static void worker(int id, void *arg)
{
	unsigned int r, u, b, b2;
	int i, op, status;
	pid_t pid;

	(void)id;
	(void)arg;
	for (i = 0; i < scen_ops; i++) {
		r = scen_rand() % 100;
		u = scen_rand() % USERS;
		b = scen_rand() % BOXES;
		b2 = (b + 1 + scen_rand() % (BOXES - 1)) % BOXES;
		op = r < 50 ? OP_READ : r < 75 ? OP_APPEND : r < 85 ? OP_RENAME :
		     r < 97 ? OP_SEARCH : OP_COMPACT;
		/* A search takes longer, a Xapian compaction much longer. */
		work_us = op == OP_COMPACT ? 20000 + scen_rand() % 60000 :
			  op == OP_SEARCH ? 2000 + scen_rand() % 8000 :
			  500 + scen_rand() % 1500;
		pid = fork();
		if (pid < 0)
			scen_die("fork: %s", strerror(errno));
		if (pid == 0) {
			operation(op, u, b, b2);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			scen_die("the process of operation %d failed", i);
	}
}

/* The workload: clean, and the guarded state adds up. */
static void run_workload(void)
{
	long long cycles = stat_value("cycles");
	long long order = stat_value("order_violations");
	long long deadlocks = stat_value("deadlocks");
	long long contended = stat_value("contended");
	pid_t pids[64];
	int64_t msgs = 0;
	uint64_t t0 = now_ns(), total = 0;
	int i, j, n = scen_procs < 64 ? scen_procs : 64;

	for (i = 0; i < n; i++)
		pids[i] = scen_spawn(worker, i, NULL);
	scen_check(!scen_reap(pids, n), "workers_clean");
	for (i = 0; i < USERS; i++)
		for (j = 0; j < BOXES; j++)
			msgs += st->user[i].box[j].msgs;
	for (i = 0; i < NR_OPS; i++)
		total += st->ops[i];
	scen_say("%llu operations in %llu ms: %llu reads, %llu appends, %llu renames, %llu searches, %llu compacts",
		 (unsigned long long)total,
		 (unsigned long long)((now_ns() - t0) / SCEN_MS),
		 (unsigned long long)st->ops[OP_READ],
		 (unsigned long long)st->ops[OP_APPEND],
		 (unsigned long long)st->ops[OP_RENAME],
		 (unsigned long long)st->ops[OP_SEARCH],
		 (unsigned long long)st->ops[OP_COMPACT]);
	scen_say("%lld grants waited, worst time to take an operation's locks %llu ms",
		 stat_value("contended") - contended,
		 (unsigned long long)(st->worst_wait_ns / SCEN_MS));
	scen_check(total == (uint64_t)n * scen_ops, "all_operations_done");
	scen_check(msgs == (int64_t)st->appended,
		   "messages_add_up (%lld in mailboxes, %llu appended)",
		   (long long)msgs, (unsigned long long)st->appended);
	scen_check(stat_value("deadlocks") == deadlocks &&
		   stat_value("cycles") == cycles &&
		   stat_value("order_violations") == order,
		   "no_deadlock_no_order_report");
	for (i = 0; i < NR_OPS; i++)
		if (!st->ops[i])
			scen_say("no %s ran: raise -n", op_names[i]);
}

/* The report of an order violation names the held mailbox lock. */
static bool names_mailbox(struct lockdev *ld)
{
	struct lockdev_cycle_member m;
	struct lockdev_deadlock_info info;
	int n = lockdev_deadlock(ld, &info, &m, 1);

	if (n != 1 || info.reason != LOCKDEV_RESULT_ORDER)
		return false;
	scen_say("report: pid %u (%.16s) holds %.*s (level %u), asked %.*s (level %u)",
		 m.pid, (char *)m.comm, (int)m.held_name_len,
		 (char *)m.held_name, m.held_level, (int)m.wait_name_len,
		 (char *)m.wait_name, m.wait_level);
	return scen_is(m.held_name, m.held_name_len, "mailbox:u0.b0") &&
	       scen_is(m.wait_name, m.wait_name_len, "user:u0");
}

/* An edge "user" -> "mailbox" of the lockspace in /proc/lockdev/order. */
static bool learned_user_mailbox(void)
{
	char line[2048], kind[16], space[1100], from[300], to[300];
	bool found = false;
	FILE *f = fopen("/proc/lockdev/order", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%15s %1099s %299s %299s", kind, space,
			       from, to) == 4 &&
			!strcmp(kind, "edge") && !strcmp(space, SPACE) &&
			!strcmp(from, "user") && !strcmp(to, "mailbox");
	fclose(f);
	return found;
}

/*
 * After the workload no session is attached, and what its processes
 * taught the lockspace stays: its class order has user before mailbox.
 */
static void run_idle(void)
{
	struct scen_space sp;

	scen_check(scen_space(SPACE, &sp) && !sp.sessions &&
		   !strcmp(sp.state, "persistent"),
		   "no_session_attached_after_the_workload");
	scen_check(learned_user_mailbox(), "learned_order_kept_while_idle");
}

/*
 * Re-taking the namespace lock under a mailbox lock, in a new session:
 * strict, then warn. The lockspace's learned class order has user before
 * mailbox, so the request is a learned-order inversion as well.
 */
static void run_inversion(void)
{
	long long order = stat_value("order_violations");
	long long inversions = stat_value("inversions");
	struct lockdev *ld = scen_open(SPACE);
	struct lockdev_grant g;
	int ret;

	scen_ok(lockdev_lock(ld, "mailbox:u0.b0", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
			     NULL), "mailbox lock");
	scen_check(shown_level("mailbox:u0.b0") == 20,
		   "declared_level_shown (%lu)",
		   shown_level("mailbox:u0.b0"));
	ret = lockdev_lock(ld, "user:u0", LOCKDEV_MODE_SHARED, 0, 0, &g);
	scen_check(ret == -EDEADLK && (g.result & LOCKDEV_RESULT_ORDER),
		   "strict_refuses_namespace_under_mailbox (%s)",
		   lockdev_strerror(ret, g.result));
	scen_check(names_mailbox(ld), "strict_report_names_mailbox");
	scen_check(stat_value("order_violations") == order + 1,
		   "strict_counted");

	scen_ok(lockdev_set_order(ld, LOCKDEV_ORDER_WARN, NULL), "set_order");
	ret = lockdev_lock(ld, "user:u0", LOCKDEV_MODE_SHARED, 0, 0, &g);
	scen_check(!ret && (g.result & LOCKDEV_RESULT_ORDER),
		   "warn_grants_and_reports (%s, result %#x)",
		   lockdev_strerror(ret, 0), g.result);
	scen_check(names_mailbox(ld), "warn_report_names_mailbox");
	scen_check(stat_value("order_violations") == order + 2, "warn_counted");
	scen_check(stat_value("inversions") > inversions,
		   "learned_order_inversion");
	scen_ok(lockdev_unlock_name(ld, "user:u0"), "unlock");
	scen_ok(lockdev_unlock_name(ld, "mailbox:u0.b0"), "unlock");
	lockdev_close(ld);
}

int main(int argc, char **argv)
{
	struct lockdev *ld;
	int ret;

	scen_start(argc, argv, "cyrus-hierarchy",
		   "Cyrus's user, mailbox, conversations, index and Xapian locks as levels, a process per operation",
		   6, 30);
	st = scen_shared(sizeof(*st));
	/* What the lockspace learns lives as long as it: root makes it so. */
	scen_space_create(SPACE, 0600, 0, 0);
	declare_levels();
	run_workload();
	run_idle();
	run_inversion();
	ret = lockdev_space_remove(SPACE, 0);
	scen_check(!ret && lockdev_open_space(&ld, SPACE, 0,
					      LOCKDEV_OPEN_NOCREATE) == -ENOENT,
		   "lockspace_removed (%s)", lockdev_strerror(ret, 0));
	return scen_end();
}
