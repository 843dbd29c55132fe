#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A Dovecot of one's own under /tmp, and python3 imaplib clients for it.

What selftests/real/dovecot (the test, which imports this file) and
selftests/demo-guest (the demo, which runs it as a program) both need, in
the guest, as root: Debian's dovecot-imapd configured in a directory of its
own (passwd-file users alice and bob, mdbox mail, lock_method=fcntl, IMAP
on 127.0.0.1 only), started with or without liblockdev-preload.so
(LD_PRELOAD, and import_environment so that every imap process has it), in
a given lockspace; clients that APPEND, SELECT, FETCH, STORE and EXPUNGE on
the mailboxes INBOX and Shared of both users until a deadline; and the
check that the mailboxes are consistent after them: every message a client
appended to keep is there exactly once, UIDs are unique and increasing;
and, while they run, the locks that imap processes hold in
/proc/lockdev/locks and a `lockdev list` that shows some.

As a program:
  dovecotlib.py start DIR PORT [SPACE]  configure and start Dovecot in DIR,
                                        under the library in lockspace SPACE
                                        when given; returns once it listens
  dovecotlib.py clients PORT N SECONDS [SPACE DIR]
                                        N clients for SECONDS, then the
                                        check; exits 1 on a problem; with
                                        SPACE, meanwhile, what Watch keeps
                                        in DIR
  dovecotlib.py stop DIR                stop it, wait for its processes,
                                        and print the error lines of its
                                        log; exits 1 if there are some
"""

import multiprocessing
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import imapload  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PRELOAD = os.path.join(SRC, "lib", "liblockdev-preload.so")
LOCKDEV = os.path.join(SRC, "tools", "lockdev")
DOVECOT = "/usr/sbin/dovecot"
# Dovecot's imap and imap-login: installed with dovecot-imapd, or unpacked
# from it by selftests/setup-host where cyrus-imapd is installed, which
# conflicts with it.
IMAP_DIR = next((d for d in ("/usr/lib/dovecot",
                             os.path.join(os.environ.get("LOCKDEV_CACHE",
                                                         "/var/cache/lockdev"),
                                          "dovecot-imapd/usr/lib/dovecot"))
                 if os.access(os.path.join(d, "imap"), os.X_OK)), None)
USERS = ["alice", "bob"]
MAILBOXES = ["INBOX", "Shared"]
PASSWORD = "lockdev"
# A line of Dovecot's log that is a problem of the run.
PROBLEM = re.compile(r"Error|Panic|Fatal|Timeout|lockdev-preload")

# The other services of dovecot-imapd, where they are.
SERVICES = "".join("service %s {{\n  executable = {imap}/%s\n}}\n" % (s, s)
                   for s in ("imap-hibernate", "imap-urlauth",
                             "imap-urlauth-login", "imap-urlauth-worker"))

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {t}/run
state_dir = {t}/state
log_path = {t}/dovecot.log
info_log_path = {t}/info.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = mdbox:~/mdbox
lock_method = fcntl
mail_fsync = never
import_environment = TZ LD_PRELOAD LOCKDEV_PRELOAD_LOG LOCKDEV_PRELOAD_SPACE
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {t}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={t}/home/%u
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
{services}service imap {{
  executable = {imap}/imap
}}
service imap-login {{
  executable = {imap}/imap-login
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def command(t, space):
    """Dovecot's command line in t, and its environment: with the library
    in lockspace @space when given."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if space:
        env["LD_PRELOAD"] = PRELOAD
        env["LOCKDEV_PRELOAD_LOG"] = "0"
        env["LOCKDEV_PRELOAD_SPACE"] = space
    return [DOVECOT, "-F", "-c", os.path.join(t, "dovecot.conf")], env


