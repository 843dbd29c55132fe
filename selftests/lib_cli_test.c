// SPDX-License-Identifier: GPL-2.0
/*
 * The lockdev program as a util-linux tool: a mistyped subcommand takes no
 * lock, --version, messages and usage errors, strict numbers, --no-create,
 * owner-died (its message, $LOCKDEV_OWNER_DIED, --owner-died-exit-code,
 * --consistent), list's columns, --tree and --watch, spaces, deadlocks,
 * monitor's timestamps, and JSON from every command that has it, read by
 * jq and checked for names with bytes 0x01, 0x0a and 0xff in every command
 * that shows names, monitor's events among them (lockdev(1), JSON). The program is tools/lockdev of this tree, in $LOCKDEV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"
#include "prog_util.h"

/* jq checks an expression over JSON: only where jq is installed. */
static bool have_jq(void)
{
	return sh("command -v jq >/dev/null") == 0;
}

#define REQUIRE_JQ() do {						\
	if (!have_jq())							\
		SKIP(return, "no jq to read JSON with");		\
} while (0)

/* Does lock @name exist in @ld's lockspace? */
static bool lock_exists(struct lockdev *ld, const char *name)
{
	uint64_t gen = 0;

	return lockdev_generation(ld, name, &gen) == 0 && gen != 0;
}

/*
 * Each test runs the program tens of times. On the debug kernel under load
 * a run takes up to a second, so each test has three minutes, not the
 * harness's 30 s.
 */
#define CLI_TIMEOUT	180

FIXTURE(cli) {
	struct lockdev *ld;
	char space[64];
};

FIXTURE_SETUP(cli)
{
	find_program(_metadata);
	self->ld = lib_open(_metadata);
	snprintf(self->space, sizeof(self->space), "cli-space-%d", getpid());
}

FIXTURE_TEARDOWN(cli)
{
	lockdev_close(self->ld);
}

/* A word one edit from a subcommand, or before an option, takes no lock. */
TEST_F_TIMEOUT(cli, typo_takes_no_lock, CLI_TIMEOUT)
{
	char *out;
	int st;

	out = sh_out_status(&st, "$LOCKDEV lsit --json 2>&1");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(64, st);
	EXPECT_NE(NULL, strstr(out, "lockdev: 'lsit' is not a command; did you mean 'list'?"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Try 'lockdev --help' for more information.\n"));
	free(out);
	EXPECT_FALSE(lock_exists(self->ld, "lsit"));
	EXPECT_EQ(64, sh("$LOCKDEV stat true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV monitr true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV lis true 2>/dev/null"));
	EXPECT_FALSE(lock_exists(self->ld, "stat"));
	/* A lock name followed by an option is refused too. */
	EXPECT_EQ(64, sh("$LOCKDEV cli-opt --json 2>/dev/null"));
	EXPECT_FALSE(lock_exists(self->ld, "cli-opt"));
	/* The same words work as names where they cannot be typos. */
	EXPECT_EQ(0, sh("$LOCKDEV run lsit true"));
	EXPECT_TRUE(lock_exists(self->ld, "lsit"));
	EXPECT_EQ(0, sh("$LOCKDEV -s stat true"));
	EXPECT_EQ(0, sh("$LOCKDEV cli-name -- true"));
	EXPECT_EQ(0, sh("$LOCKDEV cli-name -c true"));
}

TEST_F_TIMEOUT(cli, version, CLI_TIMEOUT)
{
	char *out;
	int st;

	out = sh_out_status(&st, "$LOCKDEV --version");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, strncmp(out, "lockdev ", 8)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strchr(out, '.'));
	free(out);
	EXPECT_EQ(0, sh("$LOCKDEV -V >/dev/null"));
	EXPECT_EQ(0, sh("$LOCKDEV version | grep -q '^program '"));
	if (have_jq())
		EXPECT_EQ(0, sh("$LOCKDEV version --json | jq -e '(.program | type) == \"string\" and (.module | test(\"^[0-9]+[.][0-9]+[.][0-9]+$\")) and .abi >= 1 and (.feature_names | index(\"lock\")) != null' >/dev/null"));
}

/* Messages: "lockdev[ SUBCOMMAND]: ", the Try line, escaped cut names. */
TEST_F_TIMEOUT(cli, messages, CLI_TIMEOUT)
{
	char *out, *name = malloc(10001);
	int st;

	ASSERT_NE(NULL, name);
	out = sh_out_status(&st, "$LOCKDEV list --pid abc 2>&1");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(64, st);
	EXPECT_STREQ("lockdev list: --pid: 'abc' is not a whole number from 1 to 2147483647\n"
		     "Try 'lockdev list --help' for more information.\n", out);
	free(out);
	out = sh_out_status(&st, "$LOCKDEV list --bogus 2>&1");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(64, st);
	EXPECT_EQ(0, strncmp(out, "lockdev list: unrecognized option", 33))
		TH_LOG("%s", out);
	free(out);
	out = sh_out_status(&st, "$LOCKDEV '' true 2>&1");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(65, st);
	EXPECT_STREQ("lockdev: the lock name is empty\n", out);
	free(out);

	/* 10,000 bytes: 64 shown, then "...". */
	memset(name, 'n', 10000);
	name[10000] = 0;
	out = sh_out_status(&st, "$LOCKDEV %s true 2>&1", name);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(65, st);
	EXPECT_GT(200, strlen(out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "nnnn'... is 10000 bytes long"));
	free(out);
	/* Control bytes and bytes that are not UTF-8 are escaped. */
	memset(name, 'c', 300);
	name[300] = 0;
	out = sh_out_status(&st, "$LOCKDEV \"$(printf 'a\\001\\377\\033')\"%s true 2>&1",
			    name);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(65, st);
	EXPECT_NE(NULL, strstr(out, "'a\\x01\\xff\\x1bccc")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strchr(out, '\001'));
	EXPECT_EQ(NULL, strchr(out, '\033'));
	free(out);
	free(name);
}

TEST_F_TIMEOUT(cli, strict_numbers, CLI_TIMEOUT)
{
	static const char *const bad[] = {
		"list --pid abc", "list --pid 0", "list --pid 99999999999",
		"list --pid ' 5'", "list --pid 5x", "list --pid -5",
		"list --watch 0.01", "monitor --count 0", "monitor --held 1e3",
		"monitor --wait -1", "-E 256 cli-n true", "-E 1.5 cli-n true",
		"--level 4294967296 cli-n true", "--fd -1 cli-n",
		"--lockspace-mode 0800 -S x cli-n true", "-w 1s cli-n true",
		"--owner-died-exit-code 300 cli-n true",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(64, sh("$LOCKDEV %s 2>/dev/null", bad[i]))
			TH_LOG("lockdev %s", bad[i]);
	}
	EXPECT_FALSE(lock_exists(self->ld, "cli-n"));
	EXPECT_EQ(0, sh("$LOCKDEV --level 4294967295 -E 255 cli-n true"));
}

/* --no-create: a missing lockspace is exit 66 and stays missing. */
TEST_F_TIMEOUT(cli, no_create, CLI_TIMEOUT)
{
	struct lockdev *held;
	char *out;
	int st;

	out = sh_out_status(&st, "$LOCKDEV -S %s --no-create cli-nc true 2>&1",
			    self->space);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(out, "does not exist (--no-create)"))
		TH_LOG("%s", out);
	free(out);
	EXPECT_EQ(1, sh("grep -q '^%s ' /proc/lockdev/spaces", self->space));
	EXPECT_EQ(64, sh("$LOCKDEV --no-create cli-nc true 2>/dev/null"));

	ASSERT_EQ(0, lockdev_open_space(&held, self->space, 0600, 0));
	EXPECT_EQ(0, sh("$LOCKDEV -S %s --no-create cli-nc true",
			self->space));
	lockdev_close(held);
}

