/*
 * Running hooks (billing, DNS, deploy, notify): fork and execve, never a
 * shell; a clean environment of documented ACME_* variables; stdin from
 * /dev/null; stdout and stderr captured into a bounded buffer for the
 * audit detail; the hook's own process group, killed at its timeout.
 *
 * The sweep runs several threads, so the child does only async-signal-
 * safe things between fork and execve: everything it needs (argv, envp,
 * descriptors) is built before the fork.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sweep.h"

#define HOOK_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			"/sbin:/bin"
#define HOOK_ARGS_MAX	8
#define HOOK_FDS_MAX	4
#define HOOK_GRACE_MS	1000	/* SIGTERM to SIGKILL */
#define HOOK_LINGER_MS	200	/* output after the hook exited */
#define HOOK_PASS	"ACME_HOOK_"	/* passed through from our env */

extern char	**environ;

void
hook_env_add(struct hook_env *e, const char *name, const char *fmt, ...)
{
	va_list	  ap;
	char	 *val = NULL, *kv = NULL, **nv;
	int	  n;

	if (e->oom)
		return;
	va_start(ap, fmt);
	n = vasprintf(&val, fmt, ap);
	va_end(ap);
	if (n < 0) {
		e->oom = 1;
		return;
	}
	if (asprintf(&kv, "%s=%s", name, val) < 0 ||
	    (nv = reallocarray(e->v, e->n + 2, sizeof(*nv))) == NULL) {
		free(kv);
		free(val);
		e->oom = 1;
		return;
	}
	free(val);
	e->v = nv;
	e->v[e->n++] = kv;
	e->v[e->n] = NULL;
}

void
hook_env_free(struct hook_env *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* Milliseconds of CLOCK_MONOTONIC. */
static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there into r (the excess is drained and dropped).
 * Returns 1 at end of file, 0 otherwise. */
static int
drain(int fd, struct hook_result *r)
{
	char	 buf[4096];
	ssize_t	 n;
	size_t	 room, take;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		room = HOOK_OUT_MAX - r->len;
		take = (size_t)n < room ? (size_t)n : room;
		memcpy(r->out + r->len, buf, take);
		r->len += take;
		r->out[r->len] = '\0';
		if (take < (size_t)n)
			r->truncated = 1;
	}
}

