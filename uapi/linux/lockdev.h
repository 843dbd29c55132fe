/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lockdev: named, ordered, hierarchical locks for cooperating processes.
 *
 * This header is the whole user-space interface of the lockdev module and its
 * specification. It compiles on its own as C90 and as C++.
 *
 * Device
 * ------
 * The module registers the misc device /dev/lockdev. Each open file
 * description of it is one session, the unit that owns locks. Every call on a
 * session is an ioctl() on its file descriptor.
 *
 * Calling convention
 * ------------------
 * Every ioctl number is built with _IOWR(LOCKDEV_IOC_MAGIC, nr, struct) and
 * carries the size of its argument struct in its size bits. Structs grow only
 * at the end, so a program built against an older or a newer header keeps
 * working:
 *
 *  - a size below the struct's first published size (LOCKDEV_*_SIZE_VER0)
 *    fails with EINVAL;
 *  - a size above what the running module knows is accepted only if every
 *    byte the module does not know is zero; otherwise the call fails with
 *    E2BIG; sizes above 4096 bytes fail with E2BIG;
 *  - a size below what the module knows means the missing fields are zero;
 *  - the module writes back at most the size the caller gave.
 *
 * Every flags field rejects unknown bits with EINVAL, and every field named
 * reserved or pad must be zero, else EINVAL. A call that fails changes no
 * lock state, and writes back only the outputs its text names for that
 * error. That holds also when the results cannot be written back (EFAULT,
 * say another thread unmapped the argument while the call waited): a grant
 * made for the call is released again, an asynchronous request it queued is
 * cancelled and posts no completion (if it ended meanwhile, its completion
 * was already posted), a
 * lock set is released whole and an upgrade is undone. A downgrade by
 * CONVERT cannot be undone once others were granted: it stands, and the
 * call fails with EFAULT. Other errors every call can return:
 *
 *  ENOTTY  the number is not a lockdev ioctl, or its direction bits are not
 *          _IOC_READ|_IOC_WRITE.
 *  EFAULT  a field of the argument struct that the call reads or writes is
 *          not readable or writable. A call reads its inputs only (a value
 *          only with SET_VALUE) and writes its outputs only, but for
 *          CONVERT, which writes deadline_ns back as it read it, in the
 *          one copy of its outputs around it.
 *
 * LOCKDEV_IOC_VERSION (struct lockdev_version)
 * --------------------------------------------
 * Reports the interface the running module implements. In: flags (must be 0)
 * and reserved (must be 0). Out: abi_version, the module's release as
 * major.minor.patch, features (LOCKDEV_FEATURE_* bits; a program tests the
 * bit of each feature it needs) and name_max, the longest name in bytes.
 * Errors: EINVAL (flags or reserved not zero, size too small), E2BIG, EFAULT.
 *
 * Sessions, lockspaces and names
 * ------------------------------
 * A session owns the locks it takes: fork() shares them with the child, as
 * the open file description is shared; a thread that wants to be a separate
 * owner opens its own session. When the last reference to the session goes
 * (close, exit, kill -9) every lock it holds is released and every request
 * it has queued is cancelled.
 *
 * A session works in one lockspace. LOCKDEV_IOC_ATTACH chooses a named one;
 * a session that takes a lock without attaching works in the default
 * lockspace of its opener's uid, which only that uid can use. A named
 * lockspace is created by the first attach, owned by the caller's effective
 * uid and gid, with the permission bits given then (like a SysV IPC object):
 * read permission lets a session query the lockspace's locks, see them in
 * /proc/lockdev/locks and hold them in SHARED and NONE; write permission
 * lets it hold them in every mode, APPEND and EXCLUSIVE too, and so set
 * their values (as fcntl's read and write locks need a file open for
 * reading or writing). A session with read permission only that asks for
 * APPEND or EXCLUSIVE, by LOCK, LOCK_SET or CONVERT, fails with EACCES.
 * Permissions are taken when the session attaches. CAP_IPC_OWNER in the
 * lockspace's user namespace grants both. Lockspaces are per IPC namespace
 * and user namespace: a process in another one can neither attach to nor see
 * them, also when a new namespace takes the place (address, inode number) of
 * one that went away. A lockspace ceases to exist when no session is
 * attached, no lock of it remains and no kept deadlock report names it (a
 * session's last one, and the LOCKDEV_DEADLOCKS_KEPT of
 * /proc/lockdev/deadlocks). Its owner-died locks keep it for as
 * long as a session could attach to it; once its IPC namespace is gone, or
 * nothing but the lockspace holds its user namespace any more, they are
 * dropped (within about 10 seconds) and the lockspace with them. Default
 * lockspaces count against the uid's lockspace limit as named ones do.
 *
 * An administrator can also create a lockspace that is persistent
 * (LOCKDEV_IOC_SPACE): it exists with no session attached, so the order its
 * classes learned, their lock_stat and its idle locks stay, until it is
 * removed or its IPC namespace goes (also when nothing but the lockspace
 * holds its user namespace any more, as above).
 *
 * Lock and lockspace names are byte strings of 1 to LOCKDEV_NAME_MAX bytes;
 * a NUL byte is an ordinary byte.
 *
 * Existence: resident locks
 * -------------------------
 * A lock comes into existence when a session first asks for it (LOCK or a
 * step of LOCK_SET) and then stays resident in its lockspace after its last
 * holder and waiter have gone: it is idle, and keeps its generation, its
 * owner-died mark and its value. An idle lock is dropped only
 *
 *  - when its lockspace has more idle locks than max_idle_locks_per_space,
 *    or all lockspaces together more than max_idle_locks (module
 *    parameters): the least recently used idle lock of the lockspace goes
 *    first, and for the module-wide bound the uids whose lockspaces (those
 *    they created) have the most idle locks give up first, down to a level
 *    each of them keeps, each from its lockspaces with the most, down to a
 *    level each of those keeps, so that a uid that spreads its idle locks
 *    over many lockspaces does not push out another uid's;
 *  - when its lockspace ceases to exist.
 *
 * An idle lock marked owner-died is never dropped for a bound: it stays
 * until a holder in EXCLUSIVE calls CONSISTENT or its lockspace goes. A lock
 * held in LOCKDEV_MODE_NONE is not idle. Idle locks do not count against
 * max_locks_per_space nor any uid's limits; an owner-died one stays charged
 * as described under the module parameters.
 *
 * Generations
 * -----------
 * Every lock has a 64-bit generation, returned with each grant and query. It
 * changes whenever a holder in APPEND or EXCLUSIVE releases or downgrades.
 * A lock that comes into existence, also one dropped and asked for again,
 * gets a value no lock has had since the module loaded; it is never 0 for
 * a lock that exists. So two equal generations read at different times
 * mean that no holder in APPEND or EXCLUSIVE released the lock in between,
 * and a generation kept from before a drop compares as "changed", never as
 * "unchanged". QUERY reports 0 only for a lock that does not exist.
 *
 * Modes and the grant policy
 * --------------------------
 * LOCKDEV_MODE_SHARED (reader) is compatible with SHARED and APPEND;
 * LOCKDEV_MODE_APPEND (appender) with SHARED only; LOCKDEV_MODE_EXCLUSIVE
 * (destroyer) with nothing but NONE. LOCKDEV_MODE_NONE (null, DLM's NL) is
 * compatible with every mode and grants nothing: it holds the session's
 * interest in the lock, keeps it resident and gives a handle that CONVERT
 * takes to SHARED, APPEND or EXCLUSIVE and back, without the name. Modes
 * rank NONE < SHARED < APPEND < EXCLUSIVE. A request is granted at once only if its mode is
 * compatible with every holder and with every request already queued, so a
 * waiting EXCLUSIVE blocks new readers, and a waiting APPEND does not. When a
 * lock is released or downgraded, the queue is walked in order and each
 * request is granted if it is compatible with the holders and with every
 * earlier request still queued. Conversions (upgrades) queue ahead of every
 * new request, but a conversion from NONE is a new request: it is granted
 * at once only as a LOCK would be, else it queues behind every earlier
 * waiter, and deadlock detection and the order check treat it as a LOCK.
 *
 * Owner-died
 * ----------
 * A session that goes away holding a lock in APPEND or EXCLUSIVE marks the
 * lock owner-died. Every later grant of it reports LOCKDEV_RESULT_OWNER_DIED
 * until a holder in EXCLUSIVE calls LOCKDEV_IOC_CONSISTENT.
 *
 * The value block
 * ---------------
 * Every lock carries a value of LOCKDEV_VALUE_LEN bytes, which lives as long
 * as the lock is resident. Every grant returns it to a caller that asks with
 * the flag LOCKDEV_LOCK_VALUE (LOCK, CONVERT and each item of LOCK_SET; an
 * asynchronous grant's completion does not carry it: its holder reads it
 * with QUERY and LOCKDEV_QUERY_VALUE). A holder in APPEND or EXCLUSIVE sets it
 * with its UNLOCK or a downgrading CONVERT (flag LOCKDEV_UNLOCK_SET_VALUE,
 * LOCKDEV_CONVERT_SET_VALUE); a holder in SHARED or NONE that tries fails
 * with EPERM. The value is not valid (all zero, and a grant or QUERY that
 * asks for it says so with LOCKDEV_RESULT_VALUE_INVALID,
 * LOCKDEV_QUERY_VALUE_INVALID) from when the lock comes into existence
 * (also when it was dropped and is asked for again), and from when a holder
 * in APPEND or EXCLUSIVE goes away without unlocking (owner-died), until a
 * holder sets it. Without LOCKDEV_LOCK_VALUE a grant leaves value zero and
 * result without VALUE_INVALID.
 *
 * Cluster lockspaces
 * ------------------
 * A lockspace created with LOCKDEV_SPACE_CLUSTER (LOCKDEV_IOC_SPACE) is one
 * lockspace across the hosts of a cluster: it is backed by a lockspace of
 * the same name of the kernel's distributed lock manager (the DLM, fs/dlm,
 * with corosync and dlm_controld running), and every host that creates it
 * with the same name and cluster name shares its locks. Each lock of it is
 * backed by one DLM lock that the host holds on behalf of its sessions, in
 * the mode they need: SHARED needs the DLM's CR, APPEND PW and EXCLUSIVE
 * EX, which are compatible exactly as lockdev's modes are; NONE and idle
 * locks need nothing. A host grants a request only while its DLM lock
 * covers it, and gives the DLM lock up or down when another host asks for
 * a mode it blocks and no local holder needs it any more. While another
 * host waits for a mode, this host grants no new request that would block
 * that host, so the grant policy holds across hosts: a waiting EXCLUSIVE on
 * one host blocks new SHARED requests on every other. Across hosts the
 * order of grants is the DLM's (first come, first served per lock), within
 * a host it is the policy above.
 *
 * The generation and the value block of a lock travel with its DLM lock
 * (in the DLM's lock value block), so a grant on any host sees the value
 * the last holder in APPEND or EXCLUSIVE on any host set and a generation
 * that changed if one released in between; only a SHARED grant while
 * another host holds APPEND may see a value and generation older than the
 * appender's latest. Generations of a cluster lockspace carry a 24-bit tag
 * of the host that made them, chosen at random when the module loads, in
 * bits 40 to 63. A host that crashes or leaves the cluster loses its locks;
 * once the DLM has recovered, the next grant on another host of a lock the
 * dead host held in APPEND or EXCLUSIVE says LOCKDEV_RESULT_OWNER_DIED, and
 * its value is not valid.
 *
 * What stays per host: sessions, holders and waiters, /proc/lockdev/, LIST,
 * QUERY (which shows this host's holders and waiters only), events, the
 * learned order and the order checks, permissions and limits. Deadlock
 * detection sees this host's waits only: a cycle through two hosts is not
 * detected, and is broken only by the deadlines of its requests
 * (LOCKDEV_LOCK_DEADLINE), which every request in a cluster lockspace
 * should carry. A request with LOCKDEV_LOCK_NONBLOCK that this host could
 * grant but for its DLM lock asks the DLM without queueing and waits for
 * its answer (up to 5 seconds, as while the DLM recovers), and asks again
 * for up to 100 ms from that answer while another host gives up a DLM lock
 * that nobody there holds; it fails with EAGAIN if another host waits for
 * the lock or holds it in a mode it conflicts with, or no answer came. A
 * lock name longer than 64 bytes is known to the DLM as its first 48 bytes
 * and a 128-bit SipHash of the whole name, so two such names may share a
 * DLM lock and exclude each other. A request waits while the
 * DLM recovers from a host's death; one the DLM fails (it ran out of
 * memory, say) ends with EIO.
 *
 * LOCKDEV_IOC_ATTACH (struct lockdev_attach)
 * ------------------------------------------
 * Attaches the session to the lockspace called name, creating it with the
 * permission bits mode (at most 0777) unless flags has
 * LOCKDEV_ATTACH_NOCREATE; mode is ignored when the lockspace exists.
 * Errors: EINVAL (unknown flags, pad not zero, mode above 0777, name_len 0),
 * ENAMETOOLONG (name_len above LOCKDEV_NAME_MAX), EBUSY (the session is
 * attached already, or has used its default lockspace: a LOCK or QUERY binds
 * a session that never attached to it), ENOENT (it does not exist and
 * NOCREATE was given), EACCES (neither read nor write permission), EDQUOT
 * (the per-uid lockspace limit), ENOMEM, EFAULT.
 *
 * LOCKDEV_IOC_SPACE (struct lockdev_space_ctl)
 * --------------------------------------------
 * Creates, changes or removes the named lockspace called name in the
 * caller's IPC and user namespaces, as ATTACH names it; it works on every
 * session, attached or not, and does not attach it. op is one of:
 *
 *  LOCKDEV_SPACE_CREATE  creates a persistent lockspace with the permission
 *                        bits mode (at most 0777), owned by uid and gid (as
 *                        the caller's user namespace sees them; each
 *                        LOCKDEV_SPACE_KEEP for the caller's effective uid
 *                        or gid). It needs CAP_SYS_ADMIN in the caller's
 *                        user namespace (EPERM), and counts against the
 *                        caller's lockspace limit as ATTACH's do (EDQUOT).
 *                        EEXIST if it exists. Its order mode default is
 *                        order_mode, or strict for 0. flags is 0 or
 *                        LOCKDEV_SPACE_REPLACE: then a transient
 *                        lockspace of the name (one that ATTACH created,
 *                        or SET made transient) is removed as REMOVE with
 *                        LOCKDEV_SPACE_FORCE removes it, and the new one
 *                        takes its name in the same step, so that nobody
 *                        can create the name in between; a persistent one
 *                        still gives EEXIST. Or flags is
 *                        LOCKDEV_SPACE_CLUSTER: the lockspace is a cluster
 *                        lockspace (see Cluster lockspaces), joined to
 *                        the DLM lockspace of its name in the cluster
 *                        named by the cluster_len bytes at cluster (as
 *                        corosync's totem.cluster_name), which needs
 *                        LOCKDEV_SPACE_CTL_SIZE_VER2, CAP_SYS_ADMIN in the
 *                        initial user namespace and the caller in the
 *                        initial IPC namespace (EPERM), a name of at most
 *                        LOCKDEV_CLUSTER_SPACE_NAME_MAX bytes without a
 *                        NUL byte (ENAMETOOLONG, EINVAL), and the DLM: EOPNOTSUPP if the kernel
 *                        has none, ENOTCONN if this host is not in a
 *                        cluster (no dlm_controld), EBADR if the cluster
 *                        is named otherwise, EEXIST if this host has a
 *                        DLM lockspace of the name already. It may wait
 *                        for the cluster's other hosts to admit this one.
 *                        REMOVE of a cluster lockspace leaves the DLM
 *                        lockspace once its last session is gone.
 *  LOCKDEV_SPACE_SET     sets mode, uid and gid, each unless it is
 *                        LOCKDEV_SPACE_KEEP, and the order mode default
 *                        to order_mode unless it is 0. With
 *                        LOCKDEV_SPACE_PERSISTENT in flags the
 *                        lockspace becomes persistent, which
 *                        needs CAP_SYS_ADMIN in the caller's user namespace
 *                        (EPERM); with LOCKDEV_SPACE_TRANSIENT it no
 *                        longer is, and ceases as any lockspace does (its
 *                        idle locks go when no session is attached). The
 *                        new permissions apply to sessions that attach
 *                        later; attached ones keep theirs.
 *  LOCKDEV_SPACE_REMOVE  takes the lockspace out of its namespace: a later
 *                        ATTACH of the name creates a new, empty lockspace.
 *                        It fails with EBUSY while a session is attached,
 *                        unless flags has LOCKDEV_SPACE_FORCE; mode, uid
 *                        and gid are ignored. Its idle locks go at once,
 *                        and so does each lock its sessions release from
 *                        then on. The removed lockspace ceases when its
 *                        last session goes, its owner-died locks with it
 *                        (the collector runs at once).
 *  LOCKDEV_SPACE_LEVEL   declares that the locks whose names start with
 *                        the prefix_len bytes at prefix (1 to
 *                        LOCKDEV_NAME_MAX) are at level, or with level 0
 *                        removes that declaration (ENOENT if there is
 *                        none). Declaring a prefix again changes its
 *                        level; a lockspace has at most
 *                        LOCKDEV_SPACE_LEVELS_MAX declarations (ENOSPC).
 *                        flags and order_mode must be 0; mode, uid and
 *                        gid are ignored.
 *
 * Only LEVEL takes level, prefix and prefix_len; the other ops need them
 * 0 (EINVAL), and REMOVE needs order_mode 0 too. Only CREATE with
 * LOCKDEV_SPACE_CLUSTER takes cluster and cluster_len; the others need
 * them 0 (EINVAL). pad and pad2 must be 0. order_mode is 0 or a
 * LOCKDEV_ORDER_* (EINVAL otherwise). The struct's first size,
 * LOCKDEV_SPACE_CTL_SIZE_VER0, ends before prefix_len, so LEVEL needs
 * LOCKDEV_SPACE_CTL_SIZE_VER1; LOCKDEV_SPACE_CTL_SIZE_VER1 ends before
 * cluster.
 *
 * Order mode default: a session that attaches to a named lockspace starts
 * in the lockspace's order mode default as it is then, unless it has set a
 * mode with LOCKDEV_IOC_SET_ORDER before; a session in a default lockspace
 * starts strict. Changing the default does not change attached sessions.
 *
 * Declared levels: a LOCK, or an item of LOCK_SET, whose level is 0 gets
 * the level of the longest declared prefix of its name in the session's
 * lockspace (0 still if none is), and is from then on checked, reported
 * and listed as if it had been asked at that level: in the order, in
 * /proc, events, LIST and DEADLOCK. A request with a level above 0 keeps
 * it. A conversion keeps its request's level. Declarations apply to
 * requests made after the call.
 *
 * A uid or gid given to CREATE or SET must map into the caller's user
 * namespace (EINVAL); one other than the caller's effective uid, or a group
 * the caller is not in, needs CAP_CHOWN in that namespace (EPERM), unless
 * SET leaves it as it is. A default lockspace cannot be named, so cannot
 * be changed.
 *
 * Forced removal: every request waiting for a lock of the lockspace (a
 * blocking LOCK, CONVERT or LOCK_SET, an asynchronous LOCK) ends with
 * EIDRM (an upgrade stays held in its old mode; an asynchronous request
 * posts its completion with result -EIDRM), and from then on LOCK,
 * LOCK_SET, CONVERT, CONSISTENT and QUERY of every session attached to it
 * fail with EIDRM, whatever their arguments. UNLOCK, CANCEL, LIST,
 * DEADLOCK, SET_ORDER, read(), poll() and close() work as before, so a
 * session can still release what it holds. A call already past its check
 * when the lockspace was removed may still be granted without waiting.
 * An event LOCKDEV_EVENT_SPACE_REMOVED is sent.
 *
 * SET, REMOVE and LEVEL need the caller's effective uid to be the owner,
 * or CAP_SYS_ADMIN in the lockspace's user namespace (EPERM).
 *
 * Errors: EINVAL (unknown op, flags the op does not take, PERSISTENT with
 * TRANSIENT, CLUSTER with REPLACE, pad or pad2 not zero, mode above 0777
 * and not KEEP for SET, name_len 0, a uid or gid that does not map, an
 * unknown order_mode, order_mode on REMOVE or LEVEL, level, prefix or
 * prefix_len on another op than LEVEL, prefix_len 0 on LEVEL, cluster or
 * cluster_len without CLUSTER, CLUSTER with a size below VER2, cluster_len
 * 0, a NUL byte in the name or cluster name of a cluster lockspace),
 * ENAMETOOLONG (name_len or prefix_len above LOCKDEV_NAME_MAX; for CLUSTER,
 * name_len above LOCKDEV_CLUSTER_SPACE_NAME_MAX or cluster_len above
 * LOCKDEV_CLUSTER_NAME_MAX), ENOENT
 * (no lockspace of that name: SET, REMOVE, LEVEL; no declaration of the
 * prefix: LEVEL with level 0), EEXIST (CREATE), EPERM, EBUSY, EDQUOT,
 * ENOSPC (LEVEL: a new prefix beyond LOCKDEV_SPACE_LEVELS_MAX), EOPNOTSUPP,
 * ENOTCONN, EBADR (CLUSTER), ENOMEM, EFAULT (also prefix or cluster not
 * readable).
 *
 * LOCKDEV_IOC_LOCK (struct lockdev_lock)
 * --------------------------------------
 * Asks for the lock called name in mode at level (0 = unranked). Without
 * flags the call waits until the lock is granted. On success it returns 0 and
 * fills handle (the grant's name for UNLOCK, CONVERT and CONSISTENT, unique
 * within the session: a handle that ended is never valid again), generation,
 * result (LOCKDEV_RESULT_* bits) and value. A request in NONE is always
 * granted at once.
 * Flags:
 *  LOCKDEV_LOCK_NONBLOCK  fail with EAGAIN instead of waiting.
 *  LOCKDEV_LOCK_DEADLINE  wait at most until deadline_ns, an absolute
 *                         CLOCK_MONOTONIC time, then fail with ETIMEDOUT.
 *                         A call restarted after a signal keeps the deadline.
 *                         A deadline_ns of 2^63 - 1 or more is no deadline:
 *                         the request waits as without DEADLINE.
 *  LOCKDEV_LOCK_ASYNC     never wait: if the lock is not granted at once the
 *                         request is queued, the call returns 0 with
 *                         LOCKDEV_RESULT_QUEUED in result and the handle the
 *                         grant will have, and a struct lockdev_completion
 *                         carrying user_data is read() from the session when
 *                         the request ends (granted, timed out at
 *                         deadline_ns with DEADLINE, cancelled, or failed).
 *                         poll() reports EPOLLIN while completions wait.
 *  LOCKDEV_LOCK_VALUE     return the lock's value block with the grant.
 * NONBLOCK cannot be combined with DEADLINE or ASYNC.
 * When the call fails with EAGAIN or ETIMEDOUT and entries is not 0, the
 * holders and waiters that blocked it are written to the array of
 * nr_entries struct lockdev_entry at entries, and nr_entries is set to how
 * many there were (which may exceed the array's length). A holder is
 * reported in the mode it holds, with state LOCKDEV_STATE_HELD; a waiter in
 * the mode it asks for, with state waiting, or converting for an upgrade
 * (whose session then appears once as a holder and once as a waiter).
 * A request at level 0 takes its name's declared level, if its lockspace
 * declares one (LOCKDEV_IOC_SPACE). A request at a level above 0 is
 * checked against the session's order mode (LOCKDEV_IOC_SET_ORDER) before
 * it is granted or queued; a request in NONE is not, as its conversion
 * from NONE is.
 * Errors: EINVAL (unknown flags or mode, bad combination, pad or reserved not
 * zero, name_len 0), ENAMETOOLONG, EALREADY (the session already holds or
 * awaits this lock: use CONVERT; found before the order is checked or a
 * class edge learned, so such a request breaks no order and teaches
 * nothing, unless another thread of the session asks for the lock at the
 * same time), EAGAIN, ETIMEDOUT, EINTR (a signal arrived;
 * with SA_RESTART the call restarts by itself), EDEADLK (result says why:
 * LOCKDEV_RESULT_CYCLE, waiting would close a cycle of sessions waiting for
 * each other; LOCKDEV_RESULT_ORDER, the request breaks the lock order in
 * strict mode; LOCKDEV_IOC_DEADLOCK tells the rest), EACCES (APPEND or
 * EXCLUSIVE without write permission on the lockspace), ENOSPC (the
 * lockspace's lock limit), EDQUOT (the uid's lock or waiter limit, or its
 * room for handles; for ASYNC, also its limit of unread completions; for a
 * session's first lock in its default lockspace, the uid's lockspace
 * limit), ENOMEM, EFAULT. An asynchronous request whose wait would close a
 * cycle is queued and completes at once with EDEADLK and
 * LOCKDEV_RESULT_CYCLE in the completion's flags.
 *
 * LOCKDEV_IOC_UNLOCK (struct lockdev_unlock)
 * ------------------------------------------
 * Releases the lock given by handle, or by name when handle is 0; a pending
 * upgrade of it is cancelled. With LOCKDEV_UNLOCK_SET_VALUE the lock's value
 * becomes value (and valid) as it is released. Errors: EINVAL (both or
 * neither of handle and name, unknown flags), ENAMETOOLONG, ENOLCK (the
 * session does not hold it; a request still queued is cancelled with
 * CANCEL), EPERM (SET_VALUE, but not held in APPEND or EXCLUSIVE; the lock
 * stays held), EFAULT.
 *
 * LOCKDEV_IOC_CONVERT (struct lockdev_convert)
 * --------------------------------------------
 * Changes the mode of a held lock, given by handle or by name, to mode. A
 * downgrade (to a lower rank) is immediate and wakes the waiters it
 * unblocks; with LOCKDEV_CONVERT_SET_VALUE, a downgrade from APPEND or
 * EXCLUSIVE sets the lock's value to value first. An upgrade waits, queued
 * ahead of new requests, under the NONBLOCK and DEADLINE flags of LOCK; an
 * upgrade from NONE queues as a new request does (see the grant policy).
 * While an upgrade waits the lock stays held in its old mode. Converting to
 * the held mode succeeds at once. Fills generation, result and value as
 * LOCK does.
 * Errors: EINVAL, ENAMETOOLONG, ENOLCK, EBUSY (an upgrade of this lock is
 * pending already), EAGAIN, ETIMEDOUT, EINTR, EDEADLK (two sessions would
 * wait for each other, as two readers upgrading one lock do: one of them is
 * told, with LOCKDEV_RESULT_CYCLE in result), ECANCELED (the lock was
 * released by another thread of the session while the upgrade waited),
 * EDQUOT (a waiting upgrade is a queued request: the uid's waiter limit),
 * EPERM (SET_VALUE on an upgrade, or from SHARED or NONE), EACCES (to
 * APPEND or EXCLUSIVE without write permission on the lockspace), EFAULT. A
 * conversion is not a new acquisition: the order is not checked, except
 * for a conversion from NONE, which is checked as a LOCK at the request's
 * level (EDEADLK with LOCKDEV_RESULT_ORDER in strict mode) once nothing
 * else fails it: one that fails with EBUSY, ENOLCK or EPERM is neither
 * checked nor teaches learned order anything (unless another thread of
 * the session changed the request while it was checked).
 *
 * LOCKDEV_IOC_CANCEL (struct lockdev_cancel)
 * ------------------------------------------
 * Cancels the queued asynchronous request handle; its completion reports
 * ECANCELED. Errors: EINVAL (flags or pad not zero), ENOENT (no queued
 * request has that handle: it may have completed already), EFAULT.
 *
 * LOCKDEV_IOC_CONSISTENT (struct lockdev_consistent)
 * --------------------------------------------------
 * Clears owner-died on a lock the session holds in EXCLUSIVE, given by handle
 * or by name. Errors: EINVAL, ENAMETOOLONG, ENOLCK (not held), EPERM (held,
 * but not in EXCLUSIVE), EFAULT.
 *
 * LOCKDEV_IOC_QUERY (struct lockdev_query)
 * ----------------------------------------
 * Reports the lock called name in the session's lockspace: its holders and
 * waiters in queue order (holders first) into the array at entries, as LOCK
 * does on EAGAIN, its generation (0 if the lock does not exist) and
 * lock_flags (LOCKDEV_QUERY_OWNER_DIED; LOCKDEV_QUERY_IDLE, it exists
 * but nobody holds or awaits it). With LOCKDEV_QUERY_VALUE in flags it also
 * fills value, and sets LOCKDEV_QUERY_VALUE_INVALID in lock_flags when the
 * value is not valid. A session that has no lockspace yet is bound
 * to its default one, as by LOCK. Errors: EINVAL, ENAMETOOLONG, EACCES (no
 * read permission), EDQUOT (that default lockspace would pass the uid's
 * lockspace limit), ENOMEM, EFAULT.
 *
 * LOCKDEV_IOC_LIST (struct lockdev_list)
 * --------------------------------------
 * Reports the session's own locks and queued requests into the array of
 * nr_entries struct lockdev_held at entries, and sets nr_entries to how many
 * there are. Errors: EINVAL, EFAULT.
 *
 * LOCK, QUERY and LIST write at most LOCKDEV_ENTRIES_MAX entries per call;
 * nr_entries still reports how many there are.
 *
 * Order
 * -----
 * Every request carries a level; 0 is unranked. The order: a session may
 * take a lock at level L > 0 only if every lock it holds or awaits at a
 * level above 0 has a level below L, or has level L and a name that sorts
 * before the new name (bytes compared as unsigned, a prefix first).
 * Unranked requests are never checked and never count, nor are requests
 * and holds in NONE, which grant nothing (a conversion from NONE is checked
 * as a new request). Taking locks only in this order makes a deadlock among
 * them impossible.
 *
 * LOCKDEV_IOC_SET_ORDER (struct lockdev_order)
 * --------------------------------------------
 * Sets the session's order mode to mode, or leaves it when mode is 0, and
 * returns the mode it had in old_mode. A session starts strict, or in its
 * lockspace's order mode default (LOCKDEV_IOC_SPACE) once it attaches,
 * unless it set a mode before. LOCKDEV_ORDER_STRICT:
 * a request that breaks the order fails with EDEADLK and
 * LOCKDEV_RESULT_ORDER. LOCKDEV_ORDER_WARN: it is granted or queued as
 * usual, with LOCKDEV_RESULT_ORDER in its result, and counted and recorded
 * as a strict failure is. LOCKDEV_ORDER_OFF: nothing is checked. Either way
 * LOCKDEV_IOC_DEADLOCK then names the held lock that was in the way.
 * Errors: EINVAL (mode unknown, flags or pad not zero), EFAULT.
 *
 * LOCKDEV_IOC_LOCK_SET (struct lockdev_lock_set)
 * ----------------------------------------------
 * Takes up to LOCKDEV_SET_MAX locks all or nothing. items points to
 * nr_items structs of item_size bytes each (the size rules above apply to
 * each item: LOCKDEV_SET_ITEM_SIZE_VER0 at least). Items with the same name
 * are one request in the strongest of their modes; they must have the same
 * level. The requests are sorted into the order (level, then name; unranked
 * ones by name, first) and taken in turn, each waiting as LOCK does under
 * the set's flags (LOCKDEV_LOCK_NONBLOCK or LOCKDEV_LOCK_DEADLINE, whose
 * deadline_ns bounds the whole set; LOCKDEV_LOCK_VALUE fills each item's
 * value, for item_size LOCKDEV_SET_ITEM_SIZE_VER1 or more). On success every item's handle,
 * generation and result are filled as LOCK fills them (items that were
 * merged get the same handle) and failed is LOCKDEV_SET_NONE. On failure
 * the locks the call took are released again (a release from APPEND or
 * EXCLUSIVE changes a generation, as always), failed is the index of the
 * item that failed (for a bad item too), or LOCKDEV_SET_NONE when no
 * single item did, and result carries LOCKDEV_RESULT_ORDER or
 * LOCKDEV_RESULT_CYCLE on EDEADLK. The outputs of the items are written
 * only on success; their input values are ignored. An empty set succeeds
 * and does nothing.
 * Errors: EINVAL (unknown flags, ASYNC, NONBLOCK with DEADLINE, pad not
 * zero, item_size too small; in an item: unknown mode, name_len 0, or a
 * level differing from that of an earlier item with the same name, the
 * levels as declared levels make them), E2BIG
 * (nr_items above LOCKDEV_SET_MAX; item_size above 4096 or an item's
 * unknown bytes not zero), ENAMETOOLONG, and every error of
 * LOCK but EINTR, which ends the set with every lock released and, with
 * SA_RESTART, restarts it whole.
 *
 * LOCKDEV_IOC_DEADLOCK (struct lockdev_deadlock)
 * ----------------------------------------------
 * Reports the session's last EDEADLK, or last order violation in warn
 * mode: reason (LOCKDEV_RESULT_CYCLE or LOCKDEV_RESULT_ORDER, 0 if there was
 * none), handle (the request's handle, 0 if it got none), age_ns (how long
 * ago), and up to nr_members struct lockdev_cycle_member at members;
 * nr_members is set to how many there are (at most LOCKDEV_CYCLE_MAX are
 * kept). For a cycle, member 0 is the session itself; each member waits for
 * wait_name, which the next member (the first after the last) holds, or has
 * queued ahead of it when flags has LOCKDEV_MEMBER_QUEUED, in held_mode:
 * so each member's held_name is the previous member's wait_name. Member 0
 * waits with the refused request, or, when an upgrade closes the cycle by
 * queueing ahead of a waiter, maybe with another request of the session,
 * which the cycle runs through (its wait_name then names that lock). For an
 * order violation there is one member, the session, with held_name the
 * held lock the request conflicts with and wait_name the lock it asked.
 * Errors: EINVAL (flags or pad not zero), ENOMEM, EFAULT.
 *
 * read() and poll()
 * -----------------
 * read() returns whole struct lockdev_completion records, as many as fit,
 * oldest first; a buffer smaller than one record fails with EINVAL. Without
 * completions it waits, or fails with EAGAIN on a non-blocking descriptor.
 * poll() reports EPOLLIN | EPOLLRDNORM while completions are ready.
 *
 * /proc/lockdev/locks
 * -------------------
 * The first line is "# lockdev locks N" and names the format version,
 * LOCKDEV_PROC_LOCKS_VERSION; the second, also starting "# ", names the
 * columns. Then one line per holder and per waiter, fields separated by one
 * space; in names and comms every byte outside 0x21-0x7e, the backslash and
 * the tilde are written as a backslash and three octal digits. An idle lock
 * marked owner-died has one line too, state owner-died (below). A lock is
 * listed once per read of the file from its start, however the table
 * changes meanwhile:
 *
 *   lockspace name level mode state pid comm age_ms owner_died generation
 *   waits_for session
 *
 * lockspace is the name, or "~UID" for a uid's default lockspace (so a named
 * lockspace never starts with a bare "~"). mode is none, shared, append or
 * exclusive; state is held, waiting or converting (a waiting upgrade, whose
 * mode is the one it asks for). pid is the process that asked, as the
 * reader's pid namespace sees it (0 if it cannot, or if it has exited; the
 * processes that have the session open now are named by their
 * /proc/PID/fdinfo, whose "lockdev_session:" line gives the id); comm is
 * its comm, or "-" once it has exited; age_ms is how long held or waiting;
 * owner_died is 0 or 1; waits_for is a comma-separated list of the pids of
 * the holders and earlier waiters the line's request waits for (each as
 * pid would show it, so 0 for one that has exited), or "-": at
 * most LOCKDEV_PROC_WAITS_FOR_MAX of them, and then "..." as the last
 * element when there are more (the netlink dump lists more);
 * session is the session's id (also the "lockdev_session:" line of the
 * session's /proc/PID/fdinfo, after which "lockdev_lockspace:" names its
 * lockspace as this file does, or "-"). The line of an idle owner-died lock has
 * mode "-", state owner-died, pid 0, comm "-", age_ms how long it has been
 * idle, owner_died 1, waits_for "-" and session 0. A reader sees the
 * lockspaces of its own namespaces that it has read permission for; a
 * reader with CAP_SYS_ADMIN in the initial user namespace,
 * in the initial IPC namespace (the host's root), sees all. As for
 * /proc/PID files, the reader is the task that opened the file: its
 * credentials and its IPC and pid namespaces at open(), whoever reads the
 * descriptor later. The same holds for every file of /proc/lockdev/. A
 * descriptor of locks, spaces, levels, order or lock_stat, whose reads go
 * on where the last one stopped, counts as a session of its opener's uid
 * against max_sessions_per_user while open (open() fails with EDQUOT
 * beyond), and so does a GET_LOCKS dump until it ends.
 *
 * /proc/lockdev/spaces
 * --------------------
 * The first line is "# lockdev spaces N", the format version,
 * LOCKDEV_PROC_SPACES_VERSION; the second, "# " and the column names. Then
 * one line per lockspace the reader could see in /proc/lockdev/locks,
 * fields separated by one space:
 *
 *   lockspace uid gid mode sessions locks idle state order
 *
 * lockspace is the name as /proc/lockdev/locks shows it ("~UID" for a uid's
 * default lockspace); uid and gid are its owner's, as the reader's user
 * namespace sees them (the overflow uid or gid if it cannot); mode is its
 * permission bits, four octal digits; sessions counts the sessions
 * attached to it; locks its locks that are held, awaited or owner-died;
 * idle its idle locks kept resident; state is persistent (LOCKDEV_IOC_SPACE),
 * removed (by LOCKDEV_IOC_SPACE, while sessions or locks keep it) or
 * transient (every other one); order is its order mode default, strict,
 * warn or off (LOCKDEV_IOC_SPACE). A lockspace is listed once per read of
 * the file from its start, however the table changes meanwhile.
 *
 * /proc/lockdev/levels
 * --------------------
 * The declared levels (LOCKDEV_SPACE_LEVEL). The first line is
 * "# lockdev levels N", the format version, LOCKDEV_PROC_LEVELS_VERSION;
 * the second, "# " and the column names. Then one line per declaration of
 * the lockspaces the reader sees in /proc/lockdev/spaces, a lockspace's
 * in the order of their prefixes (as names sort in the order), fields
 * separated by one space, the prefix escaped as names are:
 *
 *   lockspace prefix level
 *
 * /proc/lockdev/stats
 * -------------------
 * One "name value" pair per line, values in decimal. The first line is
 * "version N", the version of this format; names are only ever added, at the
 * end, and keep their meaning:
 *
 *  version          format version, LOCKDEV_PROC_STATS_VERSION
 *  sessions         sessions open now
 *  sessions_opened  sessions opened since the module was loaded
 *  lockspaces       lockspaces that exist now
 *  locks            locks that exist now
 *  holders          grants held now
 *  waiters          requests waiting now
 *  grants           grants since load
 *  contended        grants that had to wait
 *  timeouts         requests that timed out
 *  cancels          requests cancelled (CANCEL, signals, session release)
 *  eagains          NONBLOCK requests that failed with EAGAIN
 *  deadlocks        requests that failed with EDEADLK
 *  owner_deaths     locks marked owner-died
 *  memory           bytes the module has allocated for sessions, lockspaces,
 *                   locks and requests
 *  cycles           requests that failed with EDEADLK for a cycle
 *  order_violations requests that broke the order (strict and warn)
 *  inversions       learned-order inversions found
 *  classes          lock classes known now
 *  class_edges      learned-order edges known now
 *  order_full       classes or edges not recorded for want of room
 *  events           events queued for netlink listeners
 *  events_dropped   events dropped: the queue was full or memory short
 *  idle_locks       resident locks that nobody holds or awaits and that are
 *                   not owner-died (locks counts the others)
 *  idle_dropped     idle locks dropped for a bound since load
 *  handed_over      UNLOCKs and downgrading CONVERTs of a lock with
 *                   waiters that found the lockspace's deadlock detector
 *                   busy and handed the grant of the waiters to it rather
 *                   than wait for it
 *  idle_cuts        cuts of one lockspace's idle locks for a bound, each
 *                   dropping one or more of them down to what it keeps
 *
 * /proc/lockdev/deadlocks
 * -----------------------
 * Up to LOCKDEV_DEADLOCKS_KEPT recent deadlocks and order violations,
 * oldest first, of which at most LOCKDEV_DEADLOCKS_KEPT_PER_USER are of one
 * uid (the uid, as the per-uid limits count it, of the session that got
 * the EDEADLK or broke the order). A report of a uid that has that many
 * pushes out the oldest of its own. Once LOCKDEV_DEADLOCKS_KEPT are kept,
 * any other pushes out the oldest report of the uid that would then keep
 * the most, itself included (of uids that tie, the one whose oldest report
 * is oldest): so no uid pushes out a report of one that keeps fewer, and
 * one user's reports, or several users' together, cannot push out those
 * of a user that keeps fewer than each of them. The first line is
 * "# lockdev deadlocks N", the format version; the second names the
 * columns. Then one line per member, escaped as in /proc/lockdev/locks:
 *
 *   seq lockspace reason age_ms member pid comm held_mode held_level
 *   held_name wait_mode wait_level wait_name
 *
 * seq numbers the reports since load; reason is cycle or order; member
 * counts from 0 as LOCKDEV_IOC_DEADLOCK's members do; held_mode is shared,
 * append or exclusive, with "queued-" before it for a request queued ahead.
 * A reader sees the reports of the lockspaces it could see in
 * /proc/lockdev/locks. Writing "0", with or without a newline, drops every
 * kept report, as for /proc/lockdev/lock_stat (below); each session's last
 * report stays.
 *
 * Lock classes and learned order
 * ------------------------------
 * The class of a name "class:instance" is the bytes before its first
 * colon; a name without a colon, or whose first byte is one, has no class.
 * Across all sessions of a lockspace, when a session asks for a lock of
 * class B (LOCK, or a step of LOCK_SET) while it holds or awaits a lock of
 * class A (A other than B), the module learns the edge A -> B. A hold in
 * NONE, which grants nothing, neither teaches nor counts as held: a
 * conversion from NONE asks for its lock, and a LOCK in NONE does not; nor
 * does a LOCK of a lock the session already has (EALREADY). A new edge
 * that closes a cycle of edges is an inversion: a potential deadlock,
 * recorded even though nothing deadlocked. Classes and edges live as long
 * as their lockspace, or, once it is removed, until no session is attached
 * to it (the collector drops them at once). They are
 * budgeted per lockspace (max_classes_per_space,
 * max_class_edges_per_space), over the lockspaces one uid created
 * (max_classes_per_user, max_class_edges_per_user; SET of another owner
 * does not move them), so that one user's lockspaces cannot use up the
 * budget of another's, and over all lockspaces (max_classes,
 * max_class_edges); every session that may lock in a lockspace teaches it
 * classes and edges, charged to those budgets. What does not fit is
 * counted in order_full (a lock whose class does not fit has none). Of the
 * classes a session holds or awaits at once, 8 are remembered for
 * learning: while 8 are, the locks of a further class teach no edge until
 * one of the 8 is no longer held.
 *
 * /proc/lockdev/order
 * -------------------
 * First line "# lockdev order N", the format version; second line
 * "# classes N/MAX edges N/MAX inversions N" with " full" appended once
 * something did not fit since the module was loaded (the counts are over
 * all lockspaces: classes and edges that exist, inversions found since
 * load); third line names the columns of both kinds of line, "# " then the
 * edge line's and the inversion line's separated by " | ". Then one line
 * per edge, in the order learned, then one per inversion, in the order
 * found, fields separated by one space and escaped as in
 * /proc/lockdev/locks:
 *
 *   edge lockspace from to count age_ms pid comm from_name to_name
 *   inversion lockspace from to age_ms pid comm from_name to_name
 *             pid2 comm2 from_name2 to_name2
 *
 * An edge line gives how often the edge was taken and its first example:
 * how long ago, the process (its pid as the reader's pid namespace sees it,
 * 0 if it cannot), the lock of class from it held and the lock of class to
 * it asked. An inversion line gives the edge that closed the cycle
 * (from -> to) with its example, then the example of the edge leaving to on
 * the way back to from (to_name2 belongs to the next class on that path,
 * which is from itself in a cycle of two). A reader sees the edges and
 * inversions of the lockspaces it could see in /proc/lockdev/locks.
 *
 * /proc/lockdev/lock_stat
 * -----------------------
 * First line "# lockdev lock_stat N", the format version; second line
 * names the columns; then one line per class of the lockspaces the reader
 * could see in /proc/lockdev/locks:
 *
 *   lockspace class acquisitions contentions wait_total_ns wait_max_ns
 *   hold_total_ns hold_max_ns
 *
 * acquisitions counts grants of locks of the class (a conversion is not
 * one), contentions the grants that waited; waits run from queueing to
 * grant, holds from grant to release and count at the release; both are in
 * nanoseconds of the kernel's local_clock(), as the kernel's own lock_stat
 * has them, so that a wait or hold that starts on one CPU and ends on
 * another may read up to a scheduler tick short or long. Writing "0",
 * with or without a newline, resets every counter of every class. Only a
 * task that sees every lockspace may (CAP_SYS_ADMIN in the initial user
 * namespace, in the initial IPC namespace), both the one that opened the
 * file and the one that writes; the file's mode, 0644, lets only root
 * open it for writing (EACCES), and a write fails with EPERM when either
 * task may not, say root of a container, or a service in an IPC namespace
 * of its own; anything but "0" written fails with EINVAL.
 *
 * Events over generic netlink
 * ----------------------------
 * The module registers the generic netlink family LOCKDEV_GENL_NAME,
 * version LOCKDEV_GENL_VERSION, in every network namespace (looking the
 * family up loads the module). Its attributes are the LOCKDEV_A_* below;
 * u64 values are padded with LOCKDEV_A_PAD. Names are bytes (not
 * NUL-terminated), comms are NUL-terminated strings, and lockspace is the
 * name exactly as /proc/lockdev/locks shows it to the caller, escaped
 * ("~UID" for a uid's default lockspace, the uid as the caller's user
 * namespace sees it), so that the two kinds never read alike.
 *
 * A caller sees the lockspaces it could see in /proc/lockdev/locks (those
 * of its IPC and user namespaces that it may read, or all for the host's
 * root), with pids as its pid namespace sees them (0 for a process outside
 * it); a caller with CAP_NET_ADMIN in the initial user namespace, whose
 * socket's opener has it too, sees every lockspace. For a dump, the caller
 * is the task that sent its first request; for a subscription, the task
 * that subscribed.
 *
 * Events come two ways; each is one LOCKDEV_CMD_EVENT message per event:
 *  - The multicast group LOCKDEV_GENL_MCGRP_EVENTS carries the events of
 *    every lockspace, with pids as the initial pid namespace sees them, in
 *    the initial network namespace only (members in another get nothing).
 *    Joining it needs CAP_NET_ADMIN in the user namespace that owns the
 *    socket's network namespace, for the initial one the initial user
 *    namespace (EPERM otherwise), since lock names are mailbox and user
 *    names.
 *  - LOCKDEV_CMD_SUBSCRIBE, in any network namespace, subscribes the socket
 *    that sends it: from then on the module sends it, unicast, the events
 *    of the lockspaces the socket's opener could see (its credentials, the
 *    IPC namespace of the task that subscribes), rendered for the
 *    subscribing task as above, until LOCKDEV_CMD_UNSUBSCRIBE from the same
 *    socket or until the socket is closed. Both need CAP_NET_ADMIN in the
 *    user namespace that owns the socket's network namespace (EPERM), in
 *    the sending task and in the socket's opener; SUBSCRIBE also needs it
 *    in the opener's own user namespace (EPERM). A GET_LOCKS dump, too,
 *    shows what the socket's opener may see. SUBSCRIBE fails with EEXIST if
 *    the socket is subscribed already, EDQUOT if the opener's uid (counted
 *    as the per-uid limits count it, see the module parameters below) has
 *    LOCKDEV_SUBSCRIBERS_PER_USER subscribed sockets, ENOSPC if
 *    LOCKDEV_SUBSCRIBERS_MAX sockets are subscribed in all; these limits
 *    do not apply to, and subscribers do not count against them with,
 *    CAP_NET_ADMIN in the initial user namespace (who may join the group
 *    anyway). UNSUBSCRIBE fails with ENOENT if the
 *    socket is not subscribed. A socket that is subscribed and a member of
 *    the group gets the events twice.
 * Every event has LOCKDEV_A_EVENT (u32, the kind) and LOCKDEV_A_LOCKSPACE:
 *
 *  LOCKDEV_EVENT_DEADLOCK     a request failed with EDEADLK for a cycle:
 *                             LOCKDEV_A_MEMBER, once per member in the
 *                             order of LOCKDEV_IOC_DEADLOCK, each a nest of
 *                             SESSION, PID, COMM, FLAGS, HELD_NAME,
 *                             HELD_MODE, HELD_LEVEL, NAME, MODE and LEVEL
 *                             (NAME, MODE and LEVEL: the lock awaited).
 *  LOCKDEV_EVENT_ORDER        a request broke the order: ORDER_MODE (strict
 *                             or warn) and one LOCKDEV_A_MEMBER as above,
 *                             the held lock in its way and the lock asked.
 *  LOCKDEV_EVENT_INVERSION    a learned-order inversion: two LOCKDEV_A_EDGE
 *                             nests, the edge that closed the cycle and the
 *                             one leaving its target on the way back, each
 *                             CLASS_FROM, CLASS_TO, PID, COMM, HELD_NAME
 *                             (the lock of class from) and NAME (the lock
 *                             of class to).
 *  LOCKDEV_EVENT_OWNER_DIED   NAME, MODE (the mode held), SESSION, PID and
 *                             COMM (the process that had taken it) and
 *                             GENERATION (the lock's new one).
 *  LOCKDEV_EVENT_HELD_LONG    a lock held longer than the held threshold,
 *  LOCKDEV_EVENT_WAITED_LONG  or awaited longer than the wait threshold:
 *                             NAME, MODE, STATE, LEVEL, SESSION, PID, COMM
 *                             and AGE_NS, how long so far. Each holding and
 *                             each wait is reported at most once.
 *  LOCKDEV_EVENT_SPACE_REMOVED the lockspace was removed with
 *                             LOCKDEV_SPACE_FORCE (LOCKDEV_IOC_SPACE): no
 *                             attribute but the two above.
 *
 * Events are queued without sleeping and sent from a work item. Each event
 * counts against a uid until it is sent, the one the per-uid limits count
 * (see the module parameters): that of the session's opener whose call or
 * end caused it, or that held or waited too long (for SPACE_REMOVED, the
 * lockspace's creator). A uid's further events are
 * dropped while LOCKDEV_EVENTS_QUEUED_PER_USER of its own are unsent. An
 * event that finds LOCKDEV_EVENTS_QUEUED waiting takes the place of the
 * newest event of the uid with the most waiting, if that uid has more than
 * the event's own (this one counted); else it is dropped. Every dropped
 * event is counted (events_dropped in /proc/lockdev/stats), as is an event
 * whose copy for a subscriber finds memory short. So uids that cause
 * thousands of events at once, sessions closed with thousands of locks
 * held in EXCLUSIVE say, lose their own events, not those of a uid with
 * fewer waiting, however many uids they are. A dropped HELD_LONG or
 * WAITED_LONG is not sent later. A listener that reads too slowly loses
 * the events its socket has no room for, and its next read fails with
 * ENOBUFS; netlink does not tell the module of a member's losses. A
 * subscriber also loses the events sent while an ENOBUFS is pending on its
 * socket, whatever set it.
 *
 * Every command checks its request strictly: genlmsghdr.reserved must be
 * 0, nlmsg_flags may have only NLM_F_REQUEST, NLM_F_ACK, NLM_F_ECHO and
 * NLM_F_DUMP, and attributes must be ones the command takes; EINVAL
 * otherwise.
 *
 * Commands:
 *  LOCKDEV_CMD_GET_LOCKS      dump: one message per holder and waiter, the
 *                             lines of /proc/lockdev/locks: LOCKSPACE, NAME,
 *                             LEVEL, MODE, STATE, SESSION, PID, COMM,
 *                             AGE_NS, OWNER_DIED (u8), GENERATION and, for
 *                             a waiter, WAITS_FOR, a nest of one PID per
 *                             holder or earlier waiter it waits for, at
 *                             most LOCKDEV_WAITS_FOR_MAX of them, in the
 *                             order of /proc/lockdev/locks; when it waits
 *                             for more, the message has the flag
 *                             WAITS_FOR_TRUNCATED after WAITS_FOR. So every
 *                             message fits in a dump buffer; should one not,
 *                             the dump fails with EMSGSIZE, never ends
 *                             short. Needs no capability: it shows the
 *                             lockspaces the socket's opener sees, as said
 *                             above.
 *                             An idle owner-died lock has one message with
 *                             LOCKSPACE, NAME, STATE (LOCKDEV_STATE_IDLE),
 *                             AGE_NS (idle for), OWNER_DIED and GENERATION;
 *                             with the flag LOCKDEV_A_ALL in the request,
 *                             every idle lock has one.
 *  LOCKDEV_CMD_GET_STATS      do: one LOCKDEV_A_STAT nest per line of
 *                             /proc/lockdev/stats, each STAT_NAME (string)
 *                             and STAT_VALUE (s64). The counters are the
 *                             module's, over all namespaces: EPERM unless
 *                             the caller and the opener of its socket are
 *                             of the initial user namespace.
 *  LOCKDEV_CMD_THRESHOLDS     do: sets HELD_THRESHOLD_MS and
 *                             WAIT_THRESHOLD_MS (u32, 0 turns that kind of
 *                             event off) when given, which needs
 *                             CAP_NET_ADMIN in the initial user namespace,
 *                             in the sender and in the socket's opener
 *                             (EPERM), and replies with both as they now
 *                             are. The module parameters of the same names
 *                             hold the same values.
 *  LOCKDEV_CMD_SUBSCRIBE      do: subscribe the socket to events, see above.
 *  LOCKDEV_CMD_UNSUBSCRIBE    do: end the socket's subscription.
 *                             Both take no attribute.
 * Malformed attributes fail with EINVAL, with an extended ack.
 *
 * Module parameters (/sys/module/lockdev/parameters/, writable by root; a
 * change applies to later requests): max_locks_per_space (ENOSPC beyond),
 * and per uid, EDQUOT beyond: max_locks_per_user (requests held or queued,
 * plus the owner-died locks its sessions left, until marked consistent or
 * dropped; the room its sessions keep for handles is at most twice that,
 * and a session keeps room for as many requests as it had at once until it
 * has none left), max_waiters_per_user (requests queued; and, counted apart,
 * asynchronous requests whose completion has not been read), and
 * max_sessions_per_user (sessions open, with the walks of /proc/lockdev/
 * files and dumps open) and max_spaces_per_user (lockspaces
 * created, named and default; a removed one counts no more, whoever still
 * holds it); for learned order, max_classes and
 * max_class_edges over all lockspaces, and max_classes_per_space,
 * max_class_edges_per_space, max_classes_per_user and
 * max_class_edges_per_user (the lockspaces one uid created);
 * held_threshold_ms and wait_threshold_ms for events (0, off, by default);
 * max_idle_locks_per_space and max_idle_locks, the bounds on idle resident
 * locks (see Existence). The uid a per-uid limit counts against is the
 * caller's effective uid; but in a user namespace that a uid other than
 * root created, or in one below it, it is the outermost such creator: what
 * a user does in its own namespaces, as any of the subordinate uids it
 * maps there, counts against its limits. The uids of a namespace root
 * created count each on its own, and so does a subordinate uid outside
 * the user's namespaces (a set-user-ID file it made there, run from
 * outside): the module cannot tell whose subordinate uid it is.
 */
#ifndef _UAPI_LINUX_LOCKDEV_H
#define _UAPI_LINUX_LOCKDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LOCKDEV_DEVICE_NAME		"lockdev"

#define LOCKDEV_ABI_VERSION		1
#define LOCKDEV_PROC_STATS_VERSION	1
#define LOCKDEV_PROC_LOCKS_VERSION	2
#define LOCKDEV_PROC_DEADLOCKS_VERSION	1
#define LOCKDEV_PROC_ORDER_VERSION	1
#define LOCKDEV_PROC_LOCK_STAT_VERSION	1
#define LOCKDEV_PROC_SPACES_VERSION	3
#define LOCKDEV_PROC_LEVELS_VERSION	1

/* Longest lock or lockspace name, in bytes. */
#define LOCKDEV_NAME_MAX		255

/* Most entries one LOCK, QUERY or LIST call writes. */
#define LOCKDEV_ENTRIES_MAX		4096

/* Bits of lockdev_version.features. */
#define LOCKDEV_FEATURE_LOCK		((__u64)1 << 0)	/* LOCK, UNLOCK, CONVERT, QUERY, LIST */
#define LOCKDEV_FEATURE_ASYNC		((__u64)1 << 1)	/* ASYNC, CANCEL, read(), poll() */
#define LOCKDEV_FEATURE_LOCKSPACE	((__u64)1 << 2)	/* ATTACH */
#define LOCKDEV_FEATURE_OWNER_DIED	((__u64)1 << 3)	/* owner-died, CONSISTENT */
#define LOCKDEV_FEATURE_ORDER		((__u64)1 << 4)	/* levels, SET_ORDER */
#define LOCKDEV_FEATURE_LOCK_SET	((__u64)1 << 5)	/* LOCK_SET */
#define LOCKDEV_FEATURE_DEADLOCK	((__u64)1 << 6)	/* DEADLOCK, reasons */
#define LOCKDEV_FEATURE_LEARNED_ORDER	((__u64)1 << 7)	/* classes, order, lock_stat */
#define LOCKDEV_FEATURE_EVENTS		((__u64)1 << 8)	/* the netlink family */
#define LOCKDEV_FEATURE_RESIDENT	((__u64)1 << 9)	/* resident locks, NONE, values */
#define LOCKDEV_FEATURE_SPACE_CTL	((__u64)1 << 10)	/* SPACE, persistent */
#define LOCKDEV_FEATURE_SPACE_LEVELS	((__u64)1 << 11)	/* SPACE_LEVEL, order_mode */
#define LOCKDEV_FEATURE_CLUSTER		((__u64)1 << 12)	/* SPACE_CLUSTER */
#define LOCKDEV_FEATURE_ALL		(LOCKDEV_FEATURE_LOCK | \
					 LOCKDEV_FEATURE_ASYNC | \
					 LOCKDEV_FEATURE_LOCKSPACE | \
					 LOCKDEV_FEATURE_OWNER_DIED | \
					 LOCKDEV_FEATURE_ORDER | \
					 LOCKDEV_FEATURE_LOCK_SET | \
					 LOCKDEV_FEATURE_DEADLOCK | \
					 LOCKDEV_FEATURE_LEARNED_ORDER | \
					 LOCKDEV_FEATURE_EVENTS | \
					 LOCKDEV_FEATURE_RESIDENT | \
					 LOCKDEV_FEATURE_SPACE_CTL | \
					 LOCKDEV_FEATURE_SPACE_LEVELS | \
					 LOCKDEV_FEATURE_CLUSTER)

