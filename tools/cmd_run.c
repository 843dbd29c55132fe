// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev run: util-linux flock(1) over a named lock, with its options and
 * exit codes, plus APPEND, a level, a lockspace, and owner-died: said on
 * standard error and in $LOCKDEV_OWNER_DIED, an exit code for it on
 * request, and --consistent to clear it when the command succeeds.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <paths.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct run_opts {
	unsigned int mode;
	unsigned int level;
	bool unlock;
	bool nonblock;
	bool timed;
	uint64_t timeout_ns;
	int conflict;
	int owner_died;		/* --owner-died-exit-code, or -1 */
	bool consistent;
	bool close;
	bool nofork;
	bool verbose;
	const char *space;
	unsigned int space_mode;
	bool no_create;
	int fd;
	const char *command;
};

static void run_usage(void)
{
	printf("usage: %1$s [run] [options] NAME command [args...]\n"
	       "       %1$s [run] [options] NAME -c command\n"
	       "       %1$s [run] [options] --fd N NAME\n"
	       "\nRun a command while holding the lock NAME, as flock(1) does with a file.\n"
	       "\noptions:\n"
	       "  -s, --shared              take it SHARED (a reader)\n"
	       "  -a, --append              take it APPEND (an appender)\n"
	       "  -x, -e, --exclusive       take it EXCLUSIVE (the default)\n"
	       "  -u, --unlock              release NAME instead (with --fd)\n"
	       "  -n, --nb, --nonblock      fail rather than wait\n"
	       "  -w, --timeout, --wait SECS  wait at most SECS (fractions allowed)\n"
	       "  -E, --conflict-exit-code N  exit code on a conflict or timeout (1)\n"
	       "      --owner-died-exit-code N  exit N, without running the command,\n"
	       "                            if the lock's last holder died holding it\n"
	       "      --consistent          mark the lock consistent (owner-died no\n"
	       "                            more) if the command exits with 0\n"
	       "  -o, --close               the command does not inherit the session\n"
	       "  -F, --no-fork             execute the command in place of lockdev\n"
	       "  -c, --command COMMAND     run COMMAND with $SHELL -c\n"
	       "  -l, --level LEVEL         the lock's level in the order (0)\n"
	       "  -S, --lockspace NAME      lock in the named lockspace\n"
	       "      --no-create           the lockspace must exist already\n"
	       "      --lockspace-mode MODE its permission bits if created (0600)\n"
	       "      --fd N                lock in the session open on fd N\n"
	       "      --verbose             say how long getting the lock took\n"
	       "  -h, --help                show this help\n", cli_prog);
}

enum { OPT_VERBOSE = 256, OPT_SPACE_MODE, OPT_FD, OPT_NO_CREATE,
	OPT_CONSISTENT, OPT_OWNER_DIED };

