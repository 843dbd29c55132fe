/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two-host programs of selftests/vm/cluster share (peer.c): TAP
 * lines with a running count, and the TCP link over which node 1 and node
 * 2 order their steps (LOCKDEV_NODE, LOCKDEV_NODE_ADDR and
 * LOCKDEV_PEER_ADDR, as cluster-node sets them).
 */
#ifndef LOCKDEV_SELFTESTS_CLUSTER_PEER_H
#define LOCKDEV_SELFTESTS_CLUSTER_PEER_H

#include <stddef.h>

/* Bound on every wait for the peer, in ms: each program sets its own. */
extern int peer_ms;

/* One TAP line, counted. */
void check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A failing TAP line for @what and errno, the summary, and exit(1). */
void __attribute__((noreturn)) bail(const char *what);
/* The summary line "N passed, N failed"; the exit status to return. */
int summary(void);
/* CLOCK_MONOTONIC in ms. */
long long now_ms(void);
/*
 * This node's number (1 or 2) from LOCKDEV_NODE; exits 2 with a message
 * naming @prog when it is neither.
 */
int peer_node(const char *prog);
/* Node 1 accepts node 2's connection on @port; node 2 connects. */
int peer_connect(int node, int port);
/* Send @len bytes to the peer, or bail. */
void tell(int sock, const void *buf, size_t len);
void tell_c(int sock, char c);
/* Wait up to peer_ms for @len bytes from the peer, or bail. */
void hear(int sock, void *buf, size_t len);
/* Wait for the byte @want, or bail. */
void hear_c(int sock, char want);
/*
 * Both nodes joined their DLM lockspace: tell the peer, hear it, and let
 * the DLM's recovery for the join end on the node that joined first.
 */
void peer_joined(int sock);

#endif /* LOCKDEV_SELFTESTS_CLUSTER_PEER_H */