/* Bits of lockdev_version.flags. */
#define LOCKDEV_VERSION_FLAGS_ALL	0U

struct lockdev_version {
	__u32 flags;
	__u32 abi_version;
	__u32 major;
	__u32 minor;
	__u32 patch;
	__u32 name_max;
	__u64 features;
	__u64 reserved[2];
};

#define LOCKDEV_VERSION_SIZE_VER0	48

/* Lock modes. */
#define LOCKDEV_MODE_SHARED		1
#define LOCKDEV_MODE_APPEND		2
#define LOCKDEV_MODE_EXCLUSIVE		3
#define LOCKDEV_MODE_NONE		4

/* Bytes of a lock's value block. */
#define LOCKDEV_VALUE_LEN		32

/* Bits of lockdev_attach.flags. */
#define LOCKDEV_ATTACH_NOCREATE		0x1U
#define LOCKDEV_ATTACH_FLAGS_ALL	LOCKDEV_ATTACH_NOCREATE

struct lockdev_attach {
	__u64 name;
	__u32 name_len;
	__u32 flags;
	__u32 mode;
	__u32 pad;
};

#define LOCKDEV_ATTACH_SIZE_VER0	24

/* lockdev_space_ctl.op. */
#define LOCKDEV_SPACE_CREATE		1
#define LOCKDEV_SPACE_SET		2
#define LOCKDEV_SPACE_REMOVE		3
#define LOCKDEV_SPACE_LEVEL		4