/* The hook's environment: the fixed part, then e, then ACME_HOOK_*. */
static char **
build_envp(const struct hook_env *e, char **fixed, size_t nfixed)
{
	char	**envp;
	size_t	  n = 0, i, total;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		continue;
	total = nfixed + e->n + i + 1;
	if ((envp = calloc(total, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < nfixed; i++)
		envp[n++] = fixed[i];
	for (i = 0; i < e->n; i++)
		envp[n++] = e->v[i];
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		if (strncmp(environ[i], HOOK_PASS, strlen(HOOK_PASS)) == 0)
			envp[n++] = environ[i];
	envp[n] = NULL;
	return envp;
}

/* Kills the hook's process group with sig (and the leader, in case it
 * has not reached setpgid yet). */
static void
kill_group(pid_t pid, int sig)
{
	(void)kill(-pid, sig);
	(void)kill(pid, sig);
}

int
hook_run(const char *path, const char *const *args,
    const struct hook_env *e, const int *fds, size_t nfds, unsigned timeout,
    struct hook_result *r)
{
	struct sigaction	 dfl;
	struct pollfd		 pfd;
	sigset_t		 none;
	const char		*argv[HOOK_ARGS_MAX + 2];
	char			*fixed[4] = { NULL, NULL, NULL, NULL };
	char			**envp = NULL;
	const char		*home;
	int			 pipefd[2] = { -1, -1 }, devnull = -1;
	int			 status = 0, exited = 0, eof = 0, rc = -1;
	int			 hi, sig;
	int64_t			 start, deadline, now, linger = 0;
	size_t			 i, na = 0;
	pid_t			 pid, parent = getpid(), w;

	memset(r, 0, sizeof(*r));
	r->end = HOOK_FAILED;
	if (e->oom || nfds > HOOK_FDS_MAX) {
		r->code = ENOMEM;
		return -1;
	}
	argv[na++] = path;
	for (i = 0; args != NULL && args[i] != NULL && na < HOOK_ARGS_MAX + 1;
	    i++)
		argv[na++] = args[i];
	argv[na] = NULL;
	home = getenv("HOME");
	if (asprintf(&fixed[0], "PATH=%s", HOOK_PATH) < 0 ||
	    asprintf(&fixed[1], "HOME=%s", home != NULL && *home == '/' ?
	    home : "/") < 0 ||
	    (fixed[2] = strdup("LANG=C")) == NULL ||
	    (fixed[3] = strdup("TZ=UTC")) == NULL ||
	    (envp = build_envp(e, fixed, 4)) == NULL) {
		r->code = ENOMEM;
		goto out;
	}
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&none);
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    pipe2(pipefd, O_CLOEXEC) == -1) {
		r->code = errno;
		goto out;
	}
	start = mono_ms();
	if ((pid = fork()) == -1) {
		r->code = errno;
		goto out;
	}
	if (pid == 0) {
		/* The child: async-signal-safe calls only. */
		(void)setpgid(0, 0);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				(void)sigaction(sig, &dfl, NULL);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		/* Move the passed descriptors out of the way first, so that
		 * placing them at 3, 4, ... cannot overwrite one another. */
		for (i = 0; i < nfds; i++) {
			if ((hi = fcntl(fds[i], F_DUPFD, 64 + (int)i)) == -1)
				_exit(127);
			if (dup2(hi, 3 + (int)i) == -1)
				_exit(127);
		}
		if (dup2(devnull, 0) == -1 || dup2(pipefd[1], 1) == -1 ||
		    dup2(pipefd[1], 2) == -1)
			_exit(127);
		(void)close_range(3 + (unsigned)nfds, ~0U, 0);
		execve(path, (char *const *)(uintptr_t)argv, envp);
		_exit(127);
	}
	(void)setpgid(pid, pid);	/* either side may win the race */
	close(pipefd[1]);
	pipefd[1] = -1;
	(void)fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	deadline = start + (int64_t)timeout * 1000;
	for (;;) {
		now = mono_ms();
		if (!eof) {
			pfd.fd = pipefd[0];
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (poll(&pfd, 1, 50) > 0)
				eof = drain(pipefd[0], r);
		} else
			usleep(20 * 1000);
		if (!exited) {
			w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				exited = 1;
			else if (w == -1 && errno != EINTR) {
				/* Lost track of it: treat as gone. */
				exited = 1;
				status = 0x7f00;
			}
		}
		now = mono_ms();
		if (exited && eof)
			break;
		if (exited) {
			/* Something the hook started still holds the pipe. */
			if (linger == 0)
				linger = now + HOOK_LINGER_MS;
			else if (now >= linger)
				break;
			continue;
		}
		if (now >= deadline) {
			kill_group(pid, SIGTERM);
			while (waitpid(pid, &status, WNOHANG) == 0 &&
			    mono_ms() < now + HOOK_GRACE_MS)
				usleep(20 * 1000);
			kill_group(pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				continue;
			(void)drain(pipefd[0], r);
			r->end = HOOK_TIMEOUT;
			r->secs = (double)(mono_ms() - start) / 1000.0;
			rc = 0;
			goto out;
		}
	}
	r->secs = (double)(mono_ms() - start) / 1000.0;
	if (WIFEXITED(status)) {
		r->end = HOOK_EXITED;
		r->code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->end = HOOK_SIGNALED;
		r->code = WTERMSIG(status);
	} else {
		r->end = HOOK_EXITED;
		r->code = 127;
	}
	rc = 0;
out:
	if (pipefd[0] != -1)
		close(pipefd[0]);
	if (pipefd[1] != -1)
		close(pipefd[1]);
	if (devnull != -1)
		close(devnull);
	free(envp);
	for (i = 0; i < 4; i++)
		free(fixed[i]);
	return rc;
}

char *
hook_describe(const struct hook_result *r)
{
	char	*esc = NULL, *line = NULL, *p;
	char	 how[64];

	switch (r->end) {
	case HOOK_EXITED:
		snprintf(how, sizeof(how), "exit %d", r->code);
		break;
	case HOOK_SIGNALED:
		snprintf(how, sizeof(how), "killed by signal %d", r->code);
		break;
	case HOOK_TIMEOUT:
		snprintf(how, sizeof(how), "timed out, killed");
		break;
	default:
		snprintf(how, sizeof(how), "not started: %s",
		    strerror(r->code));
		return strdup(how);
	}
	/* Trailing newlines are noise in a one-line detail. */
	if ((esc = panel_escape_ctl(r->out, 1024)) == NULL)
		return NULL;
	while ((p = strrchr(esc, '\\')) != NULL && strcmp(p, "\\n") == 0)
		*p = '\0';
	if (asprintf(&line, "%s in %.1f s%s%s%s", how, r->secs,
	    *esc != '\0' ? ": " : "", esc, r->truncated ? " [cut]" : "") < 0)
		line = NULL;
	free(esc);
	return line;
}

int
hook_memfd(const char *name, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;
	int		 fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) == -1)
		return -1;
	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ACME_OWNER, ACME_OWNER_ID, ACME_ACCOUNT_ID, ACME_CONTACTS. */
