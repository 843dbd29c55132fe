// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev space: create, change and remove the lockspaces an administrator
 * prepares (lockdev_space_create(3)), their order mode default and their
 * declared levels (lockdev_space_level(3)),
 *
 *   lockdev space create NAME [--mode MODE] [--owner USER] [--group GROUP]
 *                        [--order MODE] [--level PREFIX=LEVEL]...
 *                        [--cluster CLUSTER]
 *   lockdev space set NAME [--mode ...] [--persistent | --transient]
 *                        [--order MODE] [--level PREFIX=LEVEL]...
 *   lockdev space level NAME PREFIX LEVEL
 *   lockdev space remove NAME [--force]
 *   lockdev space load FILE                  (cmd_space_load.c)
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void space_usage(void)
{
	printf("usage: %1$s space create NAME [--mode MODE] [--owner USER] [--group GROUP]\n"
	       "                             [--order MODE] [--level PREFIX=LEVEL]...\n"
	       "                             [--cluster CLUSTER]\n"
	       "       %1$s space set NAME [--mode MODE] [--owner USER] [--group GROUP]\n"
	       "                          [--persistent | --transient]\n"
	       "                          [--order MODE] [--level PREFIX=LEVEL]...\n"
	       "       %1$s space level NAME PREFIX LEVEL\n"
	       "       %1$s space remove NAME [--force]\n"
	       "       %1$s space load FILE\n"
	       "\nCreate a persistent lockspace, change one, declare the level of\n"
	       "a name prefix in one (LEVEL 0 removes it), remove one, or create\n"
	       "or update those a configuration file lists (lockdev(1)).\n"
	       "\noptions:\n"
	       "  -m, --mode MODE     permission bits, octal (create: 0600)\n"
	       "  -u, --owner USER    owner, a user name or uid (create: you)\n"
	       "  -g, --group GROUP   group, a group name or gid (create: yours)\n"
	       "  -o, --order MODE    order mode sessions start in: strict, warn\n"
	       "                      or off (create: strict)\n"
	       "  -l, --level PREFIX=LEVEL\n"
	       "                      names starting with PREFIX asked at level 0\n"
	       "                      get LEVEL (set: 0 removes); repeatable\n"
	       "  -c, --cluster CLUSTER\n"
	       "                      (create) a cluster lockspace, shared by the\n"
	       "                      hosts of the DLM cluster CLUSTER\n"
	       "  -p, --persistent    (set) make it persistent\n"
	       "  -t, --transient     (set) no longer persistent\n"
	       "  -f, --force         (remove) even while sessions are attached\n"
	       "  -h, --help          show this help\n", cli_prog);
}

/**
 * space_args_init() - arguments that change nothing
 * @a: the arguments
 */
void space_args_init(struct space_args *a)
{
	memset(a, 0, sizeof(*a));
	a->mode = LOCKDEV_SPACE_KEEP;
	a->uid = LOCKDEV_SPACE_KEEP;
	a->gid = LOCKDEV_SPACE_KEEP;
}

/*
 * A user or group by name or number into *@id; -1 with a message in @err
 * if it is neither.
 */
int space_parse_id(const char *what, const char *arg, bool group,
		   unsigned int *id, char *err, size_t errlen)
{
	unsigned long v;
	struct passwd *pw;
	struct group *gr;

	if (!parse_uint(arg, 0xfffffffeUL, 10, &v)) {
		*id = v;
		return 0;
	}
	if (group) {
		gr = getgrnam(arg);
		if (gr) {
			*id = gr->gr_gid;
			return 0;
		}
	} else {
		pw = getpwnam(arg);
		if (pw) {
			*id = pw->pw_uid;
			return 0;
		}
	}
	snprintf(err, errlen, "%s: no %s %s", what, group ? "group" : "user",
		 msg_str(arg));
	return -1;
}

/* strict, warn or off into *@order (LOCKDEV_ORDER_*); -1 if none. */
int space_parse_order(const char *arg, unsigned int *order)
{
	static const char *const names[] = {
		[LOCKDEV_ORDER_STRICT] = "strict",
		[LOCKDEV_ORDER_WARN] = "warn",
		[LOCKDEV_ORDER_OFF] = "off",
	};
	unsigned int i;

	for (i = LOCKDEV_ORDER_STRICT; i <= LOCKDEV_ORDER_OFF; i++) {
		if (!strcmp(arg, names[i])) {
			*order = i;
			return 0;
		}
	}
	return -1;
}