static const struct option run_options[] = {
	{ "shared", no_argument, NULL, 's' },
	{ "append", no_argument, NULL, 'a' },
	{ "exclusive", no_argument, NULL, 'x' },
	{ "unlock", no_argument, NULL, 'u' },
	{ "nonblock", no_argument, NULL, 'n' },
	{ "nonblocking", no_argument, NULL, 'n' },
	{ "nb", no_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 'w' },
	{ "wait", required_argument, NULL, 'w' },
	{ "conflict-exit-code", required_argument, NULL, 'E' },
	{ "owner-died-exit-code", required_argument, NULL, OPT_OWNER_DIED },
	{ "consistent", no_argument, NULL, OPT_CONSISTENT },
	{ "close", no_argument, NULL, 'o' },
	{ "no-fork", no_argument, NULL, 'F' },
	{ "command", required_argument, NULL, 'c' },
	{ "level", required_argument, NULL, 'l' },
	{ "lockspace", required_argument, NULL, 'S' },
	{ "no-create", no_argument, NULL, OPT_NO_CREATE },
	{ "lockspace-mode", required_argument, NULL, OPT_SPACE_MODE },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* An option with a value; 0 or an exit code. */
static int run_value(struct run_opts *o, int c, const char *arg)
{
	unsigned long v = 0;
	int ret = 0;

	switch (c) {
	case 'w':
		if (parse_seconds(arg, 1e9, &o->timeout_ns))
			return cli_usage_err("--timeout: %s is not a number of seconds",
					     msg_str(arg));
		o->timed = true;
		break;
	case 'E':
		ret = parse_uint_opt("--conflict-exit-code", arg, 0, 255, &v);
		o->conflict = v;
		break;
	case OPT_OWNER_DIED:
		ret = parse_uint_opt("--owner-died-exit-code", arg, 0, 255, &v);
		o->owner_died = v;
		break;
	case 'l':
		ret = parse_uint_opt("--level", arg, 0, UINT32_MAX, &v);
		o->level = v;
		break;
	case OPT_SPACE_MODE:
		if (parse_uint(arg, 0777, 8, &v))
			return cli_usage_err("--lockspace-mode: %s is not octal permission bits (0 to 0777)",
					     msg_str(arg));
		o->space_mode = v;
		break;
	case OPT_FD:
		ret = parse_uint_opt("--fd", arg, 0, INT32_MAX, &v);
		o->fd = v;
		break;
	}
	return ret;
}

/* A mode option, or the unlock. */
static void run_mode(struct run_opts *o, int c)
{
	o->unlock = c == 'u';
	if (c == 's')
		o->mode = LOCKDEV_MODE_SHARED;
	else if (c == 'a')
		o->mode = LOCKDEV_MODE_APPEND;
	else if (c == 'x' || c == 'e')
		o->mode = LOCKDEV_MODE_EXCLUSIVE;
}

static int run_check(struct run_opts *o)
{
	/* -w 0 is -n, as in flock(1). */
	if (o->timed && !o->timeout_ns) {
		o->timed = false;
		o->nonblock = true;
	}
	if (o->nofork && o->close)
		return cli_usage_err("the --no-fork and --close options are incompatible");
	if (o->consistent && o->mode != LOCKDEV_MODE_EXCLUSIVE)
		return cli_usage_err("--consistent needs the lock EXCLUSIVE");
	if (o->consistent && o->nofork)
		return cli_usage_err("--consistent needs lockdev to wait for the command: not with --no-fork");
	if (o->no_create && !o->space)
		return cli_usage_err("--no-create goes with --lockspace");
	return 0;
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->mode = LOCKDEV_MODE_EXCLUSIVE;
	o->conflict = EXIT_CONFLICT;
	o->owner_died = -1;
	o->space_mode = 0600;
	o->fd = -1;
	optind = 1;
	while (!ret && (c = getopt_long(argc, argv, "+saxeunw:E:oFc:l:S:h",
					run_options, NULL)) != -1) {
		switch (c) {
		case 's': case 'a': case 'x': case 'e': case 'u':
			run_mode(o, c);
			break;
		case 'n': o->nonblock = true; break;
		case 'o': o->close = true; break;
		case 'F': o->nofork = true; break;
		case 'c': o->command = optarg; break;
		case 'S': o->space = optarg; break;
		case OPT_VERBOSE: o->verbose = true; break;
		case OPT_NO_CREATE: o->no_create = true; break;
		case OPT_CONSISTENT: o->consistent = true; break;
		case 'h':
			run_usage();
			exit(0);
		case '?':
			return cli_bad_option();
		default:
			ret = run_value(o, c, optarg);
			break;
		}
	}
	return ret ?: run_check(o);
}

/* A lock or lockspace name the module would refuse; 0 or EXIT_REFUSED. */
static int check_name(const char *what, const char *name)
{
	size_t n = strlen(name);

	if (!n) {
		cli_err("the %s name is empty", what);
		return EXIT_REFUSED;
	}
	if (n > LOCKDEV_NAME_MAX) {
		cli_err("%s name %s is %zu bytes long: at most %d", what,
			msg_name(name, n), n, LOCKDEV_NAME_MAX);
		return EXIT_REFUSED;
	}
	return 0;
}

static int run_open(const struct run_opts *o, struct lockdev **ld)
{
	int ret;

	if (o->fd >= 0) {
		ret = lockdev_open_fd(ld, o->fd, 0);
		if (ret == -EBADF || ret == -ENOTTY || ret == -EINVAL) {
			cli_err("fd %d is not an open lockdev session", o->fd);
			return EXIT_USAGE;
		}
		return ret ? cli_open_failure(ret) : 0;
	}
	if (!o->space) {
		ret = lockdev_open(ld, 0);
		return ret ? cli_open_failure(ret) : 0;
	}
	ret = check_name("lockspace", o->space);
	if (ret)
		return ret;
	ret = lockdev_open_space(ld, o->space, o->space_mode,
				 o->no_create ? LOCKDEV_OPEN_NOCREATE : 0);
	if (ret == -ENOENT && o->no_create &&
	    !access(LOCKDEV_DEVICE_PATH, F_OK)) {
		cli_err("lockspace %s does not exist (--no-create)",
			msg_str(o->space));
		return EXIT_NO_SPACE;
	}
	if (ret == -EACCES) {
		cli_err("lockspace %s: permission denied", msg_str(o->space));
		return EXIT_PERMISSION;
	}
	if (ret == -EDQUOT || ret == -ENAMETOOLONG || ret == -EINVAL) {
		cli_err("lockspace %s: %s", msg_str(o->space),
			lockdev_strerror(ret, 0));
		return EXIT_REFUSED;
	}
	return ret ? cli_open_failure(ret) : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * --fd on a session that holds @name already: as flock(2) on the same
 * descriptor (flock(1)'s third form), convert the hold to the mode asked,
 * a downgrade at once, an upgrade waiting as -n and -w say.
 */
static int run_convert(const struct run_opts *o, struct lockdev *ld,
		       const char *name, struct lockdev_grant *g)
{
	struct lockdev_held *held = NULL, *more;
	size_t len = strlen(name);
	int cap = 64, n, i, ret = -ENOLCK;

	for (;;) {
		more = realloc(held, (size_t)cap * sizeof(*held));
		if (!more) {
			free(held);
			return -ENOMEM;
		}
		held = more;
		n = lockdev_list(ld, held, cap);
		if (n <= cap || cap >= LOCKDEV_ENTRIES_MAX)
			break;
		cap = n < LOCKDEV_ENTRIES_MAX ? n : LOCKDEV_ENTRIES_MAX;
	}
	/* LIST fills LOCKDEV_ENTRIES_MAX entries at most. */
	for (i = 0; i < n && i < cap; i++) {
		if (held[i].name_len != len || memcmp(held[i].name, name, len))
			continue;
		ret = lockdev_convert(ld, held[i].handle, o->mode,
				      o->nonblock ? 0 : o->timed ?
				      o->timeout_ns : LOCKDEV_FOREVER,
				      LOCKDEV_RESTART, g);
		break;
	}
	free(held);
	return n < 0 ? n : ret;
}

static int run_request(const struct run_opts *o, struct lockdev *ld,
		       const char *name, struct lockdev_grant *g)
{
	int ret;

	if (o->unlock) {
		ret = lockdev_unlock_name(ld, name);
		/* As flock(LOCK_UN): releasing a lock not held succeeds. */
		return ret == -ENOLCK ? 0 : ret;
	}
	if (o->nonblock)
		ret = lockdev_trylock(ld, name, o->mode, o->level, g);
	else if (o->timed)
		ret = lockdev_timedlock(ld, name, o->mode, o->level,
					o->timeout_ns, LOCKDEV_RESTART, g);
	else
		ret = lockdev_lock(ld, name, o->mode, o->level,
				   LOCKDEV_RESTART, g);
	if (ret == -EALREADY && o->fd >= 0)
		ret = run_convert(o, ld, name, g);
	return ret;
}

static int run_lock(const struct run_opts *o, struct lockdev *ld,
		    const char *name, struct lockdev_grant *g)
{
	uint64_t start = now_ns();
	int ret;

	memset(g, 0, sizeof(*g));
	ret = run_request(o, ld, name, g);
	if (ret == -EAGAIN || ret == -ETIMEDOUT) {
		if (o->verbose)
			cli_err("%s", ret == -EAGAIN ? "failed to get lock" :
				"timeout while waiting to get lock");
		return o->conflict;
	}
	if (ret) {
		cli_err("%s: %s", msg_str(name), lockdev_strerror(ret, g->result));
		if (ret == -EACCES || ret == -EPERM)
			return EXIT_PERMISSION;
		return ret == -ENOMEM ? EXIT_SYSTEM : EXIT_REFUSED;
	}
	if (o->verbose) {
		start = now_ns() - start;
		printf("%s: getting lock took %llu.%06llu seconds\n", cli_prog,
		       (unsigned long long)(start / 1000000000ULL),
		       (unsigned long long)(start % 1000000000ULL / 1000));
		fflush(stdout);
	}
	if (g->result & LOCKDEV_RESULT_OWNER_DIED)
		cli_err("%s: %s (owner-died)", msg_str(name),
			lockdev_strerror(0, g->result));
	return 0;
}

/* Execute @cmd; on failure, the shell's exit codes: 127 not found, 126. */
static void __attribute__((noreturn)) run_exec(char **cmd)
{
	int err;

	execvp(cmd[0], cmd);
	err = errno;
	cli_err("failed to execute %s: %s", msg_str(cmd[0]), strerror(err));
	if (err == ENOMEM)
		_exit(EXIT_SYSTEM);
	_exit(err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND :
	      EXIT_CANNOT_EXECUTE);
}

/*
 * Run @cmd under the lock; *@killed says whether a signal ended it, which
 * leaves the lock to the session's close: owner-died, as for any holder
 * that dies without unlocking.
 */
static int run_command(const struct run_opts *o, struct lockdev *ld,
		       char **cmd, bool *killed)
{
	int fd = lockdev_fd(ld), status;
	pid_t pid, w;

	/* Unless -o, the command holds the session too, as it holds flock's file. */
	if (!o->close && fcntl(fd, F_SETFD, 0) < 0) {
		cli_err("%s", strerror(errno));
		return EXIT_SYSTEM;
	}
	signal(SIGCHLD, SIG_DFL);
	if (o->verbose) {
		printf("%s: executing %s\n", cli_prog, cmd[0]);
		fflush(stdout);
	}
	if (o->nofork)
		run_exec(cmd);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cli_err("fork failed: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	if (!pid) {
		if (o->close)
			close(fd);
		run_exec(cmd);
	}
	do {
		w = waitpid(pid, &status, 0);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		cli_err("waitpid failed: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	*killed = true;
	return 128 + WTERMSIG(status);
}

/* The command: the words after the name, or $SHELL -c with -c. */
static int run_words(struct run_opts *o, int argc, char **argv,
		     char **sh_argv, char ***cmdp)
{
	if (optind < argc && (!strcmp(argv[optind], "-c") ||
			      !strcmp(argv[optind], "--command"))) {
		if (argc != optind + 2 || o->command)
			return cli_usage_err("%s takes exactly one command argument, the last",
					     argv[optind]);
		o->command = argv[optind + 1];
		optind = argc;
	} else if (optind < argc && !strcmp(argv[optind], "--")) {
		optind++;
	} else if (optind < argc && argv[optind][0] == '-') {
		return cli_usage_err("%s after the lock name: options go before it",
				     msg_str(argv[optind]));
	}
	*cmdp = optind < argc ? &argv[optind] : NULL;
	if (o->command) {
		if (optind < argc)
			return cli_usage_err("-c takes one command, not arguments after the name");
		sh_argv[0] = getenv("SHELL");
		if (!sh_argv[0] || !*sh_argv[0])
			sh_argv[0] = _PATH_BSHELL;
		sh_argv[1] = "-c";
		sh_argv[2] = (char *)o->command;
		sh_argv[3] = NULL;
		*cmdp = sh_argv;
	}
	if (!*cmdp && o->fd < 0)
		return cli_usage_err("requires a command, or --fd with the session to lock in");
	if (*cmdp && o->fd >= 0)
		return cli_usage_err("--fd takes no command: the lock stays with that session");
	if (!*cmdp && o->consistent)
		return cli_usage_err("--consistent needs a command");
	return 0;
}

/* Hold the lock over @cmd (if any); the exit code. */
static int run_locked(const struct run_opts *o, struct lockdev *ld,
		      const char *name, char **cmd)
{
	struct lockdev_grant g;
	bool killed = false, died;
	int ret;

	ret = run_lock(o, ld, name, &g);
	if (ret)
		return ret;
	/* -u: released; the command, if any, runs without it, as flock's. */
	if (o->unlock)
		return cmd ? run_command(o, ld, cmd, &killed) : 0;
	died = g.result & LOCKDEV_RESULT_OWNER_DIED;
	if (died && o->owner_died >= 0) {
		if (cmd)
			lockdev_unlock(ld, g.handle);
		return o->owner_died;
	}
	if (!cmd)
		return 0;
	if (died)
		setenv("LOCKDEV_OWNER_DIED", "1", 1);
	else
		unsetenv("LOCKDEV_OWNER_DIED");
	ret = run_command(o, ld, cmd, &killed);
	/* A command that ended by itself ends its holding. */
	if (killed)
		return ret;
	if (died && o->consistent && !ret && lockdev_consistent(ld, g.handle)) {
		cli_err("%s: could not mark it consistent", msg_str(name));
		ret = EXIT_SYSTEM;
	}
	lockdev_unlock(ld, g.handle);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	char *sh_argv[4], **cmd = NULL;
	struct run_opts o;
	struct lockdev *ld;
	const char *name;
	int ret;

	ret = run_parse(argc, argv, &o);
	if (ret)
		return ret;
	if (optind >= argc)
		return cli_usage_err("requires a lock name");
	name = argv[optind++];
	ret = run_words(&o, argc, argv, sh_argv, &cmd);
	if (ret)
		return ret;
	ret = check_name("lock", name);
	if (ret)
		return ret;
	ret = run_open(&o, &ld);
	if (ret)
		return ret;
	ret = run_locked(&o, ld, name, cmd);
	lockdev_close(ld);
	return ret;
}
