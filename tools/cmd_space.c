// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev space: create, change and remove the lockspaces an administrator
 * prepares (lockdev_space_create(3)),
 *
 *   lockdev space create NAME [--mode MODE] [--owner USER] [--group GROUP]
 *   lockdev space set NAME [--mode ...] [--persistent | --transient]
 *   lockdev space remove NAME [--force]
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "cli.h"

/* What the options asked; LOCKDEV_SPACE_KEEP for what they left. */
struct space_args {
	unsigned int mode;
	uid_t uid;
	gid_t gid;
	unsigned int flags;
};

static void space_usage(void)
{
	printf("usage: %1$s space create NAME [--mode MODE] [--owner USER] [--group GROUP]\n"
	       "       %1$s space set NAME [--mode MODE] [--owner USER] [--group GROUP]\n"
	       "                          [--persistent | --transient]\n"
	       "       %1$s space remove NAME [--force]\n"
	       "\nCreate a persistent lockspace, change one, or remove one.\n"
	       "\noptions:\n"
	       "  -m, --mode MODE     permission bits, octal (create: 0600)\n"
	       "  -u, --owner USER    owner, a user name or uid (create: you)\n"
	       "  -g, --group GROUP   group, a group name or gid (create: yours)\n"
	       "  -p, --persistent    (set) make it persistent\n"
	       "  -t, --transient     (set) no longer persistent\n"
	       "  -f, --force         (remove) even while sessions are attached\n"
	       "  -h, --help          show this help\n", cli_prog);
}

/* A user or group by name or number into *@id; a usage error if neither. */
static int parse_id(const char *opt, const char *arg, bool group,
		    unsigned int *id)
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
	return cli_usage_err("%s: no %s %s", opt, group ? "group" : "user",
			     msg_str(arg));
}

static int space_option(int c, struct space_args *a)
{
	unsigned long v;
	unsigned int id = 0;
	int ret = 0;

	switch (c) {
	case 'm':
		if (parse_uint(optarg, 0777, 8, &v))
			return cli_usage_err("--mode: %s is not octal from 0 to 0777",
					     msg_str(optarg));
		a->mode = v;
		break;
	case 'u':
	case 'g':
		ret = parse_id(c == 'u' ? "--owner" : "--group", optarg,
			       c == 'g', &id);
		if (!ret && c == 'u')
			a->uid = id;
		else if (!ret)
			a->gid = id;
		break;
	case 'p':
		a->flags |= LOCKDEV_SPACE_PERSISTENT;
		break;
	case 't':
		a->flags |= LOCKDEV_SPACE_TRANSIENT;
		break;
	case 'f':
		a->flags |= LOCKDEV_SPACE_FORCE;
		break;
	default:
		return cli_bad_option();
	}
	return ret;
}

/* Which options each verb takes. */
static bool space_takes(const char *verb, int c)
{
	if (!strcmp(verb, "remove"))
		return c == 'f';
	if (!strcmp(verb, "create"))
		return c == 'm' || c == 'u' || c == 'g';
	return c != 'f';
}

/* The message and exit code of a failed call. */
static int space_failure(const char *verb, const char *name, int err)
{
	const char *what = msg_str(name);

	switch (err) {
	case -EEXIST:
		cli_err("%s: the lockspace exists", what);
		return EXIT_REFUSED;
	case -ENOENT:
		cli_err("%s: no such lockspace", what);
		return EXIT_NO_SPACE;
	case -EPERM:
		cli_err("%s: permission denied (%s needs %s)", what, verb,
			!strcmp(verb, "create") ? "CAP_SYS_ADMIN" :
			"to be the owner, or CAP_SYS_ADMIN");
		return EXIT_PERMISSION;
	case -EBUSY:
		cli_err("%s: sessions are attached (--force removes it anyway)",
			what);
		return EXIT_CONFLICT;
	case -ENOTTY:
		cli_err("the loaded lockdev module is too old for lockdev space");
		return EXIT_NOT_AVAILABLE;
	case -EINVAL:
	case -ENAMETOOLONG:
	case -EDQUOT:
		cli_err("%s: %s", what, lockdev_strerror(err, 0));
		return EXIT_REFUSED;
	default:
		cli_err("%s: %s", what, strerror(-err));
		return EXIT_SYSTEM;
	}
}

static int space_call(const char *verb, const char *name,
		      const struct space_args *a)
{
	struct lockdev *ld;
	int ret;

	/* The device first, so that its errors read as such. */
	ret = lockdev_open(&ld, 0);
	if (ret)
		return cli_open_failure(ret);
	lockdev_close(ld);
	if (!strcmp(verb, "create"))
		ret = lockdev_space_create(name, a->mode, a->uid, a->gid);
	else if (!strcmp(verb, "set"))
		ret = lockdev_space_set(name, a->mode, a->uid, a->gid,
					a->flags);
	else
		ret = lockdev_space_remove(name, a->flags);
	return ret ? space_failure(verb, name, ret) : 0;
}

static const char *space_opt_name(const struct option *opts, int c)
{
	for (; opts->name; opts++)
		if (opts->val == c)
			return opts->name;
	return "?";
}

int cmd_space(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "owner", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "persistent", no_argument, NULL, 'p' },
		{ "transient", no_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct space_args a = { LOCKDEV_SPACE_KEEP, LOCKDEV_SPACE_KEEP,
				LOCKDEV_SPACE_KEEP, 0 };
	const char *verb;
	int c, ret = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "-h"))) {
		space_usage();
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "create") && strcmp(argv[1], "set") &&
			 strcmp(argv[1], "remove")))
		return cli_usage_err("expected create, set or remove%s%s",
				     argc < 2 ? "" : ", not ",
				     argc < 2 ? "" : msg_str(argv[1]));
	verb = argv[1];
	argc--;
	argv++;
	while (!ret && (c = getopt_long(argc, argv, "m:u:g:ptfh", opts,
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
	if (ret)
		return ret;
	if ((a.flags & LOCKDEV_SPACE_PERSISTENT) &&
	    (a.flags & LOCKDEV_SPACE_TRANSIENT))
		return cli_usage_err("--persistent and --transient do not go together");
	if (optind == argc)
		return cli_usage_err("expected a lockspace name");
	if (optind + 1 != argc)
		return cli_usage_err("unexpected argument %s",
				     msg_str(argv[optind + 1]));
	if (!strcmp(verb, "create") && a.mode == LOCKDEV_SPACE_KEEP)
		a.mode = 0600;
	return space_call(verb, argv[optind], &a);
}
