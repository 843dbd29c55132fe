// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of lockdev ioctls: number checks, extensible argument copies and
 * the handlers. The rules are those of the uapi header's top comment.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <uapi/linux/lockdev.h>

#include "compat.h"
#include "dev.h"
#include "grant.h"
#include "lockdev.h"
#include "report.h"
#include "request.h"
#include "session.h"
#include "space.h"
#include "table.h"

/* Largest argument struct the module accepts from any caller. */
#define LOCKDEV_ARG_MAX		4096

/*
 * A store of ld_read_user() to where a name or struct may be unaligned: no
 * memcpy(), a call, in its user access window.
 */
struct ld_u64 {
	u64 v;
} __packed;

/*
 * ld_read_user() - copy in the short struct or name of a hot call
 * @dst: where to
 * @src: the caller's memory
 * @len: how many bytes, a few hundred at most
 *
 * Loads a word at a time, the last bytes one by one, inside one user access
 * window, where copy_from_user() is a call, a string move and its checks.
 * Inline, so that a constant @len unrolls. An architecture without
 * efficient unaligned access (a name may start anywhere) takes
 * copy_from_user().
 *
 * Return: 0, or -EFAULT if a byte is not readable.
 */
static __always_inline int ld_read_user(void *dst, const void __user *src,
					size_t len)
{
	const u8 __user *s = src;
	u8 *d = dst;
	u64 w;
	u8 b;

	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS))
		return copy_from_user(dst, src, len) ? -EFAULT : 0;
	if (!user_read_access_begin(src, len))
		return -EFAULT;
	for (; len >= sizeof(w); len -= sizeof(w)) {
		unsafe_get_user(w, (const u64 __user *)s, fault);
		((struct ld_u64 *)d)->v = w;
		s += sizeof(w);
		d += sizeof(w);
	}
	for (; len; len--) {
		unsafe_get_user(b, s, fault);
		*d++ = b;
		s++;
	}
	user_read_access_end();
	return 0;
fault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * ld_write_user() - copy out the outputs of a hot call
 * @dst: the caller's memory
 * @src: from where
 * @len: how many bytes
 *
 * Stores a word at a time inside one user access window, as
 * ld_read_user() loads.
 *
 * Return: 0, or -EFAULT if a byte is not writable.
 */
static __always_inline int ld_write_user(void __user *dst, const void *src,
					 size_t len)
{
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS))
		return copy_to_user(dst, src, len) ? -EFAULT : 0;
	if (!user_write_access_begin(dst, len))
		return -EFAULT;
	unsafe_copy_to_user(dst, src, len, fault);
	user_write_access_end();
	return 0;
fault:
	user_write_access_end();
	return -EFAULT;
}

/* lockdev_arg_in_part() for a caller whose size is not this module's. */
static int lockdev_arg_in_sized(void *karg, size_t part, size_t ksize,
				size_t ver0, unsigned int cmd,
				const void __user *uarg)
{
	size_t usize = _IOC_SIZE(cmd);
	size_t n = min(usize, part);
	int ret;

	if (usize < ver0)
		return -EINVAL;
	if (usize > LOCKDEV_ARG_MAX)
		return -E2BIG;
	if (usize > ksize) {
		ret = check_zeroed_user(uarg + ksize, usize - ksize);
		if (ret <= 0)
			return ret ?: -E2BIG;
	}
	memset(karg + n, 0, ksize - n);
	return copy_from_user(karg, uarg, n) ? -EFAULT : 0;
}

/*
 * lockdev_arg_in_part() - copy in the inputs of an extensible argument
 * @karg: the kernel's copy, @ksize bytes
 * @part: how many of its first bytes to copy; the bytes from @part to
 *	@ksize are outputs, or inputs read later, and are zeroed
 * @ksize: the size of the struct this module knows
 * @ver0: the struct's first published size
 * @cmd: the ioctl number, whose size bits give the caller's size
 * @uarg: the caller's struct
 *
 * A struct's size says which fields the caller knows; its bytes past
 * @ksize, from a newer uapi, must be zero, as copy_struct_from_user() has
 * it. Bytes the caller did not pass read as zero.
 *
 * Inline, so that for a caller of this uapi (the caller's size is @ksize)
 * the copy has a size the compiler knows, and ld_read_user() unrolls it.
 *
 * Return: 0, -EINVAL for a size below @ver0, -E2BIG for a size above
 * LOCKDEV_ARG_MAX or non-zero bytes past @ksize, -EFAULT.
 */