/* Bits of lockdev_space_ctl.flags. */
#define LOCKDEV_SPACE_PERSISTENT	0x1U	/* SET: make it persistent */
#define LOCKDEV_SPACE_TRANSIENT		0x2U	/* SET: no longer persistent */
#define LOCKDEV_SPACE_FORCE		0x4U	/* REMOVE: though attached */
#define LOCKDEV_SPACE_REPLACE		0x8U	/* CREATE: over a transient one */
#define LOCKDEV_SPACE_CLUSTER		0x10U	/* CREATE: on the DLM */
#define LOCKDEV_SPACE_FLAGS_ALL		(LOCKDEV_SPACE_PERSISTENT | \
					 LOCKDEV_SPACE_TRANSIENT | \
					 LOCKDEV_SPACE_FORCE | \
					 LOCKDEV_SPACE_REPLACE | \
					 LOCKDEV_SPACE_CLUSTER)

/* lockdev_space_ctl.mode, uid or gid: keep it (SET), the caller's (CREATE). */
#define LOCKDEV_SPACE_KEEP		0xffffffffU

/* Longest cluster name (LOCKDEV_SPACE_CLUSTER), in bytes. */
#define LOCKDEV_CLUSTER_NAME_MAX	64

/* Longest name of a cluster lockspace, in bytes. */
#define LOCKDEV_CLUSTER_SPACE_NAME_MAX	64

