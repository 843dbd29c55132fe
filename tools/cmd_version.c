// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev version: the program's version and the loaded module's (its
 * release, interface version, features and longest name), as text or JSON.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static const char *const feature_names[] = {
	"lock", "async", "lockspace", "owner-died", "order", "lock-set",
	"deadlock", "learned-order", "events", "resident", "space-ctl",
	"space-levels",
};

#define NR_FEATURES (sizeof(feature_names) / sizeof(feature_names[0]))

static void version_json(const struct lockdev_version *v)
{
	unsigned int i;
	bool first = true;

	printf("{\"program\": \"%s\", \"module\": \"%u.%u.%u\", \"abi\": %u, \"features\": %llu, \"feature_names\": [",
	       LOCKDEV_PACKAGE_VERSION, v->major, v->minor, v->patch,
	       v->abi_version, (unsigned long long)v->features);
	for (i = 0; i < NR_FEATURES; i++) {
		if (!(v->features & (1ULL << i)))
			continue;
		printf("%s\"%s\"", first ? "" : ", ", feature_names[i]);
		first = false;
	}
	printf("], \"name_max\": %u}\n", v->name_max);
}

int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct lockdev_version v;
	struct lockdev *ld;
	bool json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "Jh", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'h':
			printf("usage: %s version [--json]\n", cli_prog);
			return 0;
		default:
			return cli_bad_option();
		}
	}
	if (optind != argc)
		return cli_usage_err("unexpected argument %s",
				     msg_str(argv[optind]));
	ret = lockdev_open(&ld, 0);
	if (ret)
		return cli_open_failure(ret);
	ret = lockdev_get_version(ld, &v);
	lockdev_close(ld);
	if (ret) {
		cli_err("%s", strerror(-ret));
		return EXIT_SYSTEM;
	}
	if (json)
		version_json(&v);
	else
		printf("module %u.%u.%u\nabi %u\nfeatures 0x%llx\nname_max %u\nprogram %s\n",
		       v.major, v.minor, v.patch, v.abi_version,
		       (unsigned long long)v.features, v.name_max,
		       LOCKDEV_PACKAGE_VERSION);
	return 0;
}