/*
 * PREFIX=LEVEL (the last '=' splits; PREFIX in the escapes /proc/lockdev
 * shows) added to @a, or replacing its earlier level; -1 with a message in
 * @err if it is not one, or one too many.
 */
int space_parse_level(const char *arg, struct space_args *a, char *err,
		      size_t errlen)
{
	const char *eq = strrchr(arg, '=');
	char raw[4 * LOCKDEV_NAME_MAX + 1], prefix[LOCKDEV_NAME_MAX + 1];
	unsigned long level;
	size_t n = 0;
	unsigned int i;

	if (eq && (size_t)(eq - arg) < sizeof(raw)) {
		memcpy(raw, arg, eq - arg);
		raw[eq - arg] = 0;
		n = proc_unescape(raw, prefix, LOCKDEV_NAME_MAX);
	}
	if (!eq || n == 0 || n == (size_t)-1 || strlen(prefix) != n ||
	    parse_uint(eq + 1, 0xffffffffUL, 10, &level)) {
		snprintf(err, errlen,
			 "level: %s is not PREFIX=LEVEL (a prefix of 1 to %d bytes, no \\000; a whole number)",
			 msg_str(arg), LOCKDEV_NAME_MAX);
		return -1;
	}
	for (i = 0; i < a->nr_levels; i++)
		if (!strcmp(a->levels[i].prefix, prefix))
			break;
	if (i == LOCKDEV_SPACE_LEVELS_MAX) {
		snprintf(err, errlen, "level: more than %d prefixes",
			 LOCKDEV_SPACE_LEVELS_MAX);
		return -1;
	}
	if (i == a->nr_levels)
		a->nr_levels++;
	memcpy(a->levels[i].prefix, prefix, n + 1);
	a->levels[i].level = level;
	return 0;
}

/* The message and exit code of a failed call; @where prefixes the message. */
static int space_failure(const char *where, const char *verb,
			 const char *name, int err)
{
	const char *what = msg_str(name);

	switch (err) {
	case -EEXIST:
		cli_err("%s%s: the lockspace exists", where, what);
		return EXIT_REFUSED;
	case -ENOENT:
		cli_err("%s%s: no such lockspace%s", where, what,
			!strcmp(verb, "level") ? ", or no such declared prefix" : "");
		return EXIT_NO_SPACE;
	case -EPERM:
		cli_err("%s%s: permission denied (%s needs %s)", where, what,
			verb, !strcmp(verb, "create") ? "CAP_SYS_ADMIN" :
			"to be the owner, or CAP_SYS_ADMIN");
		return EXIT_PERMISSION;
	case -EBUSY:
		cli_err("%s%s: sessions are attached (--force removes it anyway)",
			where, what);
		return EXIT_CONFLICT;
	case -ENOTTY:
		cli_err("the loaded lockdev module is too old for lockdev space");
		return EXIT_NOT_AVAILABLE;
	case -EOPNOTSUPP:
		cli_err("%s%s: this kernel has no DLM (CONFIG_DLM) for a cluster lockspace",
			where, what);
		return EXIT_NOT_AVAILABLE;
	case -ENOTCONN:
		cli_err("%s%s: this host is in no cluster: start corosync and dlm_controld",
			where, what);
		return EXIT_NOT_AVAILABLE;
	case -EBADR:
		cli_err("%s%s: this host's cluster has another name (corosync's totem.cluster_name)",
			where, what);
		return EXIT_REFUSED;
	case -ENOSPC:
		cli_err("%s%s: it has %d declared levels already", where, what,
			LOCKDEV_SPACE_LEVELS_MAX);
		return EXIT_REFUSED;
	case -EINVAL:
	case -ENAMETOOLONG:
	case -EDQUOT:
		cli_err("%s%s: %s", where, what, lockdev_strerror(err, 0));
		return EXIT_REFUSED;
	default:
		cli_err("%s%s: %s", where, what, strerror(-err));
		return EXIT_SYSTEM;
	}
}

