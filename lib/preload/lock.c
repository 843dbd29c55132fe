// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One lock call of any kind: lockdev first, then the kernel; released in
 * the other order (preload.h says why).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

static const char *const pl_kind_name[] = {
	[PL_FLOCK] = "flock",
	[PL_OFD] = "ofd",
	[PL_POSIX] = "posix",
};

static const char *pl_mode_name(unsigned int mode)
{
	switch (mode) {
	case LOCKDEV_MODE_SHARED:
		return "shared";
	case LOCKDEV_MODE_EXCLUSIVE:
		return "exclusive";
	default:
		return "unlock";
	}
}

/* Record what @fd holds now; a signal handler inside the table cannot. */
static void pl_record(const struct pl_call *c, const struct pl_file *f,
		      int sfd, unsigned int mode)
{
	if (!pl_table_lock())
		return;
	pl_table_set(c->kind, c->fd, f, sfd, mode);
	pl_table_unlock();
}

static int pl_fail(int err)
{
	errno = err;
	return -1;
}

/* The kernel's lock, after lockdev granted: say so if it has to wait. */
static int pl_kernel_lock(const struct pl_call *c, const struct pl_file *f)
{
	int ret = c->real(c, c->mode, true);

	if (!ret || c->nonblock ||
	    (errno != EAGAIN && errno != EACCES))
		return ret;
	pl_log(PL_LOG_PROBLEMS,
	       "%s fd %d waits for the kernel's lock of %.*s: held by a process without lockdev",
	       pl_kind_name[c->kind], c->fd, (int)f->name_len, f->name);
	return c->real(c, c->mode, false);
}

static int pl_release(const struct pl_call *c, const struct pl_file *f,
		      const struct pl_slot *slot)
{
	int ret = c->real(c, 0, c->nonblock);
	int saved = errno;

	if (slot->held) {
		pl_ld_unlock(slot->sfd, f);
		pl_record(c, f, slot->sfd, 0);
	}
	errno = saved;
	return ret;
}

/* A downgrade: the kernel's lock first, then lockdev's, which is at once. */
static int pl_downgrade(const struct pl_call *c, const struct pl_file *f,
			const struct pl_slot *slot)
{
	int ret = c->real(c, c->mode, c->nonblock);
	int saved = errno;

	if (ret)
		return ret;
	ret = pl_ld_convert(slot->sfd, f, c->mode, false);
	pl_record(c, f, slot->sfd, ret ? slot->held : c->mode);
	errno = saved;
	return 0;
}

static int pl_acquire(const struct pl_call *c, struct pl_file *f,
		      struct pl_slot *slot)
{
	int ret, err;

	if (slot->held && c->kind == PL_FLOCK) {
		/*
		 * flock() lets the old lock go before it waits for the new,
		 * which goes where a new lock would: the old one's session
		 * may be one shared since a fork, and gone with it.
		 */
		c->real(c, 0, false);
		pl_ld_unlock(slot->sfd, f);
		if (!pl_table_lock())
			return c->real(c, c->mode, c->nonblock);
		pl_table_set(c->kind, c->fd, f, slot->sfd, 0);
		ret = pl_table_slot(c->kind, c->fd, f, true, slot);
		pl_table_unlock();
		if (ret || slot->kernel_only)
			return c->real(c, c->mode, c->nonblock);
	}
	if (slot->held)
		ret = pl_ld_convert(slot->sfd, f, c->mode, c->nonblock);
	else
		ret = pl_ld_lock(slot->sfd, f, c->mode, c->nonblock);
	switch (ret) {
	case 0:
		break;
	case -EAGAIN:
	case -EINTR:
		return pl_fail(-ret);
	case -EDEADLK:
		pl_log(PL_LOG_PROBLEMS, "%s fd %d %s %.*s: deadlock",
		       pl_kind_name[c->kind], c->fd, pl_mode_name(c->mode),
		       (int)f->name_len, f->name);
		return pl_fail(EDEADLK);
	default:
		pl_log(PL_LOG_PROBLEMS, "%s fd %d %.*s: lockdev: %s; the kernel's lock alone",
		       pl_kind_name[c->kind], c->fd, (int)f->name_len, f->name,
		       strerror(-ret));
		return c->real(c, c->mode, c->nonblock);
	}
	ret = pl_kernel_lock(c, f);
	if (ret) {
		err = errno;
		if (slot->held)
			pl_ld_convert(slot->sfd, f, slot->held, false);
		else
			pl_ld_unlock(slot->sfd, f);
		return pl_fail(err);
	}
	pl_record(c, f, slot->sfd, c->mode);
	return 0;
}

int pl_call(const struct pl_call *c)
{
	struct pl_slot slot;
	struct pl_file f;
	int ret, mapped;

	if (!pl_table_lock())
		return c->real(c, c->mode, c->nonblock);
	mapped = pl_file_of(c->fd, c->kind, &f);
	ret = mapped < 0 ? -ENOENT :
	      pl_table_slot(c->kind, c->fd, &f, mapped, &slot);
	pl_table_unlock();
	if (ret || slot.kernel_only)
		return c->real(c, c->mode, c->nonblock);
	pl_log(PL_LOG_CALLS, "%s fd %d %s%s %.*s", pl_kind_name[c->kind],
	       c->fd, pl_mode_name(c->mode), c->nonblock ? " nonblock" : "",
	       (int)f.name_len, f.name);
	if (!c->mode)
		return pl_release(c, &f, &slot);
	if (slot.held == c->mode)
		return c->real(c, c->mode, c->nonblock);
	if (slot.held > c->mode && c->kind != PL_FLOCK)
		return pl_downgrade(c, &f, &slot);
	return pl_acquire(c, &f, &slot);
}

bool pl_getlk(enum pl_kind kind, int fd, unsigned int mode,
	      unsigned int *holder_mode, pid_t *pid)
{
	struct pl_slot slot;
	struct pl_file f;
	int ret, mapped;

	if (!pl_table_lock())
		return false;
	mapped = pl_file_of(fd, kind, &f);
	ret = mapped < 0 ? -ENOENT :
	      pl_table_slot(PL_POSIX, fd, &f, mapped, &slot);
	pl_table_unlock();
	if (ret || slot.sfd < 0)
		return false;
	ret = pl_ld_holder(slot.sfd, &f, mode, holder_mode);
	if (ret <= 0)
		return false;
	*pid = ret;
	return true;
}
