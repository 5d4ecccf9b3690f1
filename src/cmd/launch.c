/*
 * launch.c - launch mode shared by `record` and `top`: start a command,
 * reap it, and attach to it once it has become Python.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/util.h"

#define ATTACH_TIMEOUT_NS 10000000000ull	/* launch mode: wait for Python */

int cmd_launch(char **command, int flags, struct cmd_child *c)
{
	int pfd[2], err = 0, fd;
	ssize_t n;

	c->pid = 0;
	c->reaped = c->status = 0;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		cmd_errorf("cannot create a pipe: %s", strerror(errno));
		return 1;
	}
	c->pid = fork();
	if (c->pid < 0) {
		c->pid = 0;
		close(pfd[0]);
		close(pfd[1]);
		cmd_errorf("cannot fork: %s", strerror(errno));
		return 1;
	}
	if (c->pid == 0) {
		close(pfd[0]);
		if (flags & LAUNCH_OWN_PGRP)
			setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		if (flags & (LAUNCH_QUIET | LAUNCH_NULL_STDIN)) {
			fd = open("/dev/null", O_RDWR);
			if (fd >= 0) {
				dup2(fd, STDIN_FILENO);
				if (flags & LAUNCH_QUIET) {
					dup2(fd, STDOUT_FILENO);
					dup2(fd, STDERR_FILENO);
				}
				if (fd > 2)
					close(fd);
			}
		}
		if (flags & LAUNCH_STDOUT_TO_STDERR)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(command[0], command);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(err)) {
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
		cmd_errorf("cannot run '%s': %s", command[0], strerror(err));
		return 127;
	}
	return 0;
}

int cmd_reap(struct cmd_child *c, int block, volatile sig_atomic_t *forward)
{
	int st;
	pid_t w;

	if (!c->pid || c->reaped)
		return c->reaped;
	for (;;) {
		w = waitpid(c->pid, &st, block ? 0 : WNOHANG);
		if (w >= 0 || errno != EINTR || !block)
			break;
		/* Interrupted while waiting for the command to end: a SIGTERM
		 * meant for us is passed on to it, anything else waited out. */
		if (forward && *forward == SIGTERM)
			kill(c->pid, SIGTERM);
		if (forward)
			*forward = 0;
	}
	if (w != c->pid)
		return 0;
	c->reaped = 1;
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
	return 1;
}

int cmd_attach(pid_t pid, const struct pyt_options *po, struct cmd_child *c,
	       const char *command, volatile sig_atomic_t *stop,
	       struct py_target **out)
{
	struct gs_error err = { 0 };
	uint64_t t0 = now_ns();

	for (;;) {
		enum gs_err rc;

		memset(&err, 0, sizeof(err));
		rc = pyt_attach(pid, po, out, &err);
		if (rc == GS_OK)
			return 0;
		/* A launched command is not Python until it has exec'd and
		 * loaded the interpreter: keep trying for a while. */
		if (!c || !c->pid || rc == GS_EPERM || (stop && *stop) ||
		    now_ns() - t0 > ATTACH_TIMEOUT_NS)
			break;
		if (cmd_reap(c, 0, NULL)) {
			cmd_errorf("'%s' exited (status %d) before gilspy could "
				   "attach to it", command, c->status);
			return -1;
		}
		usleep(5000);
	}
	cmd_report_error(&err);
	return -1;
}