/* Most declared levels of one lockspace (LOCKDEV_SPACE_LEVEL). */
#define LOCKDEV_SPACE_LEVELS_MAX	32

struct lockdev_space_ctl {
	__u64 name;
	__u32 name_len;
	__u32 op;
	__u32 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 order_mode;	/* CREATE, SET: LOCKDEV_ORDER_*, or 0 */
	__u32 level;		/* LEVEL: the prefix's level, 0 removes it */
	__u64 prefix;		/* LEVEL: the name prefix */
	__u32 prefix_len;	/* LEVEL */
	__u32 pad;
	__u64 cluster;		/* CREATE with CLUSTER: the cluster name */
	__u32 cluster_len;	/* CREATE with CLUSTER */
	__u32 pad2;
};

#define LOCKDEV_SPACE_CTL_SIZE_VER0	48
#define LOCKDEV_SPACE_CTL_SIZE_VER1	56
#define LOCKDEV_SPACE_CTL_SIZE_VER2	72

/* Bits of lockdev_lock.flags and lockdev_convert.flags. */
#define LOCKDEV_LOCK_NONBLOCK		0x1U
#define LOCKDEV_LOCK_DEADLINE		0x2U
#define LOCKDEV_LOCK_ASYNC		0x4U
#define LOCKDEV_LOCK_VALUE		0x8U
#define LOCKDEV_LOCK_FLAGS_ALL		(LOCKDEV_LOCK_NONBLOCK | \
					 LOCKDEV_LOCK_DEADLINE | \
					 LOCKDEV_LOCK_ASYNC | \
					 LOCKDEV_LOCK_VALUE)