/* A lock left owner-died by a command killed under lockdev. */
static void make_owner_died(struct __test_metadata *_metadata,
			    struct lockdev *ld, const char *name)
{
	struct lockdev_info info;

	EXPECT_EQ(128 + SIGKILL, sh("$LOCKDEV %s sh -c 'kill -9 $$' 2>/dev/null",
				    name));
	ASSERT_EQ(0, lockdev_query(ld, name, NULL, 0, &info));
	ASSERT_TRUE(info.flags & LOCKDEV_QUERY_OWNER_DIED);
}

static bool owner_died(struct lockdev *ld, const char *name)
{
	struct lockdev_info info;

	return !lockdev_query(ld, name, NULL, 0, &info) &&
	       (info.flags & LOCKDEV_QUERY_OWNER_DIED);
}

TEST_F_TIMEOUT(cli, owner_died_and_consistent, CLI_TIMEOUT)
{
	char *out;
	int st;

	lib_require(_metadata, LOCKDEV_FEATURE_OWNER_DIED, "owner-died");
	make_owner_died(_metadata, self->ld, "cli-died");
	/* Said on standard error, and to the command in its environment. */
	out = sh_out_status(&st, "$LOCKDEV cli-died sh -c 'echo \"died=$LOCKDEV_OWNER_DIED\"' 2>&1");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, st);
	EXPECT_NE(NULL, strstr(out, "lockdev: 'cli-died': granted, but its last holder died without unlocking it (owner-died)"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "died=1"));
	free(out);
	/* The exit code asked for, without running the command. */
	EXPECT_EQ(3, sh("$LOCKDEV --owner-died-exit-code 3 cli-died touch /tmp/cli-ran 2>/dev/null"));
	EXPECT_NE(0, access("/tmp/cli-ran", F_OK));
	/* --consistent: not when the command fails, only when it succeeds. */
	EXPECT_EQ(5, sh("$LOCKDEV --consistent cli-died sh -c 'exit 5' 2>/dev/null"));
	EXPECT_TRUE(owner_died(self->ld, "cli-died"));
	EXPECT_EQ(0, sh("$LOCKDEV --consistent cli-died true 2>/dev/null"));
	EXPECT_FALSE(owner_died(self->ld, "cli-died"));
	out = sh_out_status(&st, "$LOCKDEV cli-died sh -c 'echo \"died=$LOCKDEV_OWNER_DIED\"' 2>&1");
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("died=\n", out);
	free(out);
	EXPECT_EQ(0, sh("$LOCKDEV --owner-died-exit-code 3 cli-died true"));
	EXPECT_EQ(64, sh("$LOCKDEV --consistent -s cli-died true 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV --consistent --fd 0 cli-died 2>/dev/null"));
	/* An idle owner-died lock is listed. */
	make_owner_died(_metadata, self->ld, "cli-died");
	EXPECT_EQ(0, sh("$LOCKDEV list --name cli-died -o STATE --noheadings | grep -qx owner-died"));
	EXPECT_EQ(0, sh("$LOCKDEV --consistent cli-died true 2>/dev/null"));
}

/*
 * A child that takes @first (if given) in @space, says 'L', then asks for
 * @second (if given) and waits for it; it exits when told, or at its alarm.
 */
static pid_t chain_kid(struct __test_metadata *_metadata, struct kid *k,
		       const char *space, const char *first,
		       unsigned int first_mode, const char *second,
		       unsigned int second_mode)
{
	struct lockdev *ld;

	ASSERT_LE(0, kid_fork(k));
	if (k->pid == 0) {
		if (lockdev_open_space(&ld, space, 0600, 0))
			_exit(2);
		if (first && lockdev_lock(ld, first, first_mode, 0, 0, NULL))
			_exit(3);
		kid_send(k, 'L');
		if (second)
			lockdev_lock(ld, second, second_mode, 0, 0, NULL);
		kid_recv(k, KID_TIMEOUT_S * 1000);
		_exit(0);
	}
	ASSERT_EQ('L', kid_recv(k, WAIT_MS));
	return k->pid;
}