static __always_inline int lockdev_arg_in_part(void *karg, size_t part,
					       size_t ksize, size_t ver0,
					       unsigned int cmd,
					       const void __user *uarg)
{
	if (_IOC_SIZE(cmd) != ksize)
		return lockdev_arg_in_sized(karg, part, ksize, ver0, cmd, uarg);
	memset(karg + part, 0, ksize - part);
	return ld_read_user(karg, uarg, part);
}

/* lockdev_arg_in_part() of a whole struct. */
static __always_inline int lockdev_arg_in(void *karg, size_t ksize,
					  size_t ver0, unsigned int cmd,
					  const void __user *uarg)
{
	return lockdev_arg_in_part(karg, ksize, ksize, ver0, cmd, uarg);
}

/*
 * Copy bytes @from to @end of @karg out to the same place in @uarg, if
 * there are any.
 */
static int lockdev_copy_out(void __user *uarg, const void *karg, size_t from,
			    size_t end)
{
	if (end > from && copy_to_user(uarg + from, karg + from, end - from))
		return -EFAULT;
	return 0;
}

/*
 * lockdev_fields_out() - copy out the outputs of a call
 * @cmd: the ioctl number, whose size bits give the caller's size
 * @uarg: the caller's struct
 * @karg: the kernel's copy
 * @from: the offset of the first output field
 * @to: the offset just past the last output field
 *
 * Writes bytes @from to @to of @karg to the same place in @uarg, no
 * further than the caller's size: a call writes its outputs only, never
 * its inputs back. Inline for the reason lockdev_arg_in_part() is.
 */
static __always_inline int lockdev_fields_out(unsigned int cmd,
					      void __user *uarg,
					      const void *karg, size_t from,
					      size_t to)
{
	if (_IOC_SIZE(cmd) < to)
		return lockdev_copy_out(uarg, karg, from, _IOC_SIZE(cmd));
	return ld_write_user(uarg + from, karg + from, to - from);
}

/* lockdev_fields_out() of the fields @first to @last of a struct @type. */
#define LD_FIELDS_OUT(cmd, uarg, karg, type, first, last)		\
	lockdev_fields_out(cmd, uarg, karg, offsetof(type, first),	\
			   offsetofend(type, last))

/*
 * ld_grant_out() - copy out the outputs of a grant, in one copy
 * @uarg: the caller's struct (LOCK's, CONVERT's or a lock set item)
 * @karg: the kernel's copy, @ksize bytes, whose last field is the value
 *	block
 * @from: the offset of its first output; the bytes from there to @ksize
 *	are written
 * @ksize: the size of the struct this module knows
 * @usize: the caller's size
 *
 * The value block is written whole, or not at all when @usize does not
 * hold all of it. Inline for the reason lockdev_arg_in_part() is.
 */
static __always_inline int ld_grant_out(void __user *uarg, const void *karg,
					size_t from, size_t ksize,
					size_t usize)
{
	if (usize < ksize)
		return lockdev_copy_out(uarg, karg, from,
					min(usize, ksize - LOCKDEV_VALUE_LEN));
	return ld_write_user(uarg + from, karg + from, ksize - from);
}

