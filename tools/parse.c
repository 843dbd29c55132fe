// SPDX-License-Identifier: GPL-2.0
/*
 * Option values: whole decimal (or octal) numbers in a range, and seconds
 * with a fraction. Nothing else is accepted: no sign, no spaces, no suffix.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "cli.h"

/* @s as a number of @base up to @max; -1 if it is not one. */
int parse_uint(const char *s, unsigned long max, int base, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	if (*end || errno || *out > max)
		return -1;
	return 0;
}

/*
 * The value of option @opt as a decimal number from @min to @max; a usage
 * error that says so (EXIT_USAGE) if it is not one.
 */
int parse_uint_opt(const char *opt, const char *arg, unsigned long min,
		   unsigned long max, unsigned long *out)
{
	if (!parse_uint(arg, max, 10, out) && *out >= min)
		return 0;
	return cli_usage_err("%s: %s is not a whole number from %lu to %lu",
			     opt, msg_str(arg), min, max);
}

/* @s as seconds (a fraction allowed) up to @max, in nanoseconds. */
int parse_seconds(const char *s, double max, uint64_t *ns)
{
	char *end;
	double d;

	if (!isdigit((unsigned char)s[0]) && s[0] != '.')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (*end || errno || !isfinite(d) || d < 0 || d > max)
		return -1;
	*ns = (uint64_t)(d * 1e9 + 0.5);
	return 0;
}
