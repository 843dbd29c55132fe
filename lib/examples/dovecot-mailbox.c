// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dovecot's mailbox: readers (IMAP, POP3 sessions, searches) take it
 * SHARED, the delivery agent appends under APPEND alongside them, and
 * expunge takes it EXCLUSIVE. A waiting expunge blocks new readers, so that
 * readers that keep coming cannot starve it; an appender does not. The
 * delivery keeps the mailbox's next UID in the lock's value block, and
 * reads it from the index only when the value is not valid (a new lock, or
 * a delivery that died holding it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lockdev.h>

#define MBOX	"mbox:INBOX"
#define SEC	1000000000ULL

/* The index's header: the next UID, as the last delivery wrote it. */
static uint32_t index_next_uid = 1;

static int fail(const char *what, int err)
{
	fprintf(stderr, "dovecot-mailbox: %s: %s\n", what,
		lockdev_strerror(err, 0));
	return 1;
}

/* Deliver one message: the next UID from the lock's value, or the index. */
static int deliver(struct lockdev *ld, uint32_t *uid)
{
	struct lockdev_value v;
	struct lockdev_grant g;
	uint32_t next;
	int ret;

	ret = lockdev_lock_value(ld, MBOX, LOCKDEV_MODE_APPEND, 0, 0, 0, &g,
				 &v);
	if (ret < 0)
		return ret;
	if (v.valid)
		memcpy(uid, v.data, sizeof(*uid));
	else
		*uid = index_next_uid;
	/* ... append the message with UID *uid, update the index ... */
	next = *uid + 1;
	index_next_uid = next;
	return lockdev_unlock_value(ld, g.handle, &next, sizeof(next));
}

/* The expunge: waits for the reader to go, at most 10 seconds. */
static int expunge(void)
{
	struct lockdev_grant g;
	struct lockdev *ld;
	int ret = lockdev_open(&ld, 0);

	if (ret < 0)
		return fail("open", ret);
	ret = lockdev_timedlock(ld, MBOX, LOCKDEV_MODE_EXCLUSIVE, 0, 10 * SEC,
				LOCKDEV_RESTART, &g);
	if (ret < 0)
		return fail("expunge", ret);
	/* ... remove the expunged messages, rewrite the index ... */
	lockdev_unlock(ld, g.handle);
	lockdev_close(ld);
	return 0;
}

int main(void)
{
	struct lockdev *reader, *appender, *late;
	struct lockdev_entry e[4];
	struct lockdev_grant g;
	uint32_t uid1, uid2;
	int ret, n, status;
	pid_t pid;

	ret = lockdev_open(&reader, 0);
	if (!ret)
		ret = lockdev_open(&appender, 0);
	if (!ret)
		ret = lockdev_open(&late, 0);
	if (ret < 0)
		return fail("open", ret);
	ret = lockdev_lock(reader, MBOX, LOCKDEV_MODE_SHARED, 0, 0, &g);
	if (ret < 0)
		return fail("reader", ret);
	/* Delivery appends while the reader reads, UIDs from the value. */
	ret = deliver(appender, &uid1);
	if (!ret)
		ret = deliver(appender, &uid2);
	if (ret < 0)
		return fail("appender", ret);
	if (uid2 != uid1 + 1)
		return fail("the next UID", -EPROTO);

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(expunge());
	/* Wait until the expunge is queued behind the reader. */
	do {
		usleep(10000);
		n = lockdev_query(reader, MBOX, e, 4, NULL);
	} while (n == 1);
	if (n != 2 || e[1].state != LOCKDEV_STATE_WAITING)
		return fail("query", -EPROTO);

	/* A new reader now waits behind the expunge: it times out. */
	ret = lockdev_timedlock(late, MBOX, LOCKDEV_MODE_SHARED, 0, SEC / 10,
				0, NULL);
	if (ret != -ETIMEDOUT)
		return fail("late reader was not held back", ret);

	lockdev_unlock(reader, g.handle);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;
	ret = lockdev_lock(late, MBOX, LOCKDEV_MODE_SHARED, 0, 0, NULL);
	if (ret < 0)
		return fail("late reader", ret);
	printf("dovecot-mailbox: reader and appender together (UIDs %u and %u), expunge not starved: done\n",
	       uid1, uid2);
	lockdev_close(late);
	lockdev_close(appender);
	lockdev_close(reader);
	return 0;
}