static int lockdev_ioc_version(unsigned int cmd, void __user *uarg)
{
	struct lockdev_version v;
	int ret;

	ret = lockdev_arg_in(&v, sizeof(v), LOCKDEV_VERSION_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	if (v.flags & ~LOCKDEV_VERSION_FLAGS_ALL)
		return -EINVAL;
	if (memchr_inv(v.reserved, 0, sizeof(v.reserved)))
		return -EINVAL;

	v.abi_version = LOCKDEV_ABI_VERSION;
	v.major = LOCKDEV_VERSION_MAJOR;
	v.minor = LOCKDEV_VERSION_MINOR;
	v.patch = LOCKDEV_VERSION_PATCH;
	v.name_max = LOCKDEV_NAME_MAX;
	v.features = LOCKDEV_FEATURE_ALL;
	return LD_FIELDS_OUT(cmd, uarg, &v, struct lockdev_version,
			     abi_version, features);
}

/* Copy in a lock or lockspace name. */
static __always_inline int ld_copy_name(u8 *buf, u64 uptr, u32 len)
{
	if (!len)
		return -EINVAL;
	if (len > LOCKDEV_NAME_MAX)
		return -ENAMETOOLONG;
	return ld_read_user(buf, u64_to_user_ptr(uptr), len);
}

/*
 * Room for the entries a request may report. With an address but no room,
 * the call still reports how many there are.
 */
static int ld_entries_alloc(struct ld_args *a, u64 uptr, u32 nr)
{
	a->entries = NULL;
	a->max_entries = 0;
	a->want_entries = uptr != 0;
	if (!uptr || !nr)
		return 0;
	a->max_entries = min_t(u32, nr, LOCKDEV_ENTRIES_MAX);
	a->entries = kvcalloc(a->max_entries, sizeof(*a->entries),
			      GFP_KERNEL_ACCOUNT);
	return a->entries ? 0 : -ENOMEM;
}

static int ld_entries_out(const struct ld_args *a, u64 uptr)
{
	u32 n = min(a->nr_entries, a->max_entries);

	if (n && copy_to_user(u64_to_user_ptr(uptr), a->entries,
			      n * sizeof(*a->entries)))
		return -EFAULT;
	return 0;
}

/*
 * The value block of a grant into @value: the lock's when @a asked for it,
 * zero otherwise.
 */
static __always_inline void ld_value_fill(u8 *value,
					  const struct ld_args *a)
{
	if (a->want_value)
		memcpy(value, a->value, LOCKDEV_VALUE_LEN);
	else
		memset(value, 0, LOCKDEV_VALUE_LEN);
}

/*
 * The outputs of a LOCK grant, from result to the end, in one copy: every
 * byte before them is the caller's own input, and stays as it was.
 */
static int ld_lock_out(unsigned int cmd, struct lockdev_lock __user *u,
		       struct lockdev_lock *lk, const struct ld_args *a)
{
	lk->result = a->result;
	lk->handle = a->handle;
	lk->generation = a->generation;
	ld_value_fill(lk->value, a);
	return ld_grant_out(u, lk, offsetof(struct lockdev_lock, result),
			    sizeof(*lk), _IOC_SIZE(cmd));
}

/*
 * The outputs of a conversion, from result to the end, in one copy. The
 * input deadline_ns, among them, is written back as it was read.
 */
static int ld_convert_out(unsigned int cmd, struct lockdev_convert __user *u,
			  struct lockdev_convert *cv, const struct ld_args *a)
{
	cv->result = a->result;
	cv->generation = a->generation;
	ld_value_fill(cv->value, a);
	return ld_grant_out(u, cv, offsetof(struct lockdev_convert, result),
			    sizeof(*cv), _IOC_SIZE(cmd));
}

/*
 * The value an UNLOCK or CONVERT sets, which lockdev_arg_in_part() left
 * out: zero if the caller's struct is too old to carry one.
 */
static int ld_value_in(unsigned int cmd, size_t offset, u8 *value,
		       const u8 __user *uvalue)
{
	if (_IOC_SIZE(cmd) < offset + LOCKDEV_VALUE_LEN)
		return 0;
	return ld_read_user(value, uvalue, LOCKDEV_VALUE_LEN);
}

static int ld_check_mode(u32 mode)
{
	return mode >= LOCKDEV_MODE_SHARED && mode <= LOCKDEV_MODE_NONE ?
	       0 : -EINVAL;
}

static int ld_check_wait_flags(u32 flags, u32 all)
{
	if (flags & ~all)
		return -EINVAL;
	if ((flags & LOCKDEV_LOCK_NONBLOCK) &&
	    (flags & (LOCKDEV_LOCK_DEADLINE | LOCKDEV_LOCK_ASYNC)))
		return -EINVAL;
	return 0;
}

/* A lock named by handle, or by name when the handle is 0: exactly one. */
static int ld_copy_target(u8 *buf, u64 handle, u64 name, u32 len)
{
	if (handle)
		return name || len ? -EINVAL : 0;
	return name ? ld_copy_name(buf, name, len) : -EINVAL;
}

static int lockdev_ioc_attach(struct ld_session *sess, unsigned int cmd,
			      void __user *uarg)
{
	u8 name[LOCKDEV_NAME_MAX];
	struct lockdev_attach at;
	int ret;

	ret = lockdev_arg_in(&at, sizeof(at), LOCKDEV_ATTACH_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	if (at.flags & ~LOCKDEV_ATTACH_FLAGS_ALL || at.pad || at.mode > 0777)
		return -EINVAL;
	ret = ld_copy_name(name, at.name, at.name_len);
	if (ret)
		return ret;
	return ld_session_attach(sess, name, at.name_len, at.flags, at.mode);
}

/*
 * A granted or queued LOCK whose result cannot be written back: undo it, so
 * that the failed call leaves nothing held. A queued asynchronous request is
 * cancelled, and posts no completion; if it ended meanwhile, its completion
 * is already posted and a grant it reported is released.
 */
static void ld_lock_undo(struct ld_session *sess, const struct ld_args *a)
{
	if ((a->result & LOCKDEV_RESULT_QUEUED) &&
	    !ld_lock_cancel(sess, a->handle, false))
		return;
	ld_lock_release(sess, a->handle, NULL, 0, NULL);
}

static int lockdev_ioc_lock(struct ld_session *sess, unsigned int cmd,
			    void __user *uarg)
{
	struct lockdev_lock __user *ulk = uarg;
	u8 name[LOCKDEV_NAME_MAX] __uninitialized;
	struct lockdev_lock lk __uninitialized;
	struct ld_args a = {};
	int ret, out;

	ret = lockdev_arg_in_part(&lk, offsetof(struct lockdev_lock, result),
				  sizeof(lk), LOCKDEV_LOCK_SIZE_VER0, cmd, uarg);
	if (ret)
		return ret;
	ret = ld_check_mode(lk.mode);
	if (!ret)
		ret = ld_check_wait_flags(lk.flags, LOCKDEV_LOCK_FLAGS_ALL);
	if (!ret)
		ret = ld_copy_name(name, lk.name, lk.name_len);
	if (ret)
		return ret;
	if (lk.flags & (LOCKDEV_LOCK_NONBLOCK | LOCKDEV_LOCK_DEADLINE)) {
		ret = ld_entries_alloc(&a, lk.entries, lk.nr_entries);
		if (ret)
			return ret;
	}
	a.mode = lk.mode;
	a.flags = lk.flags;
	a.want_value = lk.flags & LOCKDEV_LOCK_VALUE;
	a.level = lk.level;
	a.deadline_ns = lk.deadline_ns;
	a.user_data = lk.user_data;
	ret = ld_lock_acquire(sess, name, lk.name_len, &a);
	if (!ret) {
		ret = ld_lock_out(cmd, ulk, &lk, &a);
		if (ret)
			ld_lock_undo(sess, &a);
	} else if (ret == -EDEADLK) {
		if (put_user(a.result, &ulk->result))
			ret = -EFAULT;
	} else if ((ret == -EAGAIN || ret == -ETIMEDOUT) && a.want_entries) {
		out = ld_entries_out(&a, lk.entries);
		if (!out && put_user(a.nr_entries, &ulk->nr_entries))
			out = -EFAULT;
		if (out)
			ret = out;
	}
	/*
	 * Only a request that may fail for a conflict has room for entries:
	 * the others skip the call.
	 */
	if (a.entries)
		kvfree(a.entries);
	return ret;
}

/* An UNLOCK that sets the lock's value as it releases it. */
static int lockdev_unlock_value(struct ld_session *sess, unsigned int cmd,
				struct lockdev_unlock __user *uun,
				const struct lockdev_unlock *un, const u8 *name)
{
	struct ld_args a = {};
	int ret;

	ret = ld_value_in(cmd, offsetof(struct lockdev_unlock, value), a.value,
			  uun->value);
	if (!ret)
		ret = ld_value_alloc(&a);
	if (ret)
		return ret;
	a.set_value = true;
	ret = ld_lock_release(sess, un->handle, name, un->name_len, &a);
	kfree(a.value_room);
	return ret;
}

static int lockdev_ioc_unlock(struct ld_session *sess, unsigned int cmd,
			      void __user *uarg)
{
	u8 name[LOCKDEV_NAME_MAX] __uninitialized;
	struct lockdev_unlock un __uninitialized;
	int ret;

	ret = lockdev_arg_in_part(&un, offsetof(struct lockdev_unlock, value),
				  sizeof(un), LOCKDEV_UNLOCK_SIZE_VER0, cmd,
				  uarg);
	if (ret)
		return ret;
	if (un.flags & ~LOCKDEV_UNLOCK_FLAGS_ALL)
		return -EINVAL;
	ret = ld_copy_target(name, un.handle, un.name, un.name_len);
	if (ret)
		return ret;
	if (un.flags & LOCKDEV_UNLOCK_SET_VALUE)
		return lockdev_unlock_value(sess, cmd, uarg, &un, name);
	return ld_lock_release(sess, un.handle, name, un.name_len, NULL);
}

static int lockdev_ioc_convert(struct ld_session *sess, unsigned int cmd,
			       void __user *uarg)
{
	struct lockdev_convert __user *ucv = uarg;
	u8 name[LOCKDEV_NAME_MAX] __uninitialized;
	struct lockdev_convert cv __uninitialized;
	struct ld_args a = {};
	int ret;

	ret = lockdev_arg_in_part(&cv, offsetof(struct lockdev_convert, value),
				  sizeof(cv), LOCKDEV_CONVERT_SIZE_VER0, cmd,
				  uarg);
	if (ret)
		return ret;
	ret = ld_check_mode(cv.mode);
	if (!ret)
		ret = ld_check_wait_flags(cv.flags, LOCKDEV_CONVERT_FLAGS_ALL);
	if (!ret)
		ret = ld_copy_target(name, cv.handle, cv.name, cv.name_len);
	if (!ret && (cv.flags & LOCKDEV_CONVERT_SET_VALUE)) {
		a.set_value = true;
		ret = ld_value_in(cmd, offsetof(struct lockdev_convert, value),
				  a.value, ucv->value);
		if (!ret)
			ret = ld_value_alloc(&a);
	}
	if (ret)
		return ret;
	a.mode = cv.mode;
	a.flags = cv.flags & ~LOCKDEV_CONVERT_SET_VALUE;
	a.want_value = cv.flags & LOCKDEV_LOCK_VALUE;
	a.deadline_ns = cv.deadline_ns;
	ret = ld_lock_convert(sess, cv.handle, name, cv.name_len, &a);
	/* Room for a value, unless the lock took it; without one, no call. */
	if (a.set_value)
		kfree(a.value_room);
	if (ret == -EDEADLK)
		return put_user(a.result, &ucv->result) ? -EFAULT : ret;
	if (ret)
		return ret;
	ret = ld_convert_out(cmd, ucv, &cv, &a);
	if (ret && ld_mode_rank(cv.mode) > ld_mode_rank(a.old_mode)) {
		/* Undo the upgrade: a downgrade back is immediate. */
		a.mode = a.old_mode;
		a.flags = 0;
		a.set_value = false;
		ld_lock_convert(sess, cv.handle, name, cv.name_len, &a);
	}
	return ret;
}

static int lockdev_ioc_cancel(struct ld_session *sess, unsigned int cmd,
			      void __user *uarg)
{
	struct lockdev_cancel c;
	int ret;

	ret = lockdev_arg_in(&c, sizeof(c), LOCKDEV_CANCEL_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	if (c.flags || c.pad)
		return -EINVAL;
	return ld_lock_cancel(sess, c.handle, true);
}

static int lockdev_ioc_consistent(struct ld_session *sess, unsigned int cmd,
				  void __user *uarg)
{
	u8 name[LOCKDEV_NAME_MAX];
	struct lockdev_consistent c;
	int ret;

	ret = lockdev_arg_in(&c, sizeof(c), LOCKDEV_CONSISTENT_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	if (c.flags)
		return -EINVAL;
	ret = ld_copy_target(name, c.handle, c.name, c.name_len);
	if (ret)
		return ret;
	return ld_lock_consistent(sess, c.handle, name, c.name_len);
}

static int lockdev_ioc_query(struct ld_session *sess, unsigned int cmd,
			     void __user *uarg)
{
	u8 name[LOCKDEV_NAME_MAX];
	struct lockdev_query q;
	struct ld_args a = {};
	int ret;

	ret = lockdev_arg_in(&q, sizeof(q), LOCKDEV_QUERY_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	if (q.flags & ~LOCKDEV_QUERY_FLAGS_ALL)
		return -EINVAL;
	a.want_value = q.flags & LOCKDEV_QUERY_VALUE;
	ret = ld_copy_name(name, q.name, q.name_len);
	if (!ret)
		ret = ld_entries_alloc(&a, q.entries, q.nr_entries);
	if (ret)
		return ret;
	ret = ld_lock_query(sess, name, q.name_len, &a, &q.lock_flags);
	if (!ret) {
		q.nr_entries = a.nr_entries;
		q.generation = a.generation;
		memcpy(q.value, a.value, sizeof(q.value));
		ret = ld_entries_out(&a, q.entries);
	}
	if (!ret)
		ret = LD_FIELDS_OUT(cmd, uarg, &q, struct lockdev_query,
				    nr_entries, value);
	kvfree(a.entries);
	return ret;
}

static int lockdev_ioc_list(struct ld_session *sess, unsigned int cmd,
			    void __user *uarg)
{
	struct lockdev_held *held = NULL;
	struct lockdev_list l;
	u32 max = 0, nr;
	int ret;

	ret = lockdev_arg_in(&l, sizeof(l), LOCKDEV_LIST_SIZE_VER0, cmd, uarg);
	if (ret)
		return ret;
	if (l.flags)
		return -EINVAL;
	if (l.entries && l.nr_entries) {
		max = min_t(u32, l.nr_entries, LOCKDEV_ENTRIES_MAX);
		held = kvcalloc(max, sizeof(*held), GFP_KERNEL_ACCOUNT);
		if (!held)
			return -ENOMEM;
	}
	ld_lock_list(sess, held, max, &nr);
	if (held && copy_to_user(u64_to_user_ptr(l.entries), held,
				 min(nr, max) * sizeof(*held)))
		ret = -EFAULT;
	kvfree(held);
	if (ret)
		return ret;
	l.nr_entries = nr;
	return LD_FIELDS_OUT(cmd, uarg, &l, struct lockdev_list, nr_entries,
			     nr_entries);
}

static int lockdev_ioc_set_order(struct ld_session *sess, unsigned int cmd,
				 void __user *uarg)
{
	struct lockdev_order o;
	u32 was;
	int ret;

	ret = lockdev_arg_in(&o, sizeof(o), LOCKDEV_ORDER_SIZE_VER0, cmd, uarg);
	if (ret)
		return ret;
	if (o.flags || o.pad)
		return -EINVAL;
	if (o.mode > LOCKDEV_ORDER_OFF)
		return -EINVAL;
	do {
		was = ld_order_peek(sess);
		o.old_mode = was & ~LD_ORDER_CHOSEN;
		ret = LD_FIELDS_OUT(cmd, uarg, &o, struct lockdev_order,
				    old_mode, old_mode);
		if (ret)
			return ret;
	} while (o.mode && !ld_order_swap(sess, was, o.mode));
	return 0;
}

/*
 * Decode item @i of a lock set. An item is an extensible struct of
 * @size bytes, under the same rules as an ioctl's argument.
 */
static int ld_set_item_in(struct ld_set_item *it, u64 items, u32 size, u32 i)
{
	struct lockdev_set_item in;
	void __user *uptr = u64_to_user_ptr(items + (u64)i * size);
	int ret;

	ret = copy_struct_from_user(&in, sizeof(in), uptr, size);
	if (!ret)
		ret = ld_check_mode(in.mode);
	if (!ret)
		ret = ld_copy_name(it->name, in.name, in.name_len);
	if (ret)
		return ret;
	it->index = i;
	it->mode = in.mode;
	it->level = in.level;
	it->name_len = in.name_len;
	return 0;
}

/* Write the outputs of item @i of a lock set back, leaving its inputs. */
static int ld_set_item_out(const struct ld_set_item *it, u64 items, u32 size,
			   u32 i)
{
	struct lockdev_set_item out;

	out.result = it->result;
	out.handle = it->handle;
	out.generation = it->generation;
	memcpy(out.value, it->value, sizeof(out.value));
	return ld_grant_out(u64_to_user_ptr(items + (u64)i * size), &out,
			    offsetof(struct lockdev_set_item, result),
			    sizeof(out), size);
}

static int lockdev_ioc_lock_set(struct ld_session *sess, unsigned int cmd,
				void __user *uarg)
{
	struct ld_set_item *items = NULL;
	struct lockdev_lock_set ls;
	struct ld_args a = {};
	int ret, out;
	bool taken;
	u32 i;

	ret = lockdev_arg_in(&ls, sizeof(ls), LOCKDEV_LOCK_SET_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	/* From here on every failure writes failed and result back. */
	ls.failed = LOCKDEV_SET_NONE;
	ls.result = 0;
	if (ls.pad || ls.item_size < LOCKDEV_SET_ITEM_SIZE_VER0)
		ret = -EINVAL;
	if (!ret)
		ret = ld_check_wait_flags(ls.flags, LOCKDEV_SET_FLAGS_ALL);
	if (!ret && (ls.nr_items > LOCKDEV_SET_MAX ||
		     ls.item_size > LOCKDEV_ARG_MAX))
		ret = -E2BIG;
	if (!ret && ls.nr_items) {
		items = kvcalloc(ls.nr_items, sizeof(*items),
				 GFP_KERNEL_ACCOUNT);
		if (!items)
			ret = -ENOMEM;
	}
	for (i = 0; i < ls.nr_items && !ret; i++) {
		ret = ld_set_item_in(&items[i], ls.items, ls.item_size, i);
		if (ret)
			ls.failed = i;
	}
	if (!ret && ls.nr_items) {
		a.flags = ls.flags;
		a.want_value = ls.flags & LOCKDEV_LOCK_VALUE;
		a.deadline_ns = ls.deadline_ns;
		ret = ld_lock_set(sess, items, ls.nr_items, &a, &ls.failed);
		ls.result = a.result;
	}
	taken = !ret && ls.nr_items;
	for (i = 0; i < ls.nr_items && !ret; i++)
		ret = ld_set_item_out(&items[i], ls.items, ls.item_size, i);
	out = LD_FIELDS_OUT(cmd, uarg, &ls, struct lockdev_lock_set, failed,
			    failed);
	if (!out)
		out = LD_FIELDS_OUT(cmd, uarg, &ls, struct lockdev_lock_set,
				    result, result);
	if (taken && (ret || out)) {
		/* All or nothing: a set whose result is lost is released. */
		for (i = 0; i < ls.nr_items; i++)
			if (items[i].dup == i)
				ld_lock_release(sess, items[i].handle, NULL, 0,
						NULL);
	}
	kvfree(items);
	return ret ?: out;
}

static int lockdev_ioc_deadlock(struct ld_session *sess, unsigned int cmd,
				void __user *uarg)
{
	struct lockdev_deadlock d;
	int ret;

	ret = lockdev_arg_in(&d, sizeof(d), LOCKDEV_DEADLOCK_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	if (d.flags || d.pad)
		return -EINVAL;
	ret = ld_report_read(sess, &d);
	if (!ret)
		ret = LD_FIELDS_OUT(cmd, uarg, &d, struct lockdev_deadlock,
				    nr_members, nr_members);
	if (!ret)
		ret = LD_FIELDS_OUT(cmd, uarg, &d, struct lockdev_deadlock,
				    reason, reason);
	if (!ret)
		ret = LD_FIELDS_OUT(cmd, uarg, &d, struct lockdev_deadlock,
				    handle, age_ns);
	return ret;
}

/* The cluster name of a LOCKDEV_IOC_SPACE: only CREATE with CLUSTER. */
static int ld_space_ctl_cluster(const struct lockdev_space_ctl *c)
{
	if (!(c->flags & LOCKDEV_SPACE_CLUSTER))
		return c->cluster || c->cluster_len ? -EINVAL : 0;
	if (!c->cluster_len)
		return -EINVAL;
	if (c->cluster_len > LOCKDEV_CLUSTER_NAME_MAX ||
	    c->name_len > LOCKDEV_CLUSTER_SPACE_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* The fields a LOCKDEV_IOC_SPACE's op does not take must be 0. */
static int ld_space_ctl_unused(const struct lockdev_space_ctl *c)
{
	int ret;

	if (c->order_mode > LOCKDEV_ORDER_OFF || c->pad || c->pad2)
		return -EINVAL;
	ret = ld_space_ctl_cluster(c);
	if (ret)
		return ret;
	if (c->op == LOCKDEV_SPACE_LEVEL) {
		if (c->order_mode || !c->prefix_len)
			return -EINVAL;
		return c->prefix_len > LOCKDEV_NAME_MAX ? -ENAMETOOLONG : 0;
	}
	if (c->level || c->prefix || c->prefix_len)
		return -EINVAL;
	return c->op == LOCKDEV_SPACE_REMOVE && c->order_mode ? -EINVAL : 0;
}

/* The op of a LOCKDEV_IOC_SPACE, the flags it takes, its other fields. */
static int ld_space_ctl_check(const struct lockdev_space_ctl *c)
{
	const u32 both = LOCKDEV_SPACE_PERSISTENT | LOCKDEV_SPACE_TRANSIENT;
	u32 allowed;

	switch (c->op) {
	case LOCKDEV_SPACE_CREATE:
		if (c->mode > 0777)
			return -EINVAL;
		allowed = LOCKDEV_SPACE_REPLACE | LOCKDEV_SPACE_CLUSTER;
		if ((c->flags & allowed) == allowed)
			return -EINVAL;
		break;
	case LOCKDEV_SPACE_SET:
		if (c->mode > 0777 && c->mode != LOCKDEV_SPACE_KEEP)
			return -EINVAL;
		allowed = both;
		break;
	case LOCKDEV_SPACE_REMOVE:
		allowed = LOCKDEV_SPACE_FORCE;
		break;
	case LOCKDEV_SPACE_LEVEL:
		allowed = 0;
		break;
	default:
		return -EINVAL;
	}
	if ((c->flags & ~allowed) || (c->flags & both) == both)
		return -EINVAL;
	return ld_space_ctl_unused(c);
}

static int lockdev_ioc_space(unsigned int cmd, void __user *uarg)
{
	u8 name[LOCKDEV_NAME_MAX], more[LOCKDEV_NAME_MAX];
	struct lockdev_space_ctl c;
	int ret;

	BUILD_BUG_ON(LOCKDEV_CLUSTER_NAME_MAX > LOCKDEV_NAME_MAX);
	ret = lockdev_arg_in(&c, sizeof(c), LOCKDEV_SPACE_CTL_SIZE_VER0, cmd,
			     uarg);
	if (!ret)
		ret = ld_space_ctl_check(&c);
	if (!ret)
		ret = ld_copy_name(name, c.name, c.name_len);
	if (!ret && c.op == LOCKDEV_SPACE_LEVEL)
		ret = ld_copy_name(more, c.prefix, c.prefix_len);
	if (!ret && (c.flags & LOCKDEV_SPACE_CLUSTER))
		ret = ld_copy_name(more, c.cluster, c.cluster_len);
	if (ret)
		return ret;
	return ld_space_ctl(name, c.name_len, &c, more);
}

/* Calls that fail with EIDRM once the session's lockspace was removed. */
static bool ld_ioc_in_space(unsigned int nr)
{
	return nr == _IOC_NR(LOCKDEV_IOC_LOCK) ||
	       nr == _IOC_NR(LOCKDEV_IOC_LOCK_SET) ||
	       nr == _IOC_NR(LOCKDEV_IOC_CONVERT) ||
	       nr == _IOC_NR(LOCKDEV_IOC_CONSISTENT) ||
	       nr == _IOC_NR(LOCKDEV_IOC_QUERY);
}

/**
 * lockdev_ioctl() - the device's unlocked_ioctl
 * @file: the session's file
 * @cmd: the ioctl number
 * @arg: the argument pointer
 *
 * Return: what the handler returns, or -ENOTTY for a number that is not a
 * lockdev ioctl.
 */
long lockdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ld_session *sess = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != LOCKDEV_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;
	if (ld_ioc_in_space(_IOC_NR(cmd)) && ld_session_removed(sess))
		return -EIDRM;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(LOCKDEV_IOC_VERSION):
		return lockdev_ioc_version(cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_ATTACH):
		return lockdev_ioc_attach(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_LOCK):
		return lockdev_ioc_lock(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_UNLOCK):
		return lockdev_ioc_unlock(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_CONVERT):
		return lockdev_ioc_convert(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_CANCEL):
		return lockdev_ioc_cancel(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_CONSISTENT):
		return lockdev_ioc_consistent(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_QUERY):
		return lockdev_ioc_query(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_LIST):
		return lockdev_ioc_list(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_SET_ORDER):
		return lockdev_ioc_set_order(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_LOCK_SET):
		return lockdev_ioc_lock_set(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_DEADLOCK):
		return lockdev_ioc_deadlock(sess, cmd, uarg);
	case _IOC_NR(LOCKDEV_IOC_SPACE):
		return lockdev_ioc_space(cmd, uarg);
	default:
		return -ENOTTY;
	}
}
