/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the scenario workloads in selftests/scenarios: each program
 * is one pattern of a real system run by several processes through
 * liblockdev. It prints TAP lines, one per property it checks ("ok N
 * scenario.what"), figures as "# " comments, the plan last, and exits 1 if
 * a check failed. The bodies are in scen.c.
 */
#ifndef LOCKDEV_SCENARIOS_SCEN_H
#define LOCKDEV_SCENARIOS_SCEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockdev.h"
#include "../util.h"

#define SCEN_MS		1000000ULL
#define SCEN_SEC	1000000000ULL

/* The size of the run: -p PROCS and -n OPS, or LOCKDEV_SCEN_PROCS/_OPS. */
extern int scen_procs;
extern int scen_ops;

/*
 * Parse the options (-p, -n, -h) of scenario @name with its default size,
 * @what saying in a line what it shows, and say the size.
 */
void scen_start(int argc, char **argv, const char *name, const char *what,
		int procs, int ops);
/* One TAP line for the property @what (printf format): ok or not ok. */
bool scen_check(bool ok, const char *what, ...)
	__attribute__((format(printf, 2, 3)));
/* A "# " line of figures. */
void scen_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One TAP line for a check that cannot run here, and why. */
void scen_skip(const char *what, const char *why);
/* Print the plan; the exit status: 0 if every check passed, else 1. */
int scen_end(void);

/* In a worker: say what broke, on stdout, and exit 1. */
void scen_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* In a worker: die unless @ret is 0 (a liblockdev return value). */
void scen_ok(int ret, const char *what);

/* Zeroed memory that the processes forked afterwards share. */
void *scen_shared(size_t size);
/* Fork a worker that runs @fn(@id, @arg) and exits 0 when it returns. */
pid_t scen_spawn(void (*fn)(int id, void *arg), int id, void *arg);
/* Wait for @n workers; how many did not exit 0 (each is said). */
int scen_reap(const pid_t *pids, int n);

/* A session in lockspace @space (created with mode 0600), or die. */
struct lockdev *scen_open(const char *space);

/*
 * Create @space as a persistent lockspace (lockdev_space_create(3)) with
 * @mode, @uid and @gid, after removing one a run before left, or die.
 */
void scen_space_create(const char *space, unsigned int mode, uid_t uid,
		       gid_t gid);

/* A lockspace's line of /proc/lockdev/spaces, as the caller reads it. */
struct scen_space {
	unsigned int uid, gid, mode;
	int sessions, locks, idle;
	char state[16];
};

/* Find @space in /proc/lockdev/spaces; false if it is not there. */
bool scen_space(const char *space, struct scen_space *sp);

/* A worker's random numbers: seed once, then 0 <= scen_rand() % n. */
void scen_seed(unsigned int id);
unsigned int scen_rand(void);

/* Atomically raise *@max to @v if it is larger. */
void scen_max(uint64_t *max, uint64_t v);

/* True if @name (a lockdev byte string of @len) is the string @s. */
bool scen_is(const uint8_t *name, uint32_t len, const char *s);

#endif /* LOCKDEV_SCENARIOS_SCEN_H */
