// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers of the two-host programs (peer.h): TAP lines, and the TCP
 * link between node 1 and node 2 on the guests' private network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

int peer_ms = 120000;
static int tests, failures;

void check(int ok, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!ok)
		failures++;
	printf("%sok %d - ", ok ? "" : "not ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int summary(void)
{
	printf("%d passed, %d failed\n", tests - failures, failures);
	return failures ? 1 : 0;
}

void bail(const char *what)
{
	check(0, "%s: %s", what, strerror(errno));
	summary();
	exit(1);
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int peer_node(const char *prog)
{
	const char *node = getenv("LOCKDEV_NODE");

	if (!node || (strcmp(node, "1") && strcmp(node, "2"))) {
		fprintf(stderr, "%s: run it with selftests/vm/cluster (LOCKDEV_NODE is not 1 or 2)\n",
			prog);
		exit(2);
	}
	return *node - '0';
}

void tell(int sock, const void *buf, size_t len)
{
	if (write(sock, buf, len) != (ssize_t)len)
		bail("telling the peer");
}

void tell_c(int sock, char c)
{
	tell(sock, &c, 1);
}

void hear(int sock, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pfd, 1, peer_ms) != 1) {
			errno = ETIMEDOUT;
			bail("waiting for the peer");
		}
		n = read(sock, (char *)buf + got, len - got);
		if (n <= 0) {
			errno = EPROTO;
			bail("reading the peer's message");
		}
		got += n;
	}
}

void hear_c(int sock, char want)
{
	char got;

	hear(sock, &got, 1);
	if (got != want) {
		errno = EPROTO;
		bail("the peer's message");
	}
}

/*
 * The join of the second node returns once its own recovery is over; the
 * first node's, for the same change of members, may still be finishing.
 * A lock message that reaches it meanwhile waits in its request queue,
 * and the 6.1 DLM warns there (a FORTIFY field-spanning write in
 * dlm_add_requestqueue), which panic_on_warn makes fatal: no lock is asked
 * for until that recovery has had time to end (it takes well under a
 * second in a TCG guest).
 */
#define PEER_SETTLE_MS	3000

void peer_joined(int sock)
{
	tell_c(sock, 'J');
	hear_c(sock, 'J');
	usleep(PEER_SETTLE_MS * 1000);
}

static struct sockaddr_in address(const char *var, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	const char *addr = getenv(var);

	if (!addr || inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "%s is not an IPv4 address\n", var);
		exit(2);
	}
	return sin;
}

/* Node 1 listens on its address and takes node 2's connection. */
static int accept_peer(int port)
{
	struct sockaddr_in sin = address("LOCKDEV_NODE_ADDR", port);
	struct pollfd pfd;
	int one = 1, lsock, sock;

	lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0 ||
	    setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lsock, (struct sockaddr *)&sin, sizeof(sin)) || listen(lsock, 1))
		bail("listening for node 2");
	pfd = (struct pollfd){ .fd = lsock, .events = POLLIN };
	if (poll(&pfd, 1, peer_ms) != 1) {
		errno = ETIMEDOUT;
		bail("waiting for node 2 to connect");
	}
	sock = accept(lsock, NULL, NULL);
	if (sock < 0)
		bail("accepting node 2");
	close(lsock);
	return sock;
}

/* Node 2 connects to node 1, which may not listen yet. */
static int connect_peer(int port)
{
	struct sockaddr_in sin = address("LOCKDEV_PEER_ADDR", port);
	long long end = now_ms() + peer_ms;
	int sock;

	for (;;) {
		sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (sock < 0)
			bail("socket");
		if (!connect(sock, (struct sockaddr *)&sin, sizeof(sin)))
			return sock;
		close(sock);
		if (now_ms() > end)
			bail("connecting to node 1");
		usleep(200000);
	}
}

int peer_connect(int node, int port)
{
	return node == 1 ? accept_peer(port) : connect_peer(port);
}
