// SPDX-License-Identifier: GPL-2.0
/*
 * Lock sets: up to LOCKDEV_SET_MAX requests taken all or nothing, with
 * duplicates merged and the requests sorted into the order, so that
 * sessions taking overlapping sets cannot deadlock among themselves.
 */
#include <linux/sort.h>

#include "grant.h"
#include "request.h"
#include "session.h"
#include "space_levels.h"

/* Sort by level, then name: the order of order.c. */
static int ld_set_cmp(const void *pa, const void *pb)
{
	const struct ld_set_item *a = *(const struct ld_set_item * const *)pa;
	const struct ld_set_item *b = *(const struct ld_set_item * const *)pb;

	if (a->level != b->level)
		return a->level < b->level ? -1 : 1;
	return ld_name_cmp(a->name, a->name_len, b->name, b->name_len);
}

/*
 * Give the items at level 0 their declared levels, before they are merged
 * and sorted. A session that has no lockspace yet gets its default one,
 * which declares none.
 */
static void ld_set_levels(struct ld_session *sess, struct ld_set_item *items,
			  u32 nr)
{
	/* Pairs with ld_session_bind()'s smp_store_release(). */
	struct ld_space *space = smp_load_acquire(&sess->space);
	u32 i;

	for (i = 0; space && i < nr; i++)
		if (!items[i].level)
			items[i].level = ld_space_level(space, items[i].name,
							items[i].name_len);
}

/*
 * Merge items with the same name into the first of them, in the strongest
 * mode, and collect the first ones into @uniq. Returns how many, or -EINVAL
 * with *@failed set when two of the same name differ in level.
 */
static int ld_set_merge(struct ld_set_item *items, u32 nr,
			struct ld_set_item **uniq, u32 *failed)
{
	struct ld_set_item *it, *first;
	u32 i, j, n = 0;

	for (i = 0; i < nr; i++) {
		it = &items[i];
		it->dup = i;
		for (j = 0; j < i; j++) {
			first = &items[j];
			if (first->dup != j ||
			    ld_name_cmp(first->name, first->name_len, it->name,
					it->name_len))
				continue;
			if (first->level != it->level) {
				*failed = it->index;
				return -EINVAL;
			}
			if (ld_mode_rank(it->mode) > ld_mode_rank(first->mode))
				first->mode = it->mode;
			it->dup = j;
			break;
		}
		if (it->dup == i)
			uniq[n++] = it;
	}
	return n;
}

/**
 * ld_lock_set() - LOCKDEV_IOC_LOCK_SET
 * @sess: the session
 * @items: the requests, decoded; handle, generation, result and value are
 *	filled
 * @nr: how many, at most LOCKDEV_SET_MAX
 * @a: the set's flags and deadline; on EDEADLK, result is set to the reason
 * @failed: set to the index of the item that failed
 *
 * Context: may sleep.
 * Return: 0, or the error of the item that failed, after releasing every
 * lock the call took.
 */
int ld_lock_set(struct ld_session *sess, struct ld_set_item *items, u32 nr,
		struct ld_args *a, u32 *failed)
{
	struct ld_set_item *uniq[LOCKDEV_SET_MAX], *it;
	struct ld_args one;
	int n, i, ret = 0;

	ld_set_levels(sess, items, nr);
	n = ld_set_merge(items, nr, uniq, failed);
	if (n < 0)
		return n;
	sort(uniq, n, sizeof(uniq[0]), ld_set_cmp, NULL);

	for (i = 0; i < n; i++) {
		it = uniq[i];
		one = (struct ld_args){
			.mode = it->mode,
			.flags = a->flags,
			.want_value = a->want_value,
			.level = it->level,
			.deadline_ns = a->deadline_ns,
		};
		ret = ld_lock_acquire(sess, it->name, it->name_len, &one);
		if (ret)
			break;
		it->handle = one.handle;
		it->generation = one.generation;
		it->result = one.result;
		memcpy(it->value, one.value, sizeof(it->value));
	}
	if (ret) {
		*failed = it->index;
		if (ret == -EDEADLK)
			a->result = one.result;
		while (i--)
			ld_lock_release(sess, uniq[i]->handle, NULL, 0, NULL);
		return ret;
	}
	for (i = 0; i < nr; i++) {
		it = &items[i];
		if (it->dup != i) {
			it->handle = items[it->dup].handle;
			it->generation = items[it->dup].generation;
			it->result = items[it->dup].result;
			memcpy(it->value, items[it->dup].value,
			       sizeof(it->value));
		}
	}
	return 0;
}
