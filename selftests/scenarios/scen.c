// SPDX-License-Identifier: GPL-2.0
/* Helpers of the scenario workloads: TAP output, workers, shared memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scen.h"

int scen_procs;
int scen_ops;

static const char *scen_name;
static int scen_nr, scen_failed;
static __thread uint64_t scen_state;

static int scen_env(const char *var, int def)
{
	const char *v = getenv(var);

	return v && atoi(v) > 0 ? atoi(v) : def;
}

void scen_start(int argc, char **argv, const char *name, const char *what,
		int procs, int ops)
{
	int c;

	scen_name = name;
	scen_procs = scen_env("LOCKDEV_SCEN_PROCS", procs);
	scen_ops = scen_env("LOCKDEV_SCEN_OPS", ops);
	while ((c = getopt(argc, argv, "p:n:h")) != -1) {
		switch (c) {
		case 'p':
			scen_procs = atoi(optarg);
			break;
		case 'n':
			scen_ops = atoi(optarg);
			break;
		case 'h':
			printf("usage: %s [-p PROCS] [-n OPS]\n%s\n"
			       "LOCKDEV_SCEN_PROCS and LOCKDEV_SCEN_OPS set the defaults (%d, %d).\n",
			       argv[0], what, procs, ops);
			exit(0);
		default:
			exit(2);
		}
	}
	if (scen_procs < 2 || scen_ops < 1) {
		fprintf(stderr, "%s: -p needs at least 2, -n at least 1\n", name);
		exit(2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	scen_seed(0);
	printf("# %s: %s\n# %s: %d processes, %d operations each\n", name,
	       what, name, scen_procs, scen_ops);
}

bool scen_check(bool ok, const char *what, ...)
{
	va_list ap;

	printf("%sok %d %s.", ok ? "" : "not ", ++scen_nr, scen_name);
	va_start(ap, what);
	vprintf(what, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		scen_failed++;
	return ok;
}

void scen_say(const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", scen_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void scen_skip(const char *what, const char *why)
{
	printf("ok %d %s.%s # SKIP %s\n", ++scen_nr, scen_name, what, why);
}

int scen_end(void)
{
	printf("1..%d\n", scen_nr);
	return scen_failed ? 1 : 0;
}

void scen_die(const char *fmt, ...)
{
	va_list ap;

	printf("# %s: pid %d: ", scen_name, getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	_exit(1);
}

void scen_ok(int ret, const char *what)
{
	if (ret)
		scen_die("%s: %s", what, lockdev_strerror(ret, 0));
}

void *scen_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

pid_t scen_spawn(void (*fn)(int id, void *arg), int id, void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		scen_seed(id);
		fn(id, arg);
		fflush(stdout);
		_exit(0);
	}
	return pid;
}

int scen_reap(const pid_t *pids, int n)
{
	int i, status, bad = 0;

	for (i = 0; i < n; i++) {
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && !WEXITSTATUS(status))
			continue;
		bad++;
		if (WIFSIGNALED(status))
			scen_say("worker %d (pid %d) killed by signal %d", i,
				 pids[i], WTERMSIG(status));
		else
			scen_say("worker %d (pid %d) exited with %d", i,
				 pids[i], WEXITSTATUS(status));
	}
	return bad;
}

struct lockdev *scen_open(const char *space)
{
	struct lockdev *ld;
	int ret = lockdev_open_space(&ld, space, 0600, 0);

	if (ret)
		scen_die("lockdev_open_space %s: %s", space,
			 lockdev_strerror(ret, 0));
	return ld;
}

void scen_space_create(const char *space, unsigned int mode, uid_t uid,
		       gid_t gid)
{
	int ret = lockdev_space_create(space, mode, uid, gid);

	if (ret == -EEXIST) {
		scen_ok(lockdev_space_remove(space, LOCKDEV_SPACE_FORCE),
			"remove the lockspace a run before left");
		ret = lockdev_space_create(space, mode, uid, gid);
	}
	if (ret)
		scen_die("lockdev_space_create %s: %s", space,
			 lockdev_strerror(ret, 0));
}

bool scen_space(const char *space, struct scen_space *sp)
{
	char line[1200], name[1100];
	bool found = false;
	FILE *f = fopen("/proc/lockdev/spaces", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = line[0] != '#' &&
			sscanf(line, "%1099s %u %u %o %d %d %d %15s", name,
			       &sp->uid, &sp->gid, &sp->mode, &sp->sessions,
			       &sp->locks, &sp->idle, sp->state) == 8 &&
			!strcmp(name, space);
	fclose(f);
	return found;
}

void scen_seed(unsigned int id)
{
	scen_state = now_ns() ^ ((uint64_t)getpid() << 32) ^ id;
	if (!scen_state)
		scen_state = 1;
}

/* xorshift64 */
unsigned int scen_rand(void)
{
	scen_state ^= scen_state << 13;
	scen_state ^= scen_state >> 7;
	scen_state ^= scen_state << 17;
	return scen_state >> 32;
}

void scen_max(uint64_t *max, uint64_t v)
{
	uint64_t old = __atomic_load_n(max, __ATOMIC_RELAXED);

	while (v > old && !__atomic_compare_exchange_n(max, &old, v, false,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

bool scen_is(const uint8_t *name, uint32_t len, const char *s)
{
	return len == strlen(s) && !memcmp(name, s, len);
}