#define LOCKDEV_CONVERT_SET_VALUE	0x10U
#define LOCKDEV_CONVERT_FLAGS_ALL	(LOCKDEV_LOCK_NONBLOCK | \
					 LOCKDEV_LOCK_DEADLINE | \
					 LOCKDEV_LOCK_VALUE | \
					 LOCKDEV_CONVERT_SET_VALUE)
/* Bits of lockdev_lock_set.flags. */
#define LOCKDEV_SET_FLAGS_ALL		(LOCKDEV_LOCK_NONBLOCK | \
					 LOCKDEV_LOCK_DEADLINE | \
					 LOCKDEV_LOCK_VALUE)

/* Bits of lockdev_lock.result, lockdev_convert.result, completion flags. */
#define LOCKDEV_RESULT_OWNER_DIED	0x1U
#define LOCKDEV_RESULT_QUEUED		0x2U
#define LOCKDEV_RESULT_ORDER		0x4U	/* the request broke the order */
#define LOCKDEV_RESULT_CYCLE		0x8U	/* waiting would close a cycle */
#define LOCKDEV_RESULT_VALUE_INVALID	0x10U	/* the value is not valid */

/* States of a holder or waiter (lockdev_entry.state, lockdev_held.state). */
#define LOCKDEV_STATE_HELD		1
#define LOCKDEV_STATE_WAITING		2
#define LOCKDEV_STATE_CONVERTING	3
#define LOCKDEV_STATE_IDLE		4	/* netlink GET_LOCKS only */