/*
 * list --tree: A holds tree-1; B holds tree-2 and waits for tree-1; C1 and
 * C2, two processes, wait for tree-2 (SHARED, so each for B only): C1 and
 * C2 under B under A, three deep.
 */
TEST_F_TIMEOUT(cli, tree, CLI_TIMEOUT)
{
	struct kid a, b, c1, c2;
	struct lockdev *ld;
	char *out, want[64];

	ASSERT_EQ(0, lockdev_open_space(&ld, self->space, 0600, 0));
	chain_kid(_metadata, &a, self->space, "tree-1", LOCKDEV_MODE_EXCLUSIVE,
		  NULL, 0);
	chain_kid(_metadata, &b, self->space, "tree-2", LOCKDEV_MODE_EXCLUSIVE,
		  "tree-1", LOCKDEV_MODE_EXCLUSIVE);
	expect_waiting(_metadata, ld, "tree-1", b.pid, LOCKDEV_STATE_WAITING);
	chain_kid(_metadata, &c1, self->space, NULL, 0, "tree-2",
		  LOCKDEV_MODE_SHARED);
	expect_waiting(_metadata, ld, "tree-2", c1.pid, LOCKDEV_STATE_WAITING);
	chain_kid(_metadata, &c2, self->space, NULL, 0, "tree-2",
		  LOCKDEV_MODE_SHARED);
	expect_waiting(_metadata, ld, "tree-2", c2.pid, LOCKDEV_STATE_WAITING);

	out = sh_out("$LOCKDEV list --tree -S %s", self->space);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, strncmp(out, "PID", 3)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\n%d ", a.pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\n`-%d ", b.pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\n  |-%d ", c1.pid);
	if (!strstr(out, want))
		snprintf(want, sizeof(want), "\n  |-%d ", c2.pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\n  `-%d ", c1.pid);
	if (!strstr(out, want))
		snprintf(want, sizeof(want), "\n  `-%d ", c2.pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	/* Five lines: the heading and four requests. */
	EXPECT_EQ(0, sh("test $($LOCKDEV list --tree -S %s | wc -l) = 5",
			self->space));
	EXPECT_EQ(0, sh("test $($LOCKDEV list --tree --noheadings -S %s | wc -l) = 4",
			self->space));
	free(out);
	EXPECT_EQ(64, sh("$LOCKDEV list --tree --json 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV list --tree -o PID 2>/dev/null"));

	kid_send(&a, 'q');
	EXPECT_EQ(0, kid_reap(&a));
	kid_send(&b, 'q');
	EXPECT_EQ(0, kid_reap(&b));
	kid_send(&c1, 'q');
	EXPECT_EQ(0, kid_reap(&c1));
	kid_send(&c2, 'q');
	EXPECT_EQ(0, kid_reap(&c2));
	lockdev_close(ld);
}

/*
 * The shell's nesting: lockdev runs a command that runs lockdev. The outer
 * one holds nest-2 in a session the inner one has open too, and the inner
 * one waits for nest-1: a reader of nest-2 waits, through the outer lock,
 * for what the inner one waits for. The tree shows it three deep.
 */
TEST_F_TIMEOUT(cli, tree_nested, CLI_TIMEOUT)
{
	char *out;

	out = sh_out("L=\"$LOCKDEV -S %s\"; "
		     "until_line() { for i in $(seq 100); do $LOCKDEV list -S %s -N $1 -o STATE --noheadings | grep -q $2 && return; sleep 0.1; done; }; "
		     "$L nest-1 sleep 15 & until_line nest-1 held; "
		     "$L nest-2 $L nest-1 true & until_line nest-1 waiting; "
		     "$L -s nest-2 true & until_line nest-2 waiting; "
		     "$LOCKDEV list --tree --noheadings -S %s; wait",
		     self->space, self->space, self->space);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, sh("printf '%%s' '%s' | grep -Eq '^[0-9]+ +lockdev +held +exclusive +%s +nest-1 '",
			out, self->space)) TH_LOG("%s", out);
	EXPECT_EQ(0, sh("printf '%%s' '%s' | grep -Eq '^`-[0-9]+ +lockdev +waiting +exclusive +%s +nest-1 '",
			out, self->space)) TH_LOG("%s", out);
	EXPECT_EQ(0, sh("printf '%%s' '%s' | grep -Eq '^  `-[0-9]+ +lockdev +waiting +shared +%s +nest-2 '",
			out, self->space)) TH_LOG("%s", out);
	free(out);
}

/* list's -o, --noheadings and --raw, as lslocks has them. */
TEST_F_TIMEOUT(cli, list_columns, CLI_TIMEOUT)
{
	struct lockdev *ld;
	char *out;

	ASSERT_EQ(0, lockdev_open_space(&ld, self->space, 0600, 0));
	ASSERT_EQ(0, lockdev_lock(ld, "col a", LOCKDEV_MODE_EXCLUSIVE, 7, 0,
				  NULL));
	out = sh_out("$LOCKDEV list -S %s -o NAME,MODE,STATE,LEVEL --noheadings --raw",
		     self->space);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("col\\040a exclusive held 7\n", out);
	free(out);
	out = sh_out("$LOCKDEV list -S %s -o name,level", self->space);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("NAME     LEVEL\ncol\\040a     7\n", out);
	free(out);
	out = sh_out("$LOCKDEV list -S %s -o +LEVEL,SESSION", self->space);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, strncmp(out, "LOCKSPACE", 9));
	EXPECT_NE(NULL, strstr(out, "WAITS-FOR LEVEL SESSION\n")) TH_LOG("%s", out);
	free(out);
	EXPECT_EQ(0, sh("$LOCKDEV list --help | grep -q GENERATION"));
	EXPECT_EQ(64, sh("$LOCKDEV list -o NOPE 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV list -o , 2>/dev/null"));
	if (have_jq())
		EXPECT_EQ(0, sh("$LOCKDEV list -S %s -o NAME,LEVEL --json | jq -e '. == [{\"name\": \"col a\", \"level\": 7}]' >/dev/null",
				self->space));
	lockdev_close(ld);
}

