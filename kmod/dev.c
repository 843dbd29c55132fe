// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/lockdev misc device. Each open file description is one session.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/seq_file.h>

#include "dev.h"
#include "session.h"
#include "space.h"

static int lockdev_open(struct inode *inode, struct file *file)
{
	struct ld_session *sess = ld_session_create(file);

	if (IS_ERR(sess))
		return PTR_ERR(sess);
	file->private_data = sess;
	return nonseekable_open(inode, file);
}

static int lockdev_release(struct inode *inode, struct file *file)
{
	ld_session_destroy(file->private_data);
	return 0;
}

static ssize_t lockdev_read(struct file *file, char __user *buf,
			    size_t count, loff_t *ppos)
{
	return ld_session_read(file->private_data, buf, count,
			       file->f_flags & O_NONBLOCK);
}

static __poll_t lockdev_poll(struct file *file, poll_table *wait)
{
	return ld_session_poll(file->private_data, file, wait);
}

/*
 * /proc/PID/fdinfo/FD: the session's id, as /proc/lockdev/locks shows it,
 * and its lockspace, or "-" while it has none.
 */
static void lockdev_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ld_session *sess = file->private_data;
	/* Pairs with smp_store_release() in ld_session_bind(). */
	struct ld_space *space = smp_load_acquire(&sess->space);

	seq_printf(m, "lockdev_session:\t%llu\n", sess->id);
	seq_puts(m, "lockdev_lockspace:\t");
	if (space)
		ld_space_show_name(m, space);
	else
		seq_putc(m, '-');
	seq_putc(m, '\n');
}

static const struct file_operations lockdev_fops = {
	.owner		= THIS_MODULE,
	.open		= lockdev_open,
	.release	= lockdev_release,
	.read		= lockdev_read,
	.poll		= lockdev_poll,
	.unlocked_ioctl	= lockdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= lockdev_show_fdinfo,
};

static struct miscdevice lockdev_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= LOCKDEV_DEVICE_NAME,
	.fops	= &lockdev_fops,
	.mode	= 0666,
};

/**
 * lockdev_dev_init() - register /dev/lockdev
 *
 * Return: 0 or a negative errno from misc_register().
 */
int lockdev_dev_init(void)
{
	return misc_register(&lockdev_misc);
}

/**
 * lockdev_dev_exit() - unregister /dev/lockdev
 */
void lockdev_dev_exit(void)
{
	misc_deregister(&lockdev_misc);
}