class Dovecot:
    """One Dovecot of one's own, in directory t (made here), on port."""

    def __init__(self, t, port, space):
        self.t, self.port = t, port
        nobody = pwd.getpwnam("nobody")
        for d in ("run", "state", "home"):
            os.makedirs(os.path.join(t, d))
        for u in USERS:
            home = os.path.join(t, "home", u)
            os.makedirs(home)
            os.chown(home, nobody.pw_uid, nobody.pw_gid)
        os.chmod(t, 0o755)
        with open(os.path.join(t, "passwd"), "w") as f:
            for u in USERS:
                f.write("%s:{PLAIN}%s::::::\n" % (u, PASSWORD))
        with open(os.path.join(t, "dovecot.conf"), "w") as f:
            f.write(CONF.format(t=t, port=port, uid=nobody.pw_uid,
                                gid=nobody.pw_gid, imap=IMAP_DIR,
                                services=SERVICES.format(imap=IMAP_DIR)))
        # The test guest boots with its loopback interface down.
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
        argv, env = command(t, space)
        # A session of its own: stop() waits for every process in it.
        with open(os.path.join(t, "stderr"), "w") as err:
            self.proc = subprocess.Popen(argv, env=env,
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL,
                                         stderr=err, start_new_session=True)
        self.pid = self.proc.pid
        with open(os.path.join(t, "pid"), "w") as f:
            f.write("%d\n" % self.pid)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        stop(t, self.proc)
        raise RuntimeError("dovecot did not start: " + log(t))

    def log(self):
        return log(self.t)

    def stop(self):
        stop(self.t, self.proc)


def log(t):
    """What Dovecot in t said: its stderr and its log."""
    text = ""
    for name in ("stderr", "dovecot.log"):
        try:
            with open(os.path.join(t, name)) as f:
                text += f.read()
        except OSError:
            pass
    return text


def problems_in_log(t):
    return [line for line in log(t).splitlines() if PROBLEM.search(line)]


def session_pids(sid):
    """The live processes of session @sid (zombies are done)."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                stat = f.read()
        except OSError:
            continue
        # After "(comm)": state, ppid, pgrp, session.
        w = stat[stat.rindex(")") + 2:].split()
        if w[0] != "Z" and int(w[3]) == sid:
            pids.append(int(p))
    return pids


def stop(t, proc=None):
    """Stop Dovecot in t (its master @proc, if this process started it)
    and wait until none of its processes is left: they close their
    lockdev sessions as they go."""
    with open(os.path.join(t, "pid")) as f:
        pid = int(f.read())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.time() + 30
    while session_pids(pid) and time.time() < deadline:
        time.sleep(0.1)
    for p in session_pids(pid):
        os.kill(p, signal.SIGKILL)
    if proc:
        proc.wait()


def connect(port, user):
    return imapload.connect(port, user, PASSWORD)


def mailbox_of(idx):
    """The user and the mailbox of client @idx."""
    return (USERS[idx % len(USERS)],
            MAILBOXES[(idx // len(USERS)) % len(MAILBOXES)])


def client(idx, port, deadline, out):
    """APPEND, SELECT, FETCH, STORE and EXPUNGE until the deadline."""
    user, box = mailbox_of(idx)
    tally, err = {"ops": 0, "kept": []}, ""
    try:
        m = connect(port, user)
        imapload.work(m, idx, box, deadline, tally)
        m.logout()
    except Exception as e:  # a failed client fails the run, said below
        err = "client %d: %r" % (idx, e)
    out.put((idx, tally["ops"], tally["kept"], err))


def verify(port, kept, say):
    """Every kept message once per mailbox, UIDs unique and increasing:
    the problems found; @say tells what each mailbox holds."""
    problems = []
    for user in USERS:
        m = connect(port, user)
        for box in MAILBOXES:
            want = kept.get((user, box), [])
            found, n = imapload.mailbox_problems(m, box, "%s/%s" % (user, box),
                                                 want)
            problems += found
            say("%s/%s: %d messages, %d kept by the clients"
                % (user, box, n, len(want)))
        m.logout()
    return problems


def snapshot():
    """The lines of /proc/lockdev/locks that name Dovecot's files."""
    try:
        with open("/proc/lockdev/locks") as f:
            return [l.rstrip("\n") for l in f
                    if not l.startswith("#") and "dovecot" in l]
    except OSError:
        return []


