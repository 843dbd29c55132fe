// SPDX-License-Identifier: GPL-2.0
/*
 * dlm_proof: proof that the kernel's DLM works between the two guests of
 * selftests/vm/cluster, through libdlm's user device, without lockdev.
 *
 *     selftests/vm/cluster -- selftests/cluster/dlm_proof
 *
 * Runs on both nodes (LOCKDEV_NODE 1 or 2, LOCKDEV_NODE_ADDR and
 * LOCKDEV_PEER_ADDR as cluster-node sets them), which talk over TCP on the
 * private link to order their steps. Both join the lockspace; once node 2
 * has joined (its recovery done: a message that reaches a node in recovery
 * makes Debian 6.1's DLM warn), node 1 takes EX on a resource and tells
 * node 2. Node 2 sees a NOQUEUE EX refused with EAGAIN, queues an EX and
 * sees it wait, and tells node 1, which holds for HOLD_MS more, writes the
 * value block (converting down to NL) and unlocks. Node 2's EX is then granted, no sooner than node 1 released it,
 * with node 1's value block. Each node prints TAP lines for its own checks
 * and "N passed, N failed"; the exit status is 1 if a check failed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdlm.h>

#include "peer.h"

#define LOCKSPACE	"lockdev_proof"
#define RESOURCE	"lockdev-proof"
#define PORT		7177
/* How long node 1 keeps EX after node 2 said it waits. */
#define HOLD_MS		3000
/* How long node 2 watches its queued EX not being granted. */
#define WATCH_MS	3000
/* Bound on every wait for the peer: TCG guests run slowly. */
#define PEER_MS		120000
#define VALUE		"written by node 1"

static void granted(void *arg)
{
	*(int *)arg = 1;
}

/*
 * Dispatch the lockspace's completions for up to @ms milliseconds or until
 * *@done is set; returns *@done.
 */
static int dispatch_until(dlm_lshandle_t ls, int *done, int ms)
{
	struct pollfd pfd = { .fd = dlm_ls_get_fd(ls), .events = POLLIN };
	long long end = now_ms() + ms;

	while (!*done) {
		long long left = end - now_ms();

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left) == 1 && dlm_dispatch(pfd.fd) < 0)
			bail("dlm_dispatch");
	}
	return *done;
}

/*
 * The status of a synchronous libdlm call as a positive number: its errno,
 * or the lock's status (which the kernel gives as a negative errno).
 */
static int lock_status(int ret, struct dlm_lksb *lksb)
{
	return abs(ret ? errno : lksb->sb_status);
}

/* An unlock completes with the status EUNLOCK. */
static int unlocked(int ret, struct dlm_lksb *lksb)
{
	int status = lock_status(ret, lksb);

	return !status || status == EUNLOCK;
}

static void node1(dlm_lshandle_t ls)
{
	char lvb[DLM_LVB_LEN] = "";
	struct dlm_lksb lksb = { .sb_lvbptr = lvb };
	int sock, ret;

	sock = peer_connect(1, PORT);
	hear_c(sock, 'J');
	ret = dlm_ls_lock_wait(ls, LKM_EXMODE, &lksb, LKF_VALBLK, RESOURCE,
			       strlen(RESOURCE), 0, NULL, NULL, NULL);
	check(lock_status(ret, &lksb) == 0, "takes EX on %s (status %d)",
	      RESOURCE, lock_status(ret, &lksb));
	tell_c(sock, 'H');
	hear_c(sock, 'W');
	usleep(HOLD_MS * 1000);

	snprintf(lvb, sizeof(lvb), "%s", VALUE);
	ret = dlm_ls_lock_wait(ls, LKM_NLMODE, &lksb, LKF_CONVERT | LKF_VALBLK,
			       RESOURCE, strlen(RESOURCE), 0, NULL, NULL, NULL);
	check(lock_status(ret, &lksb) == 0,
	      "writes the value block, converting EX to NL (status %d)",
	      lock_status(ret, &lksb));
	ret = dlm_ls_unlock_wait(ls, lksb.sb_lkid, 0, &lksb);
	check(unlocked(ret, &lksb), "unlocks (status %d)",
	      lock_status(ret, &lksb));
	tell_c(sock, 'R');
	hear_c(sock, 'D');
	close(sock);
}

static void node2(dlm_lshandle_t ls)
{
	char lvb[DLM_LVB_LEN] = "";
	struct dlm_lksb lksb = { .sb_lvbptr = lvb };
	long long asked, waited;
	int sock, ret, done = 0;

	sock = peer_connect(2, PORT);
	tell_c(sock, 'J');
	hear_c(sock, 'H');

	ret = dlm_ls_lock_wait(ls, LKM_EXMODE, &lksb, LKF_NOQUEUE, RESOURCE,
			       strlen(RESOURCE), 0, NULL, NULL, NULL);
	check(lock_status(ret, &lksb) == EAGAIN,
	      "a NOQUEUE EX is refused with EAGAIN while node 1 holds EX (status %d)",
	      lock_status(ret, &lksb));

	memset(&lksb, 0, sizeof(lksb));
	lksb.sb_lvbptr = lvb;
	if (dlm_ls_lock(ls, LKM_EXMODE, &lksb, LKF_VALBLK, RESOURCE,
			strlen(RESOURCE), 0, granted, &done, NULL, NULL))
		bail("queueing node 2's EX");
	asked = now_ms();
	check(!dispatch_until(ls, &done, WATCH_MS),
	      "a queued EX waits while node 1 holds EX (%d ms)", WATCH_MS);
	tell_c(sock, 'W');

	dispatch_until(ls, &done, PEER_MS);
	waited = now_ms() - asked;
	check(done && lksb.sb_status == 0,
	      "the EX is granted after node 1 released it (status %d)",
	      done ? lksb.sb_status : -1);
	hear_c(sock, 'R');
	check(waited >= WATCH_MS + HOLD_MS,
	      "it waited %lld ms, at least the %d ms node 1 held",
	      waited, WATCH_MS + HOLD_MS);
	check(!(lksb.sb_flags & DLM_SBF_VALNOTVALID) &&
	      !strncmp(lvb, VALUE, sizeof(lvb)),
	      "it comes with the value block node 1 wrote (\"%.*s\")",
	      (int)sizeof(lvb), lvb);

	ret = dlm_ls_unlock_wait(ls, lksb.sb_lkid, 0, &lksb);
	check(unlocked(ret, &lksb), "unlocks (status %d)",
	      lock_status(ret, &lksb));
	tell_c(sock, 'D');
	close(sock);
}

int main(void)
{
	int node = peer_node("dlm_proof");
	dlm_lshandle_t ls;

	peer_ms = PEER_MS;
	ls = dlm_create_lockspace(LOCKSPACE, 0600);
	if (!ls)
		bail("joining the lockspace " LOCKSPACE);
	check(1, "joins the lockspace %s", LOCKSPACE);
	if (node == 1)
		node1(ls);
	else
		node2(ls);
	check(!dlm_release_lockspace(LOCKSPACE, ls, 0),
	      "leaves the lockspace");
	return summary();
}
