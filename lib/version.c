// SPDX-License-Identifier: LGPL-2.1-or-later
/* The module's version and features. */
#include <string.h>

#include "internal.h"

LOCKDEV_API int lockdev_get_version(struct lockdev *ld,
				    struct lockdev_version *version)
{
	struct lockdev_version v;
	int ret;

	memset(&v, 0, sizeof(v));
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_VERSION, &v);
	if (ret)
		return ret;
	*version = v;
	return 0;
}
