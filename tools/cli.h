/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lockdev program's own parts, shared by its files: messages and exit
 * codes (msg.c), option values (parse.c), names as messages, tables and
 * JSON show them (escape.c, json.c), the /proc/lockdev tables (proc_table.c),
 * column output (table.c), and one function per subcommand (cmd_*.c).
 */
#ifndef LOCKDEV_TOOLS_CLI_H
#define LOCKDEV_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sysexits.h>

#include "lockdev.h"

#define PROC_DIR		"/proc/lockdev"

/*
 * Exit codes (lockdev(1), EXIT STATUS). flock(1)'s where it has one: the
 * conflict code (1, -E), usage (64), a file that cannot be opened (66, here
 * a lockspace that --no-create finds missing); the shell's for a command
 * that cannot be run (126, 127).
 */
#define EXIT_CONFLICT		1
#define EXIT_USAGE		EX_USAGE	/* 64 */
#define EXIT_REFUSED		EX_DATAERR	/* 65 */
#define EXIT_NO_SPACE		EX_NOINPUT	/* 66 */
#define EXIT_NOT_LOADED		EX_UNAVAILABLE	/* 69 */
#define EXIT_NOT_AVAILABLE	EX_SOFTWARE	/* 70 */
#define EXIT_SYSTEM		EX_OSERR	/* 71 */
#define EXIT_NO_DEVICE		EX_OSFILE	/* 72 */
#define EXIT_PERMISSION		EX_NOPERM	/* 77 */
#define EXIT_CANNOT_EXECUTE	126
#define EXIT_NOT_FOUND		127

/* Bytes of a name a message shows before "...". */
#define MSG_NAME_MAX		64

/* msg.c */
extern const char *cli_prog;
extern const char *cli_cmd;
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_bad_option(void);
int cli_open_failure(int err);
int cli_proc_failure(const char *path, int err);
int cli_no_memory(void);

/* parse.c */
int parse_uint(const char *s, unsigned long max, int base, unsigned long *out);
int parse_seconds(const char *s, double max, uint64_t *ns);
int parse_uint_opt(const char *opt, const char *arg, unsigned long min,
		   unsigned long max, unsigned long *out);

/* escape.c */
const char *msg_name(const char *buf, size_t n);
const char *msg_str(const char *s);
size_t proc_unescape(const char *s, char *out, size_t cap);
bool proc_field_is(const char *field, const char *want);
char *proc_escape(char *out, const char *buf, size_t n);
bool utf8_valid(const char *buf, size_t n);
const char *mode_str(uint32_t mode);
const char *fmt_age(unsigned long long ms, char *buf, size_t len);

/*
 * json.c: JSON values. A name is "KEY": its bytes as a string, and only if
 * they are not UTF-8, "KEY_hex": every byte in hex as well (lockdev(1)).
 */
void json_str(FILE *f, const char *buf, size_t n);
void json_name(FILE *f, const char *key, const char *buf, size_t n);
void json_proc_name(FILE *f, const char *key, const char *field);
void json_proc_value(FILE *f, const char *key, const char *field,
		     bool is_name);

/* proc_table.c: the /proc/lockdev tables */
#define MAX_FIELDS	16
struct fields {
	char *f[MAX_FIELDS];
	int n;
};

void proc_split(char *line, struct fields *fs);
int proc_table_read(const char *file, char ***linesp, size_t *np);
void proc_lines_free(char **lines, size_t n);
int proc_table_json(const char *file, bool (*keep)(const struct fields *fs,
						  void *arg), void *arg);

/*
 * cmd_space.c: what lockdev space and lockdev space load ask of one
 * lockspace; LOCKDEV_SPACE_KEEP (mode, ids) or 0 (order) for what they
 * leave. Levels of 0 remove a declaration.
 */
struct space_level {
	char prefix[LOCKDEV_NAME_MAX + 1];
	unsigned int level;
};

struct space_args {
	unsigned int mode;
	uid_t uid;
	gid_t gid;
	unsigned int flags;
	unsigned int order;
	unsigned int nr_levels;
	struct space_level levels[LOCKDEV_SPACE_LEVELS_MAX];
	const char *cluster;	/* create: a cluster lockspace's cluster */
};

void space_args_init(struct space_args *a);
int space_parse_id(const char *what, const char *arg, bool group,
		   unsigned int *id, char *err, size_t errlen);
int space_parse_order(const char *arg, unsigned int *order);
int space_parse_level(const char *arg, struct space_args *a, char *err,
		      size_t errlen);
int space_apply(const char *where, const char *verb, const char *name,
		const struct space_args *a);
int cmd_space_load(const char *file);

/* The subcommands. */
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_spaces(int argc, char **argv);
int cmd_space(int argc, char **argv);
int cmd_order(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_deadlocks(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

#endif /* LOCKDEV_TOOLS_CLI_H */
