// SPDX-License-Identifier: GPL-2.0
/*
 * The program preload_test runs with and without liblockdev-preload.so: it
 * reads one command per line on stdin, makes the calls an unmodified
 * program would, and answers each with one line on stdout: "ok", "ok
 * VALUE" or "err ERRNO-NAME". Descriptors live in numbered slots.
 *
 *   open SLOT PATH         open(PATH, O_RDWR)
 *   dup SLOT NEW           NEW = dup(SLOT)
 *   close SLOT
 *   flock SLOT sh|ex|un [nb]
 *   posix SLOT rd|wr|un [nb]    fcntl F_SETLKW, or F_SETLK with nb
 *   ofd SLOT rd|wr|un [nb]      F_OFD_SETLKW or F_OFD_SETLK
 *   range SLOT wr|un            F_SETLK of the first byte only
 *   lockf SLOT lock|tlock|ulock
 *   lockf64 SLOT lock|tlock|ulock   the same through lockf64, the call of
 *                               programs built with _FILE_OFFSET_BITS=64
 *   getlk SLOT rd|wr            F_GETLK: "ok unlck", "ok rdlck PID" ...
 *   ofdgetlk SLOT rd|wr         F_OFD_GETLK, likewise
 *   alarm MS [restart]          SIGALRM in MS ms, its handler without
 *                               SA_RESTART, or with it
 *   fork                        a child that keeps every descriptor and
 *                               sleeps: "ok PID"
 *   kill PID                    SIGKILL the child and reap it
 *   forkrun COMMAND...          COMMAND in a child, its answer
 *   pid                         "ok PID"
 *   exec                        execve() itself, keeping the slots'
 *                               descriptors: "ok" from the new image
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS 16

static int slot[SLOTS];

static void on_alarm(int sig)
{
	(void)sig;
}

static int fail(char *out, size_t len)
{
	snprintf(out, len, "err %s", strerrorname_np(errno));
	return -1;
}

static int fd_of(const char *s)
{
	int i = s ? atoi(s) : -1;

	return i >= 0 && i < SLOTS ? slot[i] : -1;
}

static int setlk(int fd, int cmd, short type, off_t len)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_len = len,
	};

	return fcntl(fd, cmd, &fl);
}

static short type_of(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "rd") || !strcmp(s, "sh"))
		return F_RDLCK;
	if (!strcmp(s, "wr") || !strcmp(s, "ex"))
		return F_WRLCK;
	return F_UNLCK;
}

static int getlk(int fd, int cmd, const char *t, char *out, size_t len)
{
	struct flock fl = {
		.l_type = type_of(t),
		.l_whence = SEEK_SET,
	};
	static const char *const names[] = {
		[F_RDLCK] = "rdlck", [F_WRLCK] = "wrlck", [F_UNLCK] = "unlck",
	};

	if (fcntl(fd, cmd, &fl))
		return fail(out, len);
	if (fl.l_type == F_UNLCK)
		snprintf(out, len, "ok unlck");
	else
		snprintf(out, len, "ok %s %d", names[fl.l_type], (int)fl.l_pid);
	return 0;
}

static int run(char **w, int n, char *out, size_t len);

static int forkrun(char **w, int n, char *out, size_t len)
{
	int p[2], status;
	ssize_t got;
	pid_t pid;

	if (pipe(p))
		return fail(out, len);
	pid = fork();
	if (pid < 0)
		return fail(out, len);
	if (!pid) {
		char buf[128];

		close(p[0]);
		run(w, n, buf, sizeof(buf));
		if (write(p[1], buf, strlen(buf)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	got = read(p[0], out, len - 1);
	close(p[0]);
	waitpid(pid, &status, 0);
	out[got > 0 ? got : 0] = '\0';
	return 0;
}

static int run(char **w, int n, char *out, size_t len)
{
	const char *cmd = w[0];
	int fd = n > 1 ? fd_of(w[1]) : -1;
	bool nb = n > 3 && !strcmp(w[3], "nb");
	short type = n > 2 ? type_of(w[2]) : -1;
	int ret;

	snprintf(out, len, "ok");
	if (!strcmp(cmd, "open") && n == 3) {
		slot[atoi(w[1]) % SLOTS] = open(w[2], O_RDWR);
		ret = slot[atoi(w[1]) % SLOTS] < 0 ? -1 : 0;
	} else if (!strcmp(cmd, "dup") && n == 3) {
		slot[atoi(w[2]) % SLOTS] = dup(fd);
		ret = slot[atoi(w[2]) % SLOTS] < 0 ? -1 : 0;
	} else if (!strcmp(cmd, "close") && n == 2) {
		ret = close(fd);
	} else if (!strcmp(cmd, "flock") && n >= 3) {
		ret = flock(fd, (type == F_RDLCK ? LOCK_SH :
				 type == F_WRLCK ? LOCK_EX : LOCK_UN) |
				(nb ? LOCK_NB : 0));
	} else if (!strcmp(cmd, "posix") && n >= 3) {
		ret = setlk(fd, nb ? F_SETLK : F_SETLKW, type, 0);
	} else if (!strcmp(cmd, "ofd") && n >= 3) {
		ret = setlk(fd, nb ? F_OFD_SETLK : F_OFD_SETLKW, type, 0);
	} else if (!strcmp(cmd, "range") && n == 3) {
		ret = setlk(fd, F_SETLK, type, 1);
	} else if (!strcmp(cmd, "lockf") && n == 3) {
		ret = lockf(fd, !strcmp(w[2], "lock") ? F_LOCK :
				!strcmp(w[2], "tlock") ? F_TLOCK : F_ULOCK, 0);
	} else if (!strcmp(cmd, "lockf64") && n == 3) {
		ret = lockf64(fd, !strcmp(w[2], "lock") ? F_LOCK :
				  !strcmp(w[2], "tlock") ? F_TLOCK : F_ULOCK, 0);
	} else if (!strcmp(cmd, "getlk") && n == 3) {
		return getlk(fd, F_GETLK, w[2], out, len);
	} else if (!strcmp(cmd, "ofdgetlk") && n == 3) {
		return getlk(fd, F_OFD_GETLK, w[2], out, len);
	} else if (!strcmp(cmd, "alarm") && (n == 2 || n == 3)) {
		struct sigaction sa = {
			.sa_handler = on_alarm,
			.sa_flags = n == 3 ? SA_RESTART : 0,
		};
		struct itimerval it = {
			.it_value.tv_sec = atoi(w[1]) / 1000,
			.it_value.tv_usec = atoi(w[1]) % 1000 * 1000,
		};

		ret = sigaction(SIGALRM, &sa, NULL);
		if (!ret)
			ret = setitimer(ITIMER_REAL, &it, NULL);
	} else if (!strcmp(cmd, "fork") && n == 1) {
		pid_t pid = fork();

		if (!pid)
			for (;;)
				pause();
		ret = pid < 0 ? -1 : 0;
		snprintf(out, len, "ok %d", (int)pid);
	} else if (!strcmp(cmd, "vforkclose") && n == 2) {
		/* A vfork() child closes the descriptor before it exits. */
		pid_t pid = vfork();

		if (!pid) {
			close(fd);
			_exit(0);
		}
		ret = pid < 0 ? -1 : waitpid(pid, NULL, 0) < 0 ? -1 : 0;
	} else if (!strcmp(cmd, "kill") && n == 2) {
		ret = kill(atoi(w[1]), SIGKILL);
		if (!ret)
			ret = waitpid(atoi(w[1]), NULL, 0) < 0 ? -1 : 0;
	} else if (!strcmp(cmd, "forkrun") && n > 1) {
		return forkrun(w + 1, n - 1, out, len);
	} else if (!strcmp(cmd, "exec") && n == 1) {
		char arg[SLOTS][16], *argv[SLOTS + 2];
		int i;

		argv[0] = "preload-helper";
		for (i = 0; i < SLOTS; i++) {
			snprintf(arg[i], sizeof(arg[i]), "%d", slot[i]);
			argv[i + 1] = arg[i];
		}
		argv[SLOTS + 1] = NULL;
		fflush(stdout);
		execv("/proc/self/exe", argv);
		ret = -1;
	} else if (!strcmp(cmd, "pid") && n == 1) {
		snprintf(out, len, "ok %d", (int)getpid());
		ret = 0;
	} else {
		errno = EINVAL;
		ret = -1;
	}
	return ret ? fail(out, len) : 0;
}

int main(int argc, char **argv)
{
	char line[512], out[128], *w[8], *save;
	int n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* After "exec": the slots as they were, and the answer to it. */
	if (argc == SLOTS + 1) {
		for (n = 0; n < SLOTS; n++)
			slot[n] = atoi(argv[n + 1]);
		printf("ok\n");
	}
	while (fgets(line, sizeof(line), stdin)) {
		n = 0;
		for (w[n] = strtok_r(line, " \n", &save); w[n] && n < 7;
		     w[n] = strtok_r(NULL, " \n", &save))
			n++;
		if (!n)
			continue;
		run(w, n, out, sizeof(out));
		printf("%s\n", out);
	}
	return 0;
}