/* list --watch redraws until interrupted. */
TEST_F_TIMEOUT(cli, watch, CLI_TIMEOUT)
{
	char *out;
	int st;

	out = sh_out_status(&st, "timeout -s INT --preserve-status 6.5 $LOCKDEV list --watch 1 -S %s",
			    self->space);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, strncmp(out, "\nEvery 1.0s: lockdev list", 25))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out + 1, "\nEvery 1.0s: lockdev list"));
	free(out);
	EXPECT_EQ(64, sh("$LOCKDEV list --watch --json 2>/dev/null"));
	EXPECT_EQ(64, sh("$LOCKDEV list --watch=abc 2>/dev/null"));
}

/* lockdev spaces, from /proc/lockdev/spaces. */
TEST_F_TIMEOUT(cli, spaces, CLI_TIMEOUT)
{
	struct lockdev *a, *b;
	char *out;

	ASSERT_EQ(0, lockdev_open_space(&a, self->space, 0640, 0));
	ASSERT_EQ(0, lockdev_open_space(&b, self->space, 0640, 0));
	ASSERT_EQ(0, lockdev_lock(a, "held", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(b, "idle", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_unlock_name(b, "idle"));

	out = sh_out("$LOCKDEV spaces -S %s", self->space);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, strncmp(out, "LOCKSPACE", 9)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "OWNER GROUP MODE SESSIONS LOCKS IDLE\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " root  root  0640        2     1    1\n"))
		TH_LOG("%s", out);
	free(out);
	out = sh_out("$LOCKDEV spaces -S %s -o LOCKSPACE,SESSIONS,IDLE --noheadings --raw",
		     self->space);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, strncmp(out, self->space, strlen(self->space)));
	EXPECT_STREQ(" 2 1\n", out + strlen(self->space));
	free(out);
	if (have_jq())
		EXPECT_EQ(0, sh("$LOCKDEV spaces -S %s --json | jq -e 'length == 1 and .[0].uid == 0 and .[0].owner == \"root\" and .[0].mode == \"0640\" and .[0].sessions == 2 and .[0].locks == 1 and .[0].idle == 1' >/dev/null",
				self->space));
	/* Root's default lockspace, and an unknown column. */
	ASSERT_EQ(0, lockdev_lock(self->ld, "cli-sp", LOCKDEV_MODE_SHARED, 0, 0,
				  NULL));
	EXPECT_EQ(0, sh("$LOCKDEV spaces -o LOCKSPACE --noheadings | grep -qx '~0'"));
	EXPECT_EQ(64, sh("$LOCKDEV spaces -o NOPE 2>/dev/null"));
	lockdev_close(a);
	lockdev_close(b);
}

/* lockdev space: create, set and remove, with their exit codes. */
TEST_F(cli, space)
{
	struct lockdev *a;
	char name[96];

	snprintf(name, sizeof(name), "%s-admin", self->space);
	EXPECT_EQ(0, sh("$LOCKDEV space create %s --mode 0640 --group 0",
			name));
	EXPECT_EQ(65, sh("$LOCKDEV space create %s 2>/dev/null", name));
	EXPECT_EQ(0, sh("grep -qx '%s 0 0 0640 0 0 0 persistent strict' /proc/lockdev/spaces",
			name));
	EXPECT_EQ(0, sh("$LOCKDEV space set %s --mode 0600", name));
	EXPECT_EQ(0, sh("$LOCKDEV spaces -S %s -o MODE,STATE --noheadings --raw | grep -qx '0600 persistent'",
			name));
	ASSERT_EQ(0, lockdev_open_space(&a, name, 0, LOCKDEV_OPEN_NOCREATE));
	EXPECT_EQ(1, sh("$LOCKDEV space remove %s 2>/dev/null", name));
	EXPECT_EQ(0, sh("$LOCKDEV space remove %s --force", name));
	EXPECT_EQ(-EIDRM, lockdev_lock(a, "x", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	lockdev_close(a);
	EXPECT_EQ(66, sh("$LOCKDEV space remove %s 2>/dev/null", name));
	EXPECT_EQ(64, sh("$LOCKDEV space remove %s --mode 0600 2>/dev/null",
			 name));
	EXPECT_EQ(64, sh("$LOCKDEV space grow %s 2>/dev/null", name));
}

/*
 * lockdev space --order and --level, space level, and space load: a bad
 * line is reported as FILE:LINE and skipped whole, the others applied.
 */
TEST_F_TIMEOUT(cli, space_levels, CLI_TIMEOUT)
{
	char name[96], conf[128], *out;
	unsigned int old;
	struct lockdev *a;
	int st;

	snprintf(name, sizeof(name), "%s-lv", self->space);
	EXPECT_EQ(0, sh("$LOCKDEV space create %s --order warn --level mailbox:=20 --level 'index:=40'",
			name));
	EXPECT_EQ(0, sh("grep -qx '%s mailbox: 20' /proc/lockdev/levels", name));
	EXPECT_EQ(0, sh("grep -qx '%s index: 40' /proc/lockdev/levels", name));
	EXPECT_EQ(0, sh("$LOCKDEV spaces -S %s -o ORDER --noheadings --raw | grep -qx warn",
			name));
	ASSERT_EQ(0, lockdev_open_space(&a, name, 0, LOCKDEV_OPEN_NOCREATE));
	ASSERT_EQ(0, lockdev_set_order(a, 0, &old));
	EXPECT_EQ(LOCKDEV_ORDER_WARN, old);
	lockdev_close(a);

	EXPECT_EQ(0, sh("$LOCKDEV space level %s conversations: 30", name));
	EXPECT_EQ(0, sh("grep -qx '%s conversations: 30' /proc/lockdev/levels",
			name));
	EXPECT_EQ(0, sh("$LOCKDEV space level %s conversations: 0", name));
	EXPECT_EQ(1, sh("grep -q '^%s conversations:' /proc/lockdev/levels",
			name));
	EXPECT_EQ(66, sh("$LOCKDEV space level %s conversations: 0 2>/dev/null",
			 name));
	EXPECT_EQ(0, sh("$LOCKDEV space set %s --order off --level index:=0 --level 'a\\040b=5'",
			name));
	EXPECT_EQ(1, sh("grep -q '^%s index:' /proc/lockdev/levels", name));
	EXPECT_EQ(0, sh("grep -qx '%s a\\\\040b 5' /proc/lockdev/levels",
			name));
	EXPECT_EQ(0, sh("$LOCKDEV spaces -S %s -o ORDER --noheadings --raw | grep -qx off",
			name));

	/* Usage errors. */
	EXPECT_EQ(64, sh("$LOCKDEV space create %s-x --order lax 2>/dev/null",
			 name));
	EXPECT_EQ(64, sh("$LOCKDEV space create %s-x --level nolevel 2>/dev/null",
			 name));
	EXPECT_EQ(64, sh("$LOCKDEV space create %s-x --level a:=0 2>/dev/null",
			 name));
	EXPECT_EQ(64, sh("$LOCKDEV space level %s a: 2>/dev/null", name));
	EXPECT_EQ(64, sh("$LOCKDEV space level %s a: x 2>/dev/null", name));
	EXPECT_EQ(64, sh("$LOCKDEV space remove %s --order off 2>/dev/null",
			 name));
	EXPECT_EQ(66, sh("$LOCKDEV space create %s-x 2>/dev/null; $LOCKDEV space remove %s-x; $LOCKDEV space level %s-x a: 1 2>/dev/null",
			 name, name, name));

	/* load: line 3 is bad and changes nothing; lines 2 and 4 apply. */
	snprintf(conf, sizeof(conf), "/tmp/lockdev-spaces-%d.conf", getpid());
	ASSERT_EQ(0, sh("printf '%%s\n' '# the host' '%s-1 mode=0640 order=warn level=m:=3 # mail' '%s-2 mode=0640 level=x:=4 bogus=1' '' '%s mode=0604 order=strict persistent' >%s",
			name, name, name, conf));
	out = sh_out_status(&st, "$LOCKDEV space load %s 2>&1", conf);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(65, st);
	EXPECT_NE(NULL, strstr(out, conf)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ":3: unknown word")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, ":2:")) TH_LOG("%s", out);
	free(out);
	EXPECT_EQ(0, sh("grep -qx '%s-1 0 0 0640 0 0 0 persistent warn' /proc/lockdev/spaces",
			name));
	EXPECT_EQ(0, sh("grep -qx '%s-1 m: 3' /proc/lockdev/levels", name));
	EXPECT_EQ(1, sh("grep -q '^%s-2 ' /proc/lockdev/spaces", name));
	EXPECT_EQ(0, sh("grep -qx '%s 0 0 0604 0 0 0 persistent strict' /proc/lockdev/spaces",
			name));
	/* Again: the lockspaces exist, and are updated; a clean file exits 0. */
	EXPECT_EQ(0, sh("sed -i 3d %s && $LOCKDEV space load %s", conf, conf));
	EXPECT_EQ(66, sh("$LOCKDEV space load %s.none 2>/dev/null", conf));
	EXPECT_EQ(0, sh("echo '%s-1 order=off' | $LOCKDEV space load -", name));
	EXPECT_EQ(0, sh("$LOCKDEV spaces -S %s-1 -o ORDER --noheadings --raw | grep -qx off",
			name));
	sh("rm -f %s; $LOCKDEV space remove %s-1; $LOCKDEV space remove %s",
	   conf, name, name);
}

/*
 * space load over a lockspace another uid opened first, as a squatter
 * would before the administrator's file is loaded: the loaded one is
 * root's, with the file's mode, and the squatter's session is told EIDRM.
 */
TEST_F_TIMEOUT(cli, space_load_over_squatter, CLI_TIMEOUT)
{
	char name[96];
	struct kid k;

	snprintf(name, sizeof(name), "%s-sq", self->space);
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *ld;

		if (become(65534, 65534) ||
		    lockdev_open_space(&ld, name, 0666, 0) ||
		    lockdev_lock(ld, "x", LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL))
			_exit(2);
		kid_send(&k, 'h');
		if (kid_recv(&k, WAIT_MS) != 'l')
			_exit(3);
		if (lockdev_lock(ld, "y", LOCKDEV_MODE_SHARED, 0, 0, NULL) !=
		    -EIDRM || lockdev_unlock_name(ld, "x"))
			_exit(4);
		lockdev_close(ld);
		_exit(lockdev_open_space(&ld, name, 0, LOCKDEV_OPEN_NOCREATE) ==
		      -EACCES ? 0 : 5);
	}
	ASSERT_EQ('h', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, sh("grep -qx '%s 65534 65534 0666 1 1 0 transient strict' /proc/lockdev/spaces",
			name));
	EXPECT_EQ(0, sh("echo '%s mode=0640' | $LOCKDEV space load -", name));
	ASSERT_EQ(0, kid_send(&k, 'l'));
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_EQ(0, sh("grep -qx '%s 0 0 0640 0 0 0 persistent strict' /proc/lockdev/spaces",
			name));
	/* The squatter's, removed, goes with its last session. */
	EXPECT_EQ(1, sh("for i in $(seq 50); do grep -q '^%s 65534 ' /proc/lockdev/spaces || exit 1; sleep 0.1; done",
			name));
	sh("$LOCKDEV space remove %s", name);
}

