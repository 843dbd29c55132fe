# SPDX-License-Identifier: GPL-2.0
"""The IMAP side of the real-server tests (selftests/real/dovecot, the
demo's part 8 through dovecotlib.py, and selftests/real/cyrus): one
client's work on one mailbox, and the check of a mailbox after the run.

A client APPENDs messages with subjects "keep TAG" or "drop TAG" (TAG is
cIDX-SEQ), SELECTs and FETCHes, STOREs \\Seen, and on every fourth round
marks its own "drop" messages \\Deleted and EXPUNGEs them; the "keep" ones
must each be in their mailbox exactly once at the end.
"""

import imaplib
import re
import time


def connect(port, user, password):
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(user, password)
    return m


def check(typ, what):
    if typ != "OK":
        raise RuntimeError("%s: %s" % (what, typ))


def work(m, idx, box, deadline, tally):
    """As client @idx on the logged-in @m, APPEND, SELECT, FETCH, STORE and
    EXPUNGE on @box until @deadline. tally["ops"] counts the IMAP commands
    and tally["kept"] gets the TAG of each message that must stay, as they
    go, so that a client that fails still has them."""
    seq = 0
    while time.time() < deadline:
        seq += 1
        kind = "keep" if seq % 2 else "drop"
        tag = "c%d-%d" % (idx, seq)
        msg = ("From: c%d@lockdev.test\r\nSubject: %s %s\r\n"
               "Message-ID: <%s@lockdev.test>\r\n\r\nbody %s\r\n"
               % (idx, kind, tag, tag, tag))
        typ, _ = m.append(box, None, None, msg.encode())
        check(typ, "APPEND")
        if kind == "keep":
            tally["kept"].append(tag)
        typ, data = m.select(box)
        check(typ, "SELECT")
        n = int(data[0])
        typ, _ = m.fetch("%d:*" % max(1, n - 9), "(UID FLAGS)")
        check(typ, "FETCH")
        tally["ops"] += 3
        if seq % 4:
            typ, _ = m.store(str(n), "+FLAGS", "(\\Seen)")
            check(typ, "STORE")
            tally["ops"] += 1
            continue
        typ, data = m.uid("SEARCH", None, "HEADER", "Subject",
                          '"drop c%d-"' % idx)
        check(typ, "SEARCH")
        uids = data[0].decode().split()
        if uids:
            typ, _ = m.uid("STORE", ",".join(uids), "+FLAGS", "(\\Deleted)")
            check(typ, "STORE")
            typ, _ = m.expunge()
            check(typ, "EXPUNGE")
            tally["ops"] += 2
        tally["ops"] += 1


def mailbox_problems(m, box, name, want):
    """@box, read on the logged-in @m: its UIDs unique and increasing, each
    TAG of @want there once, and no "keep" message twice. The problems
    found (each starting with @name) and the number of messages."""
    typ, data = m.select(box, readonly=True)
    check(typ, "SELECT")
    exists = int(data[0] or 0)
    data = []
    if exists:
        typ, data = m.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS "
                            "(SUBJECT)])")
        check(typ, "FETCH")
    uids, seen, problems = [], {}, []
    for item in data:
        if not isinstance(item, tuple):
            continue
        u = re.search(rb"UID (\d+)", item[0])
        s = re.search(rb"Subject: (\w+) (\S+)", item[1])
        if u:
            uids.append(int(u.group(1)))
        if s and s.group(1) == b"keep":
            tag = s.group(2).decode()
            seen[tag] = seen.get(tag, 0) + 1
    if uids != sorted(set(uids)):
        problems.append("%s: UIDs not unique and increasing" % name)
    for tag in want:
        if seen.get(tag, 0) != 1:
            problems.append("%s: %s there %d times"
                            % (name, tag, seen.get(tag, 0)))
    for tag, n in seen.items():
        if n != 1:
            problems.append("%s: %s there %d times" % (name, tag, n))
    return problems, len(uids)
