// SPDX-License-Identifier: GPL-2.0
/*
 * Who may use and see a lockspace: the IPC namespace lockdev names a task's
 * by, the permission bits of a named lockspace as a caller gets them, the
 * viewers of /proc/lockdev/ files, netlink dumps and events, and the way
 * /proc shows a lockspace's name.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/user_namespace.h>

#include "space.h"
#include "user.h"

/**
 * ld_current_ipc() - the IPC namespace of the calling task
 *
 * The IPC namespace of the calling task, as lockdev names it: by its mqueue
 * mount. The address of a namespace that went away can be taken by a new
 * one, and its inode number too; a lockspace holds a reference to the mount,
 * so no other namespace can ever have that one while the lockspace lives.
 * The namespace clears the mount's superblock's s_fs_info when it goes
 * (mq_clear_sbinfo()), which ld_ipc_alive() reads.
 */
struct vfsmount *ld_current_ipc(void)
{
	return current->nsproxy->ipc_ns->mq_mnt;
}

/*
 * Is the calling task in the initial IPC namespace? Only there does a task
 * with CAP_SYS_ADMIN in the initial user namespace see every lockspace.
 */
bool ld_current_in_init_ipc(void)
{
	return current->nsproxy->ipc_ns->ns.inum == PROC_IPC_INIT_INO;
}

/**
 * ld_cred_in_group() - is @gid the effective or a supplementary group of @cred
 * @cred: the credentials
 * @gid: the group
 */
bool ld_cred_in_group(const struct cred *cred, kgid_t gid)
{
	const struct group_info *gi = cred->group_info;
	int i;

	if (gid_eq(cred->egid, gid))
		return true;
	for (i = 0; i < gi->ngroups; i++)
		if (gid_eq(gi->gid[i], gid))
			return true;
	return false;
}

/*
 * Has the opener of @file (the calling task when NULL) @cap in @ns? A
 * viewer is judged by the credentials it opened its file with.
 */
static bool ld_viewer_capable(const struct file *file,
			      struct user_namespace *ns, int cap)
{
	if (file)
		return file_ns_capable(file, ns, cap);
	return ns_capable_noaudit(ns, cap);
}

/**
 * ld_space_perms() - what a caller may do in a named lockspace
 * @space: the lockspace
 * @cred: the caller's credentials (@v's, if given)
 * @v: the viewer, whose user namespace is @space's, or NULL for the calling
 *	task
 *
 * The bits of the first class @cred is in, as for files: owner, group,
 * other; CAP_IPC_OWNER in the lockspace's user namespace grants both.
 *
 * Return: LD_MAY_READ and LD_MAY_WRITE bits.
 */
unsigned int ld_space_perms(const struct ld_space *space,
			    const struct cred *cred, const struct ld_viewer *v)
{
	unsigned int granted = READ_ONCE(space->mode);

	if (uid_eq(cred->euid, READ_ONCE(space->uid)))
		granted >>= 6;
	else if (ld_cred_in_group(cred, READ_ONCE(space->gid)))
		granted >>= 3;
	granted &= LD_MAY_READ | LD_MAY_WRITE;
	if (granted != (LD_MAY_READ | LD_MAY_WRITE) &&
	    (v ? v->ipc_owner :
	     ns_capable_noaudit(space->user_ns, CAP_IPC_OWNER)))
		granted = LD_MAY_READ | LD_MAY_WRITE;
	return granted;
}

/**
 * ld_viewer_init() - who looks at lockspaces through a file
 * @v: the viewer to fill
 * @file: the file (of /proc/lockdev/, or a netlink socket's), or NULL for
 *	the calling task
 *
 * A file is judged by its opener, as /proc/PID files are: its credentials,
 * whoever reads it later; and by the IPC and pid namespaces of the task that
 * opens it (a /proc file) or asks (netlink). Its capabilities are found
 * here, so that a viewer judged later in another task (an event's work
 * item) is judged as it was.
 *
 * Context: in the opener's task, or the netlink sender's.
 */
void ld_viewer_init(struct ld_viewer *v, const struct file *file)
{
	v->walker = NULL;
	v->cred = get_cred(file ? file->f_cred : current_cred());
	v->ipc = mntget(ld_current_ipc());
	v->pid_ns = get_pid_ns(task_active_pid_ns(current));
	v->all = ld_current_in_init_ipc() &&
		 ld_viewer_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	v->ipc_owner = ld_viewer_capable(file, v->cred->user_ns,
					 CAP_IPC_OWNER);
}

/**
 * ld_viewer_init_walk() - ld_viewer_init() for a walk that lasts
 * @v: the viewer to fill
 * @file: as for ld_viewer_init()
 *
 * A walk that lasts across reads or dump calls keeps a place in shared
 * lists and a lockspace, so each counts, as a session does, against
 * max_sessions_per_user of the uid that opened the file or socket, until
 * ld_viewer_exit().
 *
 * Context: as ld_viewer_init(); may sleep.
 * Return: 0, or -EDQUOT (the limit) or -ENOMEM with nothing to exit.
 */
int ld_viewer_init_walk(struct ld_viewer *v, const struct file *file)
{
	struct ld_user *user;

	ld_viewer_init(v, file);
	user = ld_user_get_session(v->cred);
	if (IS_ERR(user)) {
		ld_viewer_exit(v);
		return PTR_ERR(user);
	}
	v->walker = user;
	return 0;
}

/**
 * ld_viewer_exit() - drop what ld_viewer_init() or ld_viewer_init_walk() took
 * @v: the viewer
 */
void ld_viewer_exit(struct ld_viewer *v)
{
	if (v->walker)
		ld_user_put_session(v->walker);
	put_pid_ns(v->pid_ns);
	mntput(v->ipc);
	put_cred(v->cred);
}

/**
 * ld_space_visible() - may a viewer see a lockspace's locks
 * @space: the lockspace
 * @v: the viewer
 *
 * Return: true for a lockspace of the viewer's namespaces that it may read,
 * and for every lockspace if the viewer has CAP_SYS_ADMIN in the initial
 * user namespace and is in the initial IPC namespace: the host's root.
 */
bool ld_space_visible(const struct ld_space *space, const struct ld_viewer *v)
{
	if (v->all)
		return true;
	if (space->user_ns != v->cred->user_ns || space->ipc != v->ipc)
		return false;
	if (space->is_default)
		return uid_eq(space->uid, v->cred->euid) || v->ipc_owner;
	return ld_space_perms(space, v->cred, v) & LD_MAY_READ;
}

/**
 * ld_escape() - print bytes with the escapes of /proc/lockdev/locks
 * @m: the seq_file
 * @s: the bytes
 * @len: how many
 *
 * Bytes outside 0x21-0x7e, the backslash and the tilde become a backslash and
 * three octal digits.
 */
void ld_escape(struct seq_file *m, const u8 *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (ld_escaped(s[i]))
			seq_printf(m, "\\%03o", s[i]);
		else
			seq_putc(m, s[i]);
	}
}

/**
 * ld_space_show_name() - print a lockspace's name as /proc shows it
 * @m: the seq_file
 * @space: the lockspace
 */
void ld_space_show_name(struct seq_file *m, const struct ld_space *space)
{
	if (space->is_default)
		seq_printf(m, "~%u", from_kuid_munged(seq_user_ns(m), space->uid));
	else
		ld_escape(m, space->name, space->name_len);
}