/* One holder or waiter of a lock. */
struct lockdev_entry {
	__u64 session;		/* the session's id, unique since load */
	__u64 age_ns;		/* how long held or waiting */
	__u32 pid;		/* the task that asked; 0 if not visible or gone */
	__u32 mode;		/* held, or asked for when waiting */
	__u32 state;		/* LOCKDEV_STATE_* */
	__u32 level;
	__u8 comm[16];		/* the task's comm, NUL-padded */
};

struct lockdev_lock {
	__u64 name;
	__u32 name_len;
	__u32 mode;
	__u32 flags;
	__u32 level;
	__u64 deadline_ns;
	__u64 user_data;
	__u64 entries;
	__u32 nr_entries;
	__u32 result;
	__u64 handle;
	__u64 generation;
	__u8 value[LOCKDEV_VALUE_LEN];	/* out */
};

#define LOCKDEV_LOCK_SIZE_VER0		72
#define LOCKDEV_LOCK_SIZE_VER1		104

/* Bits of lockdev_unlock.flags. */
#define LOCKDEV_UNLOCK_SET_VALUE	0x1U
#define LOCKDEV_UNLOCK_FLAGS_ALL	LOCKDEV_UNLOCK_SET_VALUE

/* UNLOCK and CONSISTENT name a lock by handle, or by name if handle is 0. */
struct lockdev_unlock {
	__u64 handle;
	__u64 name;
	__u32 name_len;
	__u32 flags;
	__u8 value[LOCKDEV_VALUE_LEN];	/* in, with LOCKDEV_UNLOCK_SET_VALUE */
};