static void
env_owner(struct worker *w, struct hook_env *e, int64_t owner,
    int64_t account_id)
{
	struct store_user	*u = NULL;
	struct store_account	*a = NULL;
	char			*contacts = NULL, **bare = NULL;
	size_t			 i;

	hook_env_add(e, "ACME_OWNER_ID", "%lld", (long long)owner);
	if (store_user_get(w->st, owner, &u) == PANEL_OK)
		hook_env_add(e, "ACME_OWNER", "%s", u->name);
	store_user_free(u);
	hook_env_add(e, "ACME_ACCOUNT_ID", "%lld", (long long)account_id);
	if (store_account_get(w->st, account_id, 0, &a) != PANEL_OK)
		return;
	/* Bare addresses, "mailto:" dropped, space separated. */
	if ((bare = calloc(a->ncontacts + 1, sizeof(*bare))) == NULL) {
		e->oom = 1;
		goto out;
	}
	for (i = 0; i < a->ncontacts; i++)
		bare[i] = a->contacts[i] + (strncmp(a->contacts[i], "mailto:",
		    7) == 0 ? 7 : 0);
	if ((contacts = sw_join(bare, a->ncontacts, " ")) == NULL)
		e->oom = 1;
	else
		hook_env_add(e, "ACME_CONTACTS", "%s", contacts);
out:
	free(bare);
	free(contacts);
	store_account_free(a);
}

void
hook_env_cert(struct worker *w, struct hook_env *e, const struct store_cert *c)
{
	char	 t[21], *d;

	hook_env_add(e, "ACME_CERT_ID", "%lld", (long long)c->id);
	if (c->serial != NULL)
		hook_env_add(e, "ACME_SERIAL", "%s", c->serial);
	hook_env_add(e, "ACME_NOT_BEFORE", "%s",
	    panel_time_iso((time_t)c->not_before, t));
	hook_env_add(e, "ACME_NOT_AFTER", "%s",
	    panel_time_iso((time_t)c->not_after, t));
	if ((d = sw_join(c->domains, c->ndomains, " ")) == NULL)
		e->oom = 1;
	else
		hook_env_add(e, "ACME_DOMAINS", "%s", d);
	free(d);
	env_owner(w, e, c->owner, c->account_id);
}

void
hook_env_order(struct worker *w, struct hook_env *e,
    const struct store_order *o)
{
	char	*d;

	hook_env_add(e, "ACME_ORDER_ID", "%lld", (long long)o->id);
	if ((d = sw_join(o->domains, o->ndomains, " ")) == NULL)
		e->oom = 1;
	else
		hook_env_add(e, "ACME_DOMAINS", "%s", d);
	free(d);
	env_owner(w, e, o->owner, o->account_id);
}