/*
 * Every JSON output parses, and names whose bytes are not UTF-8 round-trip:
 * NAME as a string (control bytes as JSON escapes), NAME_hex when the
 * bytes are not UTF-8; the output itself is UTF-8.
 */
TEST_F_TIMEOUT(cli, json, CLI_TIMEOUT)
{
	static const char *const cmds[] = {
		"list --json", "list --all --json", "spaces --json",
		"order --json", "stats --json", "stats --classes --json",
		"deadlocks --json", "version --json",
	};
	char space[64], cmd[256], hex[129];
	struct lockdev *ld;
	unsigned int i;

	REQUIRE_JQ();
	snprintf(space, sizeof(space), "cli-json-\377-%d", getpid());
	ASSERT_EQ(0, lockdev_open_space(&ld, space, 0600, 0));
	ASSERT_EQ(0, lockdev_lock(ld, "j\001", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld, "j\n", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld, "j\377", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld, "j\"\\\xc3\xa9", LOCKDEV_MODE_SHARED, 0,
				  0, NULL));
	/* A report of an order violation, for deadlocks. */
	ASSERT_NE(0, sh("exec 9<>/dev/lockdev && $LOCKDEV --fd 9 -l 2 cli-dl-a-%d && $LOCKDEV --fd 9 -l 1 cli-dl-b-%d 2>/dev/null",
			getpid(), getpid()));

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strncmp(cmds[i], "order", 5) &&
		    access("/proc/lockdev/order", F_OK))
			continue;
		EXPECT_EQ(0, sh("$LOCKDEV %s >/tmp/cli.json && jq -e . </tmp/cli.json >/dev/null && iconv -f UTF-8 -t UTF-8 </tmp/cli.json >/dev/null",
				cmds[i])) {
			TH_LOG("lockdev %s: not valid JSON", cmds[i]);
		}
	}
	snprintf(cmd, sizeof(cmd), "$LOCKDEV list --json -S \"$(printf 'cli-json-\\377-%d')\" | jq -e ",
		 getpid());
	EXPECT_EQ(0, sh("%s 'length == 4' >/dev/null", cmd));
	EXPECT_EQ(0, sh("%s 'map(select(.name == \"j\\u0001\" and .name_hex == null)) | length == 1' >/dev/null", cmd));
	EXPECT_EQ(0, sh("%s 'map(select(.name == \"j\\n\" and .name_hex == null)) | length == 1' >/dev/null", cmd));
	EXPECT_EQ(0, sh("%s 'map(select(.name == \"j\\ufffd\" and .name_hex == \"6aff\")) | length == 1' >/dev/null", cmd));
	EXPECT_EQ(0, sh("%s 'map(select(.name == \"j\\\"\\\\\\u00e9\" and .name_hex == null)) | length == 1' >/dev/null", cmd));
	for (i = 0; i < strlen(space); i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)space[i]);
	EXPECT_EQ(0, sh("%s '.[0].lockspace_hex == \"%s\"' >/dev/null", cmd,
			hex));
	EXPECT_EQ(0, sh("%s 'all(.[]; .lockspace == \"cli-json-\\ufffd-%d\")' >/dev/null",
			cmd, getpid()));
	EXPECT_EQ(0, sh("$LOCKDEV deadlocks --json | jq -e 'map(select(.reason == \"order\" and .members[0].wait_name == \"cli-dl-b-%d\")) | length == 1' >/dev/null",
			getpid()));
	EXPECT_EQ(0, sh("$LOCKDEV deadlocks | grep -q 'asks cli-dl-b-%d'",
			getpid()));
	lockdev_close(ld);
}


