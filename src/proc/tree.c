/*
 * tree.c - the descendants of a process, found by listing /proc (proc.h,
 * "process trees").
 *
 * The kernel's per-task `children` files would name them directly, but
 * they need CONFIG_PROC_CHILDREN, which common kernels (this one) leave
 * out.  Listing /proc costs one getdents per few hundred processes; the
 * parent of a pid is read from its stat file once, when the pid is first
 * listed, so a scan reads only what is new.  A pid that has left the
 * listing is forgotten, so a recycled pid is read afresh.
 *
 * Where the kernel lets us (CAP_NET_ADMIN, the host's network namespace),
 * the process events connector says at once when a process of the tree
 * forks: proc_tree_poll() reads those, and the listing only catches what
 * they miss (events dropped when the socket overflowed, processes that
 * were there before).
 *
 * A process stays in the tree once found, even when its parent exits and
 * it is handed to init (or to a subreaper): it is still part of what was
 * started.  A child whose parent exited before either was listed cannot be
 * told apart from any other orphan and is missed.
 */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gilspy/hashmap.h"
#include "gilspy/proc.h"
#include "gilspy/util.h"

/* A process listed in /proc, as of the last scan. */
struct tree_ent {
	pid_t pid, ppid;	/* ppid 0: could not be read */
	uint8_t in_tree;	/* the root or one of its descendants */
	uint8_t reported;	/* handed out by proc_tree_scan() */
};

struct proc_tree {
	pid_t root;
	struct tree_ent *ents;	/* as of the last scan */
	size_t nents, aents;
	struct u64map index;	/* pid -> ents index */
	int scanned;
	int ev_fd;		/* process events, -1: none */
	int ev_lost;		/* events were dropped: list /proc again */
	uint64_t ev_births, ev_overflows;	/* counts, for -v */
};

struct proc_tree *proc_tree_new(pid_t root)
{
	struct proc_tree *t = xcalloc(1, sizeof(*t));

	t->root = root;
	t->ev_fd = -1;
	u64map_init(&t->index);
	return t;
}

/*
 * The socket filter: keep a message only when it is a fork whose child is
 * a process (child_pid == child_tgid).  Offsets into the message: the
 * netlink header (16 bytes), the connector header (20), then struct
 * proc_event: what (4), cpu (4), timestamp (8), then the fork's
 * parent_pid, parent_tgid, child_pid, child_tgid.  Classic BPF loads
 * words big-endian: the constant is PROC_EVENT_FORK byte-swapped, and the
 * two pids compare equal either way.
 */
#define EV_WHAT_OFF (NLMSG_HDRLEN + (unsigned)sizeof(struct cn_msg))
#define EV_CHILD_PID_OFF (EV_WHAT_OFF + 16 + 8)
/* what a fork event needs of struct proc_event (the kernel may send a
 * shorter one than this header's) */
#define EV_FORK_LEN (offsetof(struct proc_event, event_data) + \
		     sizeof(struct fork_proc_event))
static struct sock_filter fork_code[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_WHAT_OFF),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		 __builtin_bswap32(PROC_EVENT_FORK), 0, 5),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_CHILD_PID_OFF),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EV_CHILD_PID_OFF + 4),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};
static const struct sock_fprog fork_filter = {
	.len = sizeof(fork_code) / sizeof(fork_code[0]),
	.filter = fork_code,
};
static const int rcvbuf = 4 << 20;

int proc_tree_listen(struct proc_tree *t)
{
	struct sockaddr_nl sa;
	struct {
		struct nlmsghdr nl;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) req;
	int fd;

	if (t->ev_fd >= 0)
		return 0;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_CONNECTOR);
	if (fd < 0)
		return -1;
	/* every fork, exit and exec of the machine comes to this socket:
	 * let the kernel drop all but the births of processes (not threads),
	 * and give it room for bursts, lest children go unseen */
	setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fork_filter,
		   sizeof(fork_filter));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.nl.nlmsg_len = sizeof(req);
	req.nl.nlmsg_type = NLMSG_DONE;
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.len = sizeof(req.op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		goto fail;
	t->ev_fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

void proc_tree_free(struct proc_tree *t)
{
	if (!t)
		return;
	if (t->ev_fd >= 0)
		close(t->ev_fd);
	u64map_release(&t->index);
	free(t->ents);
	free(t);
}

/* The parent of pid from /proc/PID/stat (field 4, after the command name,
 * which may hold anything); 0 when it cannot be read. */
static pid_t read_ppid(pid_t pid)
{
	char path[48], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return 0;
	return (pid_t)strtol(p + 4, NULL, 10);
}

static int parse_pid(const char *s, pid_t *pid)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*pid = (pid_t)v;
	return v > 0 ? 0 : -1;
}

static int in_tree(const struct proc_tree *t, const struct tree_ent *ents,
		   pid_t pid)
{
	uint32_t i;

	if (pid == t->root)
		return 1;
	return u64map_get(&t->index, (uint64_t)pid, &i) && ents[i].in_tree;
}

