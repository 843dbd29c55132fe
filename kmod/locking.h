/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lock order of the lockdev module: every lock it takes, what the lock
 * protects, and what may be taken while it is held. It declares nothing:
 * the other headers refer here. The debug lane's lockdep checks it at run
 * time (selftests/vm/run -k debug).
 *
 * Lock                 Protects                       Taken under it
 * -------------------  -----------------------------  ---------------------
 * ld_space.graph_mutex changes to the waiters of the  ld_lock.lock,
 *   mutex, one per     lockspace's locks, and the      ld_space.lru_lock
 *   lockspace          wait-for graph walks over them  (by the walk of a
 *                      (graph.c)                       forced removal,
 *                                                      request.c)
 * ld_session.slot_lock the session's handle slots     ld_lock.lock, by
 *   spinlock, one per  (session.c)                    UNLOCK by handle,
 *   session                                           LIST, the order check
 *                                                     and the search for an
 *                                                     example name (class.c)
 * ld_lock.lock         one lock's holders, waiters,   ld_space.lru_lock,
 *   spinlock, one per  counts, generation, owner-     ld_session.lock,
 *   lock               died mark and value block      ld_events' lock,
 *                                                     ld_events_evicted's
 * ld_space.lru_lock    the lockspace's busy and idle  the idle count's
 *   spinlock, one per  lists of locks, and each       percpu_counter lock,
 *   lockspace          lock's place on them           when it is summed
 *                      (table.c, table_lru.c)
 * ld_cl_lock.lock      a cluster lock's DLM answers   nothing
 *   spinlock, irq-safe, and another host's asks, as
 *   one per lock of a   the DLM's callbacks note them
 *   cluster lockspace   (cluster.c)
 * ld_session.lock      a session's completions, last  nothing
 *   spinlock, one per  report, class summary and the
 *   session            binding of its lockspace
 * ld_spaces_mutex      the lockspaces and their user  nothing
 *   (space.c)          namespaces; changes to their
 *                      declared levels, which are
 *                      read under RCU
 *                      (space_levels.c)
 * ld_users_mutex       the per-uid accounting table   nothing
 *   (user.c)
 * ld_reports_mutex     the kept reports               nothing
 *   (report.c)
 * ld_class_mutex       creating lock classes, edges   ld_events' lock,
 *   (class.c)          and inversions; their lists    ld_events_evicted's
 *                      and budgets
 * ld_events' lock      the queue of event messages    nothing
 *   (events.c; the
 *   sk_buff_head's)
 * ld_events_evicted's  the events dropped from it to  nothing
 *   lock (events.c;    make room, for the work item
 *   the sk_buff_head's) to free
 * ld_dlm_mutex         finding the DLM's calls        nothing
 *   (cluster_space.c)
 * ld_subs_mutex        the subscribers to events and  nothing
 *   (netlink_subscribe their count
 *   .c)
 * kernel_param_lock()  the module parameters, and     nothing
 *   of THIS_MODULE     whether the scanner runs
 *                      (events.c)
 *
 * So the chains, outermost first, are:
 *
 *   ld_space.graph_mutex -> ld_lock.lock -> ld_space.lru_lock
 *                                        -> ld_cl_lock.lock
 *                                        -> ld_session.lock
 *                                        -> ld_events' lock
 *                                        -> ld_events_evicted's lock
 *   ld_space.graph_mutex -> ld_space.lru_lock
 *   ld_session.slot_lock -> ld_lock.lock -> (as above)
 *   ld_class_mutex -> ld_events' lock
 *   ld_class_mutex -> ld_events_evicted's lock
 *
 * Each lock may also be taken with nothing held. No task holds two locks of
 * one kind: two graph mutexes, two ld_lock.locks, two sessions' locks. A
 * session works in one lockspace and waits only for locks of it, so the
 * wait-for graph never crosses lockspaces, and ld_graph(lk) is the graph
 * mutex of @lk's. No mutex is taken under a spinlock, and the mutexes of
 * space.c, user.c, report.c and class.c under no other lock of the module
 * but as listed.
 *
 * A lock whose waiter list is empty has its holders changed under
 * ld_lock.lock alone, and a lock with waiters only under ld_graph() as
 * well: the uncontended path takes no graph mutex. So while a lockspace's
 * graph mutex is held, the holders and waiters of every lock of it that has
 * waiters are frozen, which is what lets graph.c walk them. One thing
 * changes meanwhile: an UNLOCK or a downgrading CONVERT that finds the
 * graph mutex taken ends or weakens its hold under ld_lock.lock alone, and
 * leaves the grant of the waiters to the mutex's holder (graph_mutex.c);
 * an UNLOCK leaves its request on the lock's holders, marked released, for
 * that holder to take off, and every reader of a lock's holders skips
 * those.
 *
 * No call into the DLM (dlm_lock(), dlm_unlock(), joining or leaving a DLM
 * lockspace) is made with a lock of the module held: its callbacks take
 * ld_cl_lock.lock, and in 6.1 its calls sleep. ld_cl_space_join() runs
 * before ld_spaces_mutex is taken.
 *
 * A lock going idle, and busy again before a drain listed it, takes no
 * ld_space.lru_lock: it is queued on its lockspace's list of locks idle
 * lately, lockless, and its rest bits are changed atomically (table.c).
 * A lockspace's end waits, with no lock held, while a drain references
 * the locks it took from that list (ld_space.draining, table_lru.c); the
 * drain takes nothing but ld_space.lru_lock meanwhile, which the end does
 * not hold as it waits.
 *
 * UNLOCK and a downgrading CONVERT try the graph mutex with
 * mutex_trylock() under ld_lock.lock: a trylock never waits, so it
 * inverts nothing in the table above.
 *
 * Under the module's spinlocks the kernel's own are taken as leaves: the
 * locks table's bucket locks, the workqueue's (arming and disarming a
 * deadline, queueing an event's send or a trim of idle locks), wake-ups, and
 * GFP_ATOMIC allocations; under ld_spaces_mutex, the lock of the xarray
 * of lockspace ids (space.c), inside the xa_* calls. Around the module's
 * locks the kernel holds its own: genl_mutex around the netlink handlers
 * (the family has no parallel_ops; ld_nl_thresholds() takes
 * kernel_param_lock() under it, and SUBSCRIBE and UNSUBSCRIBE
 * ld_subs_mutex), the netlink notifier chain's rwsem around the release of
 * a socket (ld_subs_mutex under it), the seq_file mutex around the /proc
 * files' reads, kernel_param_lock() around a parameter's set, and, at
 * unload, the locks table's mutex in rhashtable_free_and_destroy(), under
 * which ld_table_exit() frees the owner-died locks left with the
 * lockspaces and users they hold (ld_lock.lock, ld_spaces_mutex,
 * ld_users_mutex, ld_class_mutex).
 */