class Watch:
    """A poll for workload(): the lines of /proc/lockdev/locks in which an
    imap process holds or awaits a lock of lockspace @space, appended to
    file d/seen, and the first output of `lockdev list --lockspace @space`
    that shows one, in file d/list."""

    def __init__(self, space, d):
        self.space, self.d, self.listed = space, d, False
        open(os.path.join(d, "seen"), "w").close()
        open(os.path.join(d, "list"), "w").close()

    def __call__(self):
        held = [l for l in snapshot() if l.split()[0] == self.space and
                re.search(r" (held|waiting) \d+ imap ", l)]
        with open(os.path.join(self.d, "seen"), "a") as f:
            f.writelines(l + "\n" for l in held)
        # Each lock is held for one IMAP command: list until one shows.
        if held and not self.listed:
            r = subprocess.run([LOCKDEV, "list", "--lockspace", self.space],
                               capture_output=True, text=True, check=False)
            rows = [l.split() for l in r.stdout.splitlines()[1:]]
            if any(len(w) > 5 and w[5] == "imap" for w in rows):
                self.listed = True
                with open(os.path.join(self.d, "list"), "w") as f:
                    f.write(r.stdout)


def workload(port, clients, seconds, say, poll=None):
    """@clients clients on a fresh Dovecot for @seconds, calling @poll
    every 0.2 s meanwhile, then verify(): (IMAP commands, seconds taken,
    problems)."""
    for u in USERS:
        m = connect(port, u)
        for box in MAILBOXES[1:]:
            m.create(box)
        m.logout()
    out = multiprocessing.Queue()
    start = time.time()
    deadline = start + seconds
    procs = [multiprocessing.Process(target=client,
                                     args=(i, port, deadline, out))
             for i in range(clients)]
    for p in procs:
        p.start()
    while time.time() < deadline:
        if poll:
            poll()
        time.sleep(0.2)
    got = [out.get(timeout=seconds + 120) for _ in procs]
    elapsed = time.time() - start
    for p in procs:
        p.join()
    kept = {}
    for idx, _, tags, _ in got:
        kept.setdefault(mailbox_of(idx), []).extend(tags)
    problems = [g[3] for g in got if g[3]] + verify(port, kept, say)
    return sum(g[1] for g in got), elapsed, problems


def main(argv):
    if len(argv) in (3, 4) and argv[0] == "start":
        t, port = argv[1], int(argv[2])
        space = argv[3] if len(argv) == 4 else None
        argv_, env = command(t, space)
        print(" ".join(["%s=%s" % (k, env[k]) for k in
                        ("LD_PRELOAD", "LOCKDEV_PRELOAD_SPACE") if k in env]
                       + argv_))
        d = Dovecot(t, port, space)
        print("listening on 127.0.0.1:%d; master pid %d" % (port, d.pid))
        return 0
    if len(argv) in (4, 6) and argv[0] == "clients":
        port, n, seconds = int(argv[1]), int(argv[2]), float(argv[3])
        poll = Watch(argv[4], argv[5]) if len(argv) == 6 else None
        ops, elapsed, problems = workload(port, n, seconds, print, poll)
        print("%d clients: %d IMAP commands in %.1f s (%.1f per second)"
              % (n, ops, elapsed, ops / elapsed), flush=True)
        for p in problems:
            print("problem: " + p)
        return 1 if problems or not ops else 0
    if len(argv) == 2 and argv[0] == "stop":
        stop(argv[1])
        bad = problems_in_log(argv[1])
        for line in bad:
            print(line)
        return 1 if bad else 0
    print(__doc__[__doc__.index("As a program"):], file=sys.stderr, end="")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