/*
 * The order mode and the levels of @a, after a create or set; *@step is
 * "level" when a declaration failed.
 */
static int space_apply_rest(const char *name, const struct space_args *a,
			    const char **step)
{
	unsigned int i;
	int ret = 0;

	if (a->order)
		ret = lockdev_space_set_order(name, a->order);
	for (i = 0; !ret && i < a->nr_levels; i++) {
		ret = lockdev_space_level(name, a->levels[i].prefix,
					  a->levels[i].level);
		if (ret)
			*step = "level";
	}
	return ret;
}

/*
 * One create, set or load (create, or set if it exists) of @name as @a
 * asks. A lockspace the call created goes again if a later step fails.
 * Returns 0 or the exit code, having said why with @where first.
 */
static int space_set_all(const char *where, const char *verb,
			 const char *name, const struct space_args *a)
{
	bool load = !strcmp(verb, "load"), created = false;
	const char *step = load ? "set" : verb;
	int ret = -EEXIST;

	if (strcmp(verb, "set")) {
		unsigned int mode = a->mode == LOCKDEV_SPACE_KEEP ? 0600 :
				    a->mode;

		/*
		 * load takes over a lockspace some user opened first: it
		 * must not keep the name, nor become the prepared one's
		 * owner. A module before LOCKDEV_SPACE_REPLACE: create.
		 */
		if (load)
			ret = lockdev_space_replace(name, mode, a->uid, a->gid);
		if (a->cluster)
			ret = lockdev_space_create_cluster(name, a->cluster,
							   mode, a->uid,
							   a->gid);
		else if (!load || ret == -EINVAL)
			ret = lockdev_space_create(name, mode, a->uid, a->gid);
		created = !ret;
	}
	if (ret == -EEXIST && (load || !strcmp(verb, "set")))
		ret = lockdev_space_set(name, a->mode, a->uid, a->gid,
					load ? LOCKDEV_SPACE_PERSISTENT :
					a->flags);
	if (!ret)
		ret = space_apply_rest(name, a, &step);
	if (ret && created)
		lockdev_space_remove(name, 0);
	return ret ? space_failure(where, step, name, ret) : 0;
}

/**
 * space_apply() - do what lockdev space VERB asks of one lockspace
 * @where: what a message starts with ("" or "FILE:LINE: ")
 * @verb: create, set, remove, level or load (create or set)
 * @name: the lockspace
 * @a: the arguments
 *
 * Return: 0 or the exit code, having said why.
 */
int space_apply(const char *where, const char *verb, const char *name,
		const struct space_args *a)
{
	int ret;

	if (!strcmp(verb, "remove"))
		ret = lockdev_space_remove(name, a->flags);
	else if (!strcmp(verb, "level"))
		ret = lockdev_space_level(name, a->levels[0].prefix,
					  a->levels[0].level);
	else
		return space_set_all(where, verb, name, a);
	return ret ? space_failure(where, verb, name, ret) : 0;
}

static int space_option(int c, struct space_args *a)
{
	char err[512];
	unsigned long v;
	unsigned int id = 0;

	switch (c) {
	case 'm':
		if (parse_uint(optarg, 0777, 8, &v))
			return cli_usage_err("--mode: %s is not octal from 0 to 0777",
					     msg_str(optarg));
		a->mode = v;
		return 0;
	case 'u':
	case 'g':
		if (space_parse_id(c == 'u' ? "--owner" : "--group", optarg,
				   c == 'g', &id, err, sizeof(err)))
			return cli_usage_err("%s", err);
		if (c == 'u')
			a->uid = id;
		else
			a->gid = id;
		return 0;
	case 'o':
		if (space_parse_order(optarg, &a->order))
			return cli_usage_err("--order: %s is not strict, warn or off",
					     msg_str(optarg));
		return 0;
	case 'l':
		if (space_parse_level(optarg, a, err, sizeof(err)))
			return cli_usage_err("--%s", err);
		return 0;
	case 'p':
		a->flags |= LOCKDEV_SPACE_PERSISTENT;
		return 0;
	case 't':
		a->flags |= LOCKDEV_SPACE_TRANSIENT;
		return 0;
	case 'f':
		a->flags |= LOCKDEV_SPACE_FORCE;
		return 0;
	case 'c':
		if (!*optarg || strlen(optarg) > LOCKDEV_CLUSTER_NAME_MAX)
			return cli_usage_err("--cluster: a cluster name of 1 to %d bytes",
					     LOCKDEV_CLUSTER_NAME_MAX);
		a->cluster = optarg;
		return 0;
	default:
		return cli_bad_option();
	}
}

