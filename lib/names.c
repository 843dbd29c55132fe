// SPDX-License-Identifier: LGPL-2.1-or-later
/* The names of modes and states, as /proc/lockdev/locks prints them. */
#include "internal.h"

LOCKDEV_API const char *lockdev_mode_name(unsigned int mode)
{
	switch (mode) {
	case LOCKDEV_MODE_SHARED:
		return "shared";
	case LOCKDEV_MODE_APPEND:
		return "append";
	case LOCKDEV_MODE_EXCLUSIVE:
		return "exclusive";
	case LOCKDEV_MODE_NONE:
		return "none";
	}
	return NULL;
}

LOCKDEV_API const char *lockdev_state_name(unsigned int state)
{
	switch (state) {
	case LOCKDEV_STATE_HELD:
		return "held";
	case LOCKDEV_STATE_WAITING:
		return "waiting";
	case LOCKDEV_STATE_CONVERTING:
		return "converting";
	case LOCKDEV_STATE_IDLE:
		return "idle";
	}
	return NULL;
}