int proc_tree_scan(struct proc_tree *t, pid_t **added, size_t *nadded)
{
	struct tree_ent *old = t->ents, *ents = NULL;
	size_t nold = t->nents, n = 0, a = 0, i;
	struct u64map old_index = t->index;
	struct dirent *de;
	int changed;
	DIR *d;

	*added = NULL;
	*nadded = 0;
	d = opendir("/proc");
	if (!d)
		return -1;
	u64map_init(&t->index);
	while ((de = readdir(d))) {
		struct tree_ent *e;
		uint32_t k;
		pid_t pid;

		if (parse_pid(de->d_name, &pid))
			continue;
		if (n == a) {
			a = a ? 2 * a : 256;
			ents = xrealloc(ents, a * sizeof(*ents));
		}
		e = &ents[n];
		if (u64map_get(&old_index, (uint64_t)pid, &k) && k < nold) {
			*e = old[k];
		} else {
			memset(e, 0, sizeof(*e));
			e->pid = pid;
			e->ppid = read_ppid(pid);
			e->in_tree = pid == t->root;
		}
		u64map_put(&t->index, (uint64_t)pid, (uint32_t)n);
		n++;
	}
	closedir(d);
	u64map_release(&old_index);
	free(old);
	t->ents = ents;
	t->nents = n;
	t->aents = a;
	/* A new child and its own new child may be listed in any order:
	 * go over them until nothing more joins. */
	do {
		changed = 0;
		for (i = 0; i < n; i++) {
			if (ents[i].in_tree || !ents[i].ppid)
				continue;
			if (in_tree(t, ents, ents[i].ppid)) {
				ents[i].in_tree = 1;
				changed = 1;
			}
		}
	} while (changed);
	for (i = 0; i < n; i++) {
		if (!ents[i].in_tree || ents[i].reported)
			continue;
		ents[i].reported = 1;
		*added = xrealloc(*added, (*nadded + 1) * sizeof(**added));
		(*added)[(*nadded)++] = ents[i].pid;
	}
	t->scanned = 1;
	return 0;
}

pid_t proc_tree_parent(const struct proc_tree *t, pid_t pid)
{
	uint32_t i;

	if (!u64map_get(&t->index, (uint64_t)pid, &i))
		return 0;
	return t->ents[i].ppid;
}

/* Take pid (child of ppid, in the tree) into the listing between scans. */
static void take_child(struct proc_tree *t, pid_t pid, pid_t ppid)
{
	struct tree_ent *e;
	uint32_t i;

	if (u64map_get(&t->index, (uint64_t)pid, &i)) {
		e = &t->ents[i];	/* a recycled pid the listing had */
	} else {
		if (t->nents == t->aents) {
			t->aents = t->aents ? 2 * t->aents : 256;
			t->ents = xrealloc(t->ents,
					   t->aents * sizeof(*t->ents));
		}
		e = &t->ents[t->nents];
		u64map_put(&t->index, (uint64_t)pid, (uint32_t)t->nents);
		t->nents++;
	}
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->ppid = ppid;
	e->in_tree = 1;
	e->reported = 1;
}

int proc_tree_poll(struct proc_tree *t, pid_t **added, size_t *nadded)
{
	char buf[4096] __attribute__((aligned(8)));
	int n = 0;

	*added = NULL;
	*nadded = 0;
	if (t->ev_fd < 0)
		return -1;
	/* at most a few hundred events a call: a fork storm elsewhere on
	 * the machine must not hold the sampler up; the rest wait */
	while (n++ < 256) {
		const struct nlmsghdr *nl = (const void *)buf;
		const struct cn_msg *cn;
		struct proc_event ev;
		ssize_t len = recv(t->ev_fd, buf, sizeof(buf), 0);

		if (len < 0) {
			if (errno == ENOBUFS) {	/* the socket overflowed */
				t->ev_lost = 1;
				t->ev_overflows++;
			}
			else if (errno != EINTR)
				break;
			continue;
		}
		if ((size_t)len < sizeof(*nl) + sizeof(*cn) + EV_FORK_LEN ||
		    !NLMSG_OK(nl, (size_t)len))
			continue;
		cn = NLMSG_DATA(nl);
		if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
			continue;
		/* the event lies 36 bytes in: copied out, not read in place
		 * (it wants 8-byte alignment) */
		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, cn->data, EV_FORK_LEN);
		if (ev.what != PROC_EVENT_FORK)
			continue;
		t->ev_births++;
		/* a new process (not a thread) of a process of the tree */
		if (ev.event_data.fork.child_pid !=
		    ev.event_data.fork.child_tgid)
			continue;
		if (!t->scanned || !in_tree(t, t->ents,
					    ev.event_data.fork.parent_tgid))
			continue;
		take_child(t, ev.event_data.fork.child_tgid,
			   ev.event_data.fork.parent_tgid);
		*added = xrealloc(*added, (*nadded + 1) * sizeof(**added));
		(*added)[(*nadded)++] = ev.event_data.fork.child_tgid;
	}
	return 0;
}

int proc_tree_lost(struct proc_tree *t)
{
	int lost = t->ev_lost;

	t->ev_lost = 0;
	return lost;
}

void proc_tree_counts(const struct proc_tree *t, uint64_t *births,
		      uint64_t *overflows)
{
	*births = t->ev_births;
	*overflows = t->ev_overflows;
}