#define LOCKDEV_UNLOCK_SIZE_VER0	24
#define LOCKDEV_UNLOCK_SIZE_VER1	56

struct lockdev_consistent {
	__u64 handle;
	__u64 name;
	__u32 name_len;
	__u32 flags;
};

#define LOCKDEV_CONSISTENT_SIZE_VER0	24

struct lockdev_convert {
	__u64 handle;
	__u64 name;
	__u32 name_len;
	__u32 mode;
	__u32 flags;
	__u32 result;
	__u64 deadline_ns;
	__u64 generation;
	__u8 value[LOCKDEV_VALUE_LEN];	/* in with SET_VALUE; out */
};

#define LOCKDEV_CONVERT_SIZE_VER0	48
#define LOCKDEV_CONVERT_SIZE_VER1	80

struct lockdev_cancel {
	__u64 handle;
	__u32 flags;
	__u32 pad;
};

#define LOCKDEV_CANCEL_SIZE_VER0	16

/* Bits of lockdev_query.lock_flags. */
/* Bits of lockdev_query.flags. */
#define LOCKDEV_QUERY_VALUE		0x1U	/* fill value */
#define LOCKDEV_QUERY_FLAGS_ALL		LOCKDEV_QUERY_VALUE

#define LOCKDEV_QUERY_OWNER_DIED	0x1U
#define LOCKDEV_QUERY_IDLE		0x2U	/* resident, nobody holds or waits */
#define LOCKDEV_QUERY_VALUE_INVALID	0x4U

struct lockdev_query {
	__u64 name;
	__u32 name_len;
	__u32 flags;
	__u64 entries;
	__u32 nr_entries;
	__u32 lock_flags;
	__u64 generation;
	__u8 value[LOCKDEV_VALUE_LEN];	/* out */
};

#define LOCKDEV_QUERY_SIZE_VER0		40
#define LOCKDEV_QUERY_SIZE_VER1		72

/* One of the session's own locks or queued requests. */
struct lockdev_held {
	__u64 handle;
	__u64 generation;
	__u32 mode;
	__u32 state;
	__u32 level;
	__u32 name_len;
	__u8 name[LOCKDEV_NAME_MAX + 1];	/* NUL-padded */
};

struct lockdev_list {
	__u64 entries;
	__u32 nr_entries;
	__u32 flags;
};

