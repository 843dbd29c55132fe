// SPDX-License-Identifier: LGPL-2.1-or-later
/* What an error of a lock call means, in lockdev's words. */
#include <errno.h>
#include <string.h>

#include "internal.h"

LOCKDEV_API const char *lockdev_strerror(int err, unsigned int result)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		if (result & LOCKDEV_RESULT_OWNER_DIED)
			return "granted, but its last holder died without unlocking it";
		if (result & LOCKDEV_RESULT_ORDER)
			return "granted, but the request breaks the lock order";
		if (result & LOCKDEV_RESULT_QUEUED)
			return "queued";
		if (result & LOCKDEV_RESULT_VALUE_INVALID)
			return "granted, but the lock's value is not valid";
		return "success";
	case EDEADLK:
		if (result & LOCKDEV_RESULT_ORDER)
			return "lock order violation: the request breaks the session's lock order";
		if (result & LOCKDEV_RESULT_CYCLE)
			return "deadlock: waiting would close a cycle of sessions waiting for each other";
		return "deadlock or lock order violation";
	case EAGAIN:
		return "the lock is held or awaited in a conflicting mode";
	case ETIMEDOUT:
		return "timed out waiting for the lock";
	case EALREADY:
		return "the session already holds or awaits this lock";
	case ENOLCK:
		return "the session does not hold this lock";
	case EOWNERDEAD:
		return "the lock's last holder died without unlocking it";
	case ECANCELED:
		return "the request was cancelled";
	case EBUSY:
		return "the session is busy: attached already, or an upgrade is pending";
	case ENOSPC:
		return "the lockspace's lock limit is reached";
	case EDQUOT:
		return "the user's limit of locks, waiters, sessions or lockspaces is reached";
	case ENAMETOOLONG:
		return "the name is longer than 255 bytes";
	case EIDRM:
		return "the session's lockspace was removed";
	case ENOTTY:
		return "the module does not implement this call";
	case ENOENT:
		return "lockdev module not loaded (no /dev/lockdev), or no such lockspace or queued request";
	case ENODEV:
	case ENXIO:
		return "lockdev module not loaded (/dev/lockdev has no driver)";
	default:
		return strerror(err);
	}
}