/* @s as two lowercase hex digits a byte, as the _hex members have it. */
static const char *hex_of(const char *s, char *out)
{
	size_t i;

	for (i = 0; s[i]; i++)
		sprintf(out + 2 * i, "%02x", (unsigned char)s[i]);
	out[2 * i] = 0;
	return out;
}

/* jq -e @filter over lockdev @args, whose output is also checked as UTF-8. */
#define JQ_OK(args, filter, ...)					\
	EXPECT_EQ(0, sh("$LOCKDEV " args " >/tmp/cli-names.json && "	\
			"iconv -f UTF-8 -t UTF-8 </tmp/cli-names.json >/dev/null && " \
			"jq -e '" filter "' </tmp/cli-names.json >/dev/null", \
			##__VA_ARGS__)) {				\
		sh("cat -v /tmp/cli-names.json >&2");			\
		TH_LOG("lockdev " args ": not " filter, ##__VA_ARGS__);	\
	}

/*
 * Names with the bytes 0x01, 0x0a and 0xff in the JSON of every command
 * that shows names, read back by jq: the lockspace (spaces, list, order,
 * stats --classes, deadlocks, monitor), lock names (list, deadlocks,
 * monitor), classes (order, stats --classes). The string has 0x01 and 0x0a
 * as JSON escapes and 0xff as U+FFFD, the _hex member every byte.
 */
TEST_F_TIMEOUT(cli, json_names, CLI_TIMEOUT)
{
	char space[64], sq[64], sj[64], hx[129], hod[64], hc[64];
	struct lockdev_grant g;
	struct lockdev *ld, *ld2;
	pid_t mon, child;
	int status;

	REQUIRE_JQ();
	lib_require(_metadata, LOCKDEV_FEATURE_LEARNED_ORDER, "learned order");
	snprintf(space, sizeof(space), "jn\001\n\377-%d", getpid());
	hex_of(space, hx);
	/* The lockspace as -S gets it from the shell, and its JSON string. */
	snprintf(sq, sizeof(sq), "\"$(printf 'jn\\001\\n\\377-%d')\"",
		 getpid());
	snprintf(sj, sizeof(sj), "jn\\u0001\\n\\ufffd-%d", getpid());

	/* The monitor, listening before anything happens. */
	mon = fork();
	ASSERT_LE(0, mon);
	if (mon == 0) {
		/* Gone with the test, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sh", "sh", "-c",
		      "exec $LOCKDEV monitor --json >/tmp/cli-names-mon.json",
		      (char *)NULL);
		_exit(127);
	}
	sleep(2);

	ASSERT_EQ(0, lockdev_open_space(&ld, space, 0600, 0));
	ASSERT_EQ(0, lockdev_open_space(&ld2, space, 0600, 0));
	/* Classes a\001 -> b\n -> c\377 learned, then b\n -> a\001. */
	ASSERT_EQ(0, lockdev_lock(ld, "a\001:1", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld, "b\n:1", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld, "c\377:1", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld2, "b\n:2", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld2, "a\001:2", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_unlock_name(ld2, "a\001:2"));
	ASSERT_EQ(0, lockdev_unlock_name(ld2, "b\n:2"));
	/* An order violation, kept in deadlocks: a\001:3 then c\377:3. */
	ASSERT_EQ(0, lockdev_lock(ld2, "a\001:3", LOCKDEV_MODE_SHARED, 2, 0, NULL));
	ASSERT_EQ(-EDEADLK, lockdev_lock(ld2, "c\377:3", LOCKDEV_MODE_SHARED,
					 1, 0, NULL));
	ASSERT_EQ(0, lockdev_unlock_name(ld2, "a\001:3"));
	/* An owner that dies holding od\001\n\377. */
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct lockdev *lc;

		if (lockdev_open_space(&lc, space, 0600, 0) ||
		    lockdev_lock(lc, "od\001\n\377", LOCKDEV_MODE_EXCLUSIVE, 0,
				 0, NULL))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, status);

	JQ_OK("spaces -S %s --json",
	      "length == 1 and .[0].lockspace == \"%s\" and .[0].lockspace_hex == \"%s\"",
	      sq, sj, hx);
	JQ_OK("list --all -S %s --json",
	      "(map(select(.name == \"b\\n:1\" and .name_hex == null and .lockspace_hex == \"%s\")) | length == 1) and (map(select(.name == \"c\\ufffd:1\" and .name_hex == \"%s\")) | length == 1) and (map(select(.name == \"od\\u0001\\n\\ufffd\" and .name_hex == \"%s\" and .state == \"owner-died\")) | length == 1)",
	      sq, hx, hex_of("c\377:1", hc), hex_of("od\001\n\377", hod));
	if (!access("/proc/lockdev/order", F_OK)) {
		JQ_OK("order -S %s --json",
		      "(.edges | map(select(.lockspace_hex == \"%s\" and .from == \"a\\u0001\" and .to == \"b\\n\" and .from_name == \"a\\u0001:1\")) | length == 1) and (.edges | map(select(.from == \"b\\n\" and .to == \"c\\ufffd\" and .to_hex == \"%s\")) | length == 1) and (.inversions | map(select(.lockspace == \"%s\")) | length >= 1)",
		      sq, hx, hex_of("c\377", hc), sj);
		JQ_OK("stats --classes --json",
		      "map(select(.lockspace_hex == \"%s\") | .class) | sort == [\"a\\u0001\", \"b\\n\", \"c\\ufffd\"]",
		      hx);
	}
	JQ_OK("deadlocks --json",
	      "map(select(.lockspace_hex == \"%s\" and .reason == \"order\" and .members[0].held_name == \"a\\u0001:3\" and .members[0].wait_name_hex == \"%s\")) | length == 1",
	      hx, hex_of("c\377:3", hc));

	/* The monitor saw the inversion, the order violation and the death. */
	sleep(1);
	kill(mon, SIGTERM);
	ASSERT_EQ(mon, waitpid(mon, &status, 0));
	EXPECT_EQ(0, sh("iconv -f UTF-8 -t UTF-8 </tmp/cli-names-mon.json >/dev/null && jq -s -e '(map(select(.event == \"inversion\" and .lockspace_hex == \"%s\" and (.edges[0].from == \"b\\n\" or .edges[0].from == \"a\\u0001\"))) | length >= 1) and (map(select(.event == \"order\" and .lockspace == \"%s\" and .members[0].held == \"a\\u0001:3\" and .members[0].waits_for_hex == \"%s\")) | length == 1) and (map(select(.event == \"owner-died\" and .name == \"od\\u0001\\n\\ufffd\" and .name_hex == \"%s\")) | length == 1)' </tmp/cli-names-mon.json >/dev/null",
			hx, sj, hc, hod))
		sh("cat -v /tmp/cli-names-mon.json >&2");

	/* The owner-died lock marked consistent, so nothing stays behind. */
	ASSERT_EQ(0, lockdev_lock(ld2, "od\001\n\377", LOCKDEV_MODE_EXCLUSIVE, 0,
				  0, &g));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, g.result & LOCKDEV_RESULT_OWNER_DIED);
	EXPECT_EQ(0, lockdev_consistent(ld2, g.handle));
	lockdev_close(ld2);
	lockdev_close(ld);
}

/*
 * lockdev order's columns line up whatever the length of the class names:
 * the rows' TO column starts where the heading's does, past a FROM class
 * longer than the table's least width.
 */
TEST_F_TIMEOUT(cli, order_columns, CLI_TIMEOUT)
{
	static const char *const from = "a-class-name-longer-than-sixteen-bytes";
	struct lockdev *ld;
	char name[80];

	lib_require(_metadata, LOCKDEV_FEATURE_LEARNED_ORDER, "learned order");
	if (access("/proc/lockdev/order", F_OK))
		SKIP(return, "no /proc/lockdev/order");
	ASSERT_EQ(0, lockdev_open_space(&ld, self->space, 0600, 0));
	snprintf(name, sizeof(name), "%s:1", from);
	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_SHARED, 0, 0, NULL));
	ASSERT_EQ(0, lockdev_lock(ld, "to:1", LOCKDEV_MODE_SHARED, 0, 0, NULL));
	/* While attached: the lockspace and what it learned go with it. */
	EXPECT_EQ(0, sh("$LOCKDEV order -S %s >/tmp/cli-order.txt", self->space));
	lockdev_close(ld);
	EXPECT_EQ(0, sh("awk 'NR == 1 { at = index($0, \" TO \") }"
			" $2 == \"%s\" && $3 == \"to\" { row = index($0, \" to \") }"
			" END { exit !(at && at == row) }' /tmp/cli-order.txt",
			from)) {
		char *out = read_file("/tmp/cli-order.txt");

		TH_LOG("lockdev order printed:\n%s", out ? out : "(nothing)");
		free(out);
	}
	unlink("/tmp/cli-order.txt");
}