#define LOCKDEV_LIST_SIZE_VER0		16

/* Order modes (lockdev_order.mode). */
#define LOCKDEV_ORDER_STRICT		1
#define LOCKDEV_ORDER_WARN		2
#define LOCKDEV_ORDER_OFF		3

struct lockdev_order {
	__u32 mode;		/* the new mode, or 0 to keep it */
	__u32 flags;
	__u32 old_mode;		/* out: the mode before the call */
	__u32 pad;
};

#define LOCKDEV_ORDER_SIZE_VER0		16

/* Most requests in one lock set. */
#define LOCKDEV_SET_MAX			64
/* lockdev_lock_set.failed when no item failed. */
#define LOCKDEV_SET_NONE		0xffffffffU

/* One request of a lock set. */
struct lockdev_set_item {
	__u64 name;
	__u32 name_len;
	__u32 mode;
	__u32 level;
	__u32 result;		/* out: LOCKDEV_RESULT_* of the grant */
	__u64 handle;		/* out */
	__u64 generation;	/* out */
	__u8 value[LOCKDEV_VALUE_LEN];	/* out */
};

#define LOCKDEV_SET_ITEM_SIZE_VER0	40
#define LOCKDEV_SET_ITEM_SIZE_VER1	72

struct lockdev_lock_set {
	__u64 items;
	__u32 nr_items;
	__u32 item_size;
	__u32 flags;		/* LOCKDEV_SET_FLAGS_ALL */
	__u32 failed;		/* out: the index that failed, or SET_NONE */
	__u64 deadline_ns;
	__u32 result;		/* out: on EDEADLK, the reason */
	__u32 pad;
};

#define LOCKDEV_LOCK_SET_SIZE_VER0	40

/* Most members of one report that are kept. */
#define LOCKDEV_CYCLE_MAX		64
/* How many reports /proc/lockdev/deadlocks keeps, and of one uid. */
#define LOCKDEV_DEADLOCKS_KEPT		16
#define LOCKDEV_DEADLOCKS_KEPT_PER_USER	4

/* Bits of lockdev_cycle_member.flags. */
#define LOCKDEV_MEMBER_QUEUED		0x1U	/* held_* is a request queued ahead */

/* One session of a cycle, or the session that broke the order. */
struct lockdev_cycle_member {
	__u64 session;
	__u32 pid;		/* as the caller's pid namespace sees it */
	__u32 flags;
	__u32 held_mode;
	__u32 held_level;
	__u32 wait_mode;
	__u32 wait_level;
	__u32 held_name_len;
	__u32 wait_name_len;
	__u8 comm[16];
	__u8 held_name[LOCKDEV_NAME_MAX + 1];	/* NUL-padded */
	__u8 wait_name[LOCKDEV_NAME_MAX + 1];	/* NUL-padded */
};

struct lockdev_deadlock {
	__u64 members;
	__u32 nr_members;	/* in: room at members; out: how many */
	__u32 flags;
	__u32 reason;		/* out: LOCKDEV_RESULT_CYCLE or _ORDER, or 0 */
	__u32 pad;
	__u64 handle;		/* out */
	__u64 age_ns;		/* out */
};

#define LOCKDEV_DEADLOCK_SIZE_VER0	40

/* What read() returns for each asynchronous request that ended. */
struct lockdev_completion {
	__u64 user_data;
	__u64 handle;
	__u64 generation;
	__s32 result;		/* 0 (granted) or a negative errno */
	__u32 flags;		/* LOCKDEV_RESULT_* */
};

#define LOCKDEV_IOC_MAGIC		0xD7

#define LOCKDEV_IOC_VERSION	_IOWR(LOCKDEV_IOC_MAGIC, 0x00, struct lockdev_version)
#define LOCKDEV_IOC_ATTACH	_IOWR(LOCKDEV_IOC_MAGIC, 0x01, struct lockdev_attach)
#define LOCKDEV_IOC_LOCK	_IOWR(LOCKDEV_IOC_MAGIC, 0x02, struct lockdev_lock)
#define LOCKDEV_IOC_UNLOCK	_IOWR(LOCKDEV_IOC_MAGIC, 0x03, struct lockdev_unlock)
#define LOCKDEV_IOC_CONVERT	_IOWR(LOCKDEV_IOC_MAGIC, 0x04, struct lockdev_convert)
#define LOCKDEV_IOC_CANCEL	_IOWR(LOCKDEV_IOC_MAGIC, 0x05, struct lockdev_cancel)
#define LOCKDEV_IOC_CONSISTENT	_IOWR(LOCKDEV_IOC_MAGIC, 0x06, struct lockdev_consistent)
#define LOCKDEV_IOC_QUERY	_IOWR(LOCKDEV_IOC_MAGIC, 0x07, struct lockdev_query)
#define LOCKDEV_IOC_LIST	_IOWR(LOCKDEV_IOC_MAGIC, 0x08, struct lockdev_list)
#define LOCKDEV_IOC_SET_ORDER	_IOWR(LOCKDEV_IOC_MAGIC, 0x09, struct lockdev_order)
#define LOCKDEV_IOC_LOCK_SET	_IOWR(LOCKDEV_IOC_MAGIC, 0x0a, struct lockdev_lock_set)
#define LOCKDEV_IOC_DEADLOCK	_IOWR(LOCKDEV_IOC_MAGIC, 0x0b, struct lockdev_deadlock)
#define LOCKDEV_IOC_SPACE	_IOWR(LOCKDEV_IOC_MAGIC, 0x0c, struct lockdev_space_ctl)

/* Generic netlink: the family, its multicast group and its commands. */
#define LOCKDEV_GENL_NAME		"lockdev"
#define LOCKDEV_GENL_VERSION		1
#define LOCKDEV_GENL_MCGRP_EVENTS	"events"

/* Most events waiting to be sent before more are dropped: in all, per uid. */
#define LOCKDEV_EVENTS_QUEUED		1024
#define LOCKDEV_EVENTS_QUEUED_PER_USER	256
/* The most pids in the WAITS_FOR of one GET_LOCKS message. */
#define LOCKDEV_WAITS_FOR_MAX		256
/* Most pids a line of /proc/lockdev/locks lists in waits_for. */
#define LOCKDEV_PROC_WAITS_FOR_MAX	16
/* Subscribed sockets per uid (EDQUOT beyond), and in all (ENOSPC beyond). */
#define LOCKDEV_SUBSCRIBERS_PER_USER	8
#define LOCKDEV_SUBSCRIBERS_MAX		128

enum lockdev_genl_cmd {
	LOCKDEV_CMD_UNSPEC,
	LOCKDEV_CMD_EVENT,
	LOCKDEV_CMD_GET_LOCKS,
	LOCKDEV_CMD_GET_STATS,
	LOCKDEV_CMD_THRESHOLDS,
	LOCKDEV_CMD_SUBSCRIBE,
	LOCKDEV_CMD_UNSUBSCRIBE,
	__LOCKDEV_CMD_MAX
};

#define LOCKDEV_CMD_MAX			(__LOCKDEV_CMD_MAX - 1)

/* Kinds of event (LOCKDEV_A_EVENT). */
#define LOCKDEV_EVENT_DEADLOCK		1
#define LOCKDEV_EVENT_ORDER		2
#define LOCKDEV_EVENT_INVERSION		3
#define LOCKDEV_EVENT_OWNER_DIED	4
#define LOCKDEV_EVENT_HELD_LONG		5
#define LOCKDEV_EVENT_WAITED_LONG	6
#define LOCKDEV_EVENT_SPACE_REMOVED	7

enum lockdev_genl_attr {
	LOCKDEV_A_UNSPEC,
	LOCKDEV_A_PAD,
	LOCKDEV_A_EVENT,		/* u32, LOCKDEV_EVENT_* */
	LOCKDEV_A_LOCKSPACE,		/* binary */
	LOCKDEV_A_NAME,			/* binary */
	LOCKDEV_A_MODE,			/* u32, LOCKDEV_MODE_* */
	LOCKDEV_A_STATE,		/* u32, LOCKDEV_STATE_* */
	LOCKDEV_A_LEVEL,		/* u32 */
	LOCKDEV_A_SESSION,		/* u64 */
	LOCKDEV_A_PID,			/* u32 */
	LOCKDEV_A_COMM,			/* string */
	LOCKDEV_A_AGE_NS,		/* u64 */
	LOCKDEV_A_OWNER_DIED,		/* u8 */
	LOCKDEV_A_GENERATION,		/* u64 */
	LOCKDEV_A_WAITS_FOR,		/* nest of LOCKDEV_A_PID */
	LOCKDEV_A_MEMBER,		/* nest */
	LOCKDEV_A_FLAGS,		/* u32, LOCKDEV_MEMBER_* */
	LOCKDEV_A_HELD_NAME,		/* binary */
	LOCKDEV_A_HELD_MODE,		/* u32 */
	LOCKDEV_A_HELD_LEVEL,		/* u32 */
	LOCKDEV_A_ORDER_MODE,		/* u32, LOCKDEV_ORDER_* */
	LOCKDEV_A_EDGE,			/* nest */
	LOCKDEV_A_CLASS_FROM,		/* binary */
	LOCKDEV_A_CLASS_TO,		/* binary */
	LOCKDEV_A_STAT,			/* nest */
	LOCKDEV_A_STAT_NAME,		/* string */
	LOCKDEV_A_STAT_VALUE,		/* s64 */
	LOCKDEV_A_HELD_THRESHOLD_MS,	/* u32 */
	LOCKDEV_A_WAIT_THRESHOLD_MS,	/* u32 */
	LOCKDEV_A_WAITS_FOR_TRUNCATED,	/* flag */
	LOCKDEV_A_ALL,			/* flag: GET_LOCKS lists idle locks */
	__LOCKDEV_A_MAX
};

#define LOCKDEV_A_MAX			(__LOCKDEV_A_MAX - 1)

#endif /* _UAPI_LINUX_LOCKDEV_H */