/* Which options each verb takes. */
static bool space_takes(const char *verb, int c)
{
	if (!strcmp(verb, "remove"))
		return c == 'f';
	if (!strcmp(verb, "create"))
		return strchr("mugolc", c);
	if (!strcmp(verb, "set"))
		return c != 'f' && c != 'c';
	return false;
}

static const char *space_opt_name(const struct option *opts, int c)
{
	for (; opts->name; opts++)
		if (opts->val == c)
			return opts->name;
	return "?";
}

/* The verb's arguments after the options: the name, and level's two. */
static int space_operands(const char *verb, int argc, char **argv,
			  struct space_args *a)
{
	bool level = !strcmp(verb, "level");
	int want = level ? 3 : 1;
	char err[512], arg[4 * LOCKDEV_NAME_MAX + 16];

	if (optind == argc)
		return cli_usage_err("expected a %s",
				     !strcmp(verb, "load") ? "file" :
				     "lockspace name");
	if (level && argc - optind != want)
		return cli_usage_err("expected NAME PREFIX LEVEL");
	if (optind + want != argc)
		return cli_usage_err("unexpected argument %s",
				     msg_str(argv[optind + want]));
	if (!level)
		return 0;
	snprintf(arg, sizeof(arg), "%s=%s", argv[optind + 1],
		 argv[optind + 2]);
	if (space_parse_level(arg, a, err, sizeof(err)))
		return cli_usage_err("%s", err);
	return 0;
}

static int space_check(const char *verb, const struct space_args *a)
{
	unsigned int i;

	if ((a->flags & LOCKDEV_SPACE_PERSISTENT) &&
	    (a->flags & LOCKDEV_SPACE_TRANSIENT))
		return cli_usage_err("--persistent and --transient do not go together");
	for (i = 0; !strcmp(verb, "create") && i < a->nr_levels; i++)
		if (!a->levels[i].level)
			return cli_usage_err("--level: %s: a new lockspace has no level to remove",
					     msg_str(a->levels[i].prefix));
	return 0;
}

static bool space_verb_known(const char *verb)
{
	static const char *const verbs[] = {
		"create", "set", "remove", "level", "load",
	};
	unsigned int i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verb, verbs[i]))
			return true;
	return false;
}

int cmd_space(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "owner", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "order", required_argument, NULL, 'o' },
		{ "level", required_argument, NULL, 'l' },
		{ "persistent", no_argument, NULL, 'p' },
		{ "transient", no_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct space_args a;
	struct lockdev *ld;
	const char *verb;
	int c, ret = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "-h"))) {
		space_usage();
		return 0;
	}
	if (argc < 2 || !space_verb_known(argv[1]))
		return cli_usage_err("expected create, set, level, remove or load%s%s",
				     argc < 2 ? "" : ", not ",
				     argc < 2 ? "" : msg_str(argv[1]));
	verb = argv[1];
	argc--;
	argv++;
	space_args_init(&a);
	while (!ret && (c = getopt_long(argc, argv, "m:u:g:o:l:ptfc:h", opts,
					NULL)) != -1) {
		if (c == 'h') {
			space_usage();
			return 0;
		}
		if (c != '?' && !space_takes(verb, c))
			return cli_usage_err("%s does not take --%s", verb,
					     space_opt_name(opts, c));
		ret = space_option(c, &a);
	}
	ret = ret ?: space_operands(verb, argc, argv, &a);
	ret = ret ?: space_check(verb, &a);
	if (ret)
		return ret;
	/* The device first, so that its errors read as such. */
	ret = lockdev_open(&ld, 0);
	if (ret)
		return cli_open_failure(ret);
	lockdev_close(ld);
	if (!strcmp(verb, "load"))
		return cmd_space_load(argv[optind]);
	return space_apply("", verb, argv[optind], &a);
}