/*
 * lockdev monitor puts the time first on every line, and in "time" in
 * JSON; a name that is not UTF-8 comes with name_hex.
 */
TEST_F_TIMEOUT(cli, monitor_timestamps, CLI_TIMEOUT)
{
	char *out;

	out = sh_out("$LOCKDEV monitor --count 1 & m=$!; sleep 1; "
		     "$LOCKDEV -x cli-mon sh -c 'kill -9 $PPID' 2>/dev/null; "
		     "wait $m");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, sh("printf '%%s' '%s' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}[+-][0-9]{2}:[0-9]{2} owner-died ~0 cli-mon exclusive pid [0-9]+ [(](lockdev|-)[)] generation [0-9]+$'",
			out)) TH_LOG("%s", out);
	free(out);
	EXPECT_EQ(0, sh("$LOCKDEV --consistent cli-mon true 2>/dev/null"));

	if (!have_jq())
		return;
	out = sh_out("$LOCKDEV monitor --count 1 --json & m=$!; sleep 1; "
		     "$LOCKDEV -x \"$(printf 'cli-mon\\377')\" sh -c 'kill -9 $PPID' 2>/dev/null; "
		     "wait $m");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, sh("printf '%%s' '%s' | jq -e '.event == \"owner-died\" and (.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[.][0-9]{6}[+-][0-9]{2}:[0-9]{2}$\")) and .name == \"cli-mon\\ufffd\" and .name_hex == \"636c692d6d6f6eff\"' >/dev/null",
			out)) TH_LOG("%s", out);
	free(out);
	EXPECT_EQ(0, sh("$LOCKDEV --consistent \"$(printf 'cli-mon\\377')\" true 2>/dev/null"));
}

/*
 * Any process chooses its own name: lockdev monitor prints it escaped, as
 * lockdev list does, so that it cannot write terminal controls. The holder
 * is lockdev itself, run through a link whose name has an escape, with -o:
 * the session closes as lockdev dies, while its name is still known (a
 * command that inherited the session could close it last, after lockdev
 * was reaped, and the event would name no one).
 */
TEST_F_TIMEOUT(cli, monitor_comm_escaped, CLI_TIMEOUT)
{
	char *out;

	ASSERT_EQ(0, sh("ln -sf \"$LOCKDEV\" \"/tmp/ev$(printf '\\033')[2Jx\""));
	out = sh_out("$LOCKDEV monitor --count 1 & m=$!; sleep 1; "
		     "\"/tmp/ev$(printf '\\033')[2Jx\" -o -x cli-mon-comm "
		     "sh -c 'kill -9 $PPID' 2>/dev/null; wait $m");
	sh("rm -f \"/tmp/ev$(printf '\\033')[2Jx\"");
	ASSERT_NE(NULL, out);
	EXPECT_EQ(NULL, strchr(out, '\033'));
	EXPECT_NE(NULL, strstr(out, "cli-mon-comm exclusive pid ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "(ev\\033[2Jx)")) TH_LOG("%s", out);
	free(out);
	EXPECT_EQ(0, sh("$LOCKDEV --consistent cli-mon-comm true 2>/dev/null"));
}

/*
 * lockdev monitor needs CAP_NET_ADMIN and nothing else: as the unit
 * lockdev-monitor.service runs it, a user that is not root with that one
 * capability (ambient, bounding set and no new privileges) gets the
 * events; without it, exit 77.
 */
TEST_F_TIMEOUT(cli, monitor_net_admin_only, CLI_TIMEOUT)
{
	static const char setpriv[] =
		"setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs";
	char *out;

	if (sh("command -v setpriv >/dev/null"))
		SKIP(return, "no setpriv");
	out = sh_out("%s --inh-caps=-all,+net_admin --ambient-caps=+net_admin --bounding-set=-all,+net_admin $LOCKDEV monitor --count 1 & m=$!; sleep 2; "
		     "$LOCKDEV -x cli-cap sh -c 'kill -9 $PPID' 2>/dev/null; "
		     "wait $m && echo status 0",
		     setpriv);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, " owner-died ~0 cli-cap exclusive pid ")) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "status 0\n"));
	free(out);
	EXPECT_EQ(0, sh("$LOCKDEV --consistent cli-cap true 2>/dev/null"));
	EXPECT_EQ(77, sh("%s --inh-caps=-all --bounding-set=-all $LOCKDEV monitor --count 1 2>/dev/null",
			 setpriv));
}

TEST_HARNESS_MAIN
