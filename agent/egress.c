// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "egress.h"
#include "iotfence.h"
#include "state.h"

int ifn_egress_prog_open(void)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ifn_pin_dir(), IFN_PIN_PROG_EGRESS);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int ifn_egress_attach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IFN_TC_HANDLE, .priority = IFN_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE);
	int fd, err;

	fd = ifn_egress_prog_open();
	if (fd < 0)
		return fd;
	/* The clsact qdisc may be there already (ours, or another tool's). */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		close(fd);
		return err;
	}
	opts.prog_fd = fd;
	err = bpf_tc_attach(&hook, &opts);
	close(fd);
	return err;
}

int ifn_egress_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IFN_TC_HANDLE, .priority = IFN_TC_PRIO);
	int err;

	if (ifindex <= 0)
		return 0;
	err = bpf_tc_detach(&hook, &opts);
	/* No filter, no qdisc, or no interface: nothing of ours is there. */
	if (err == -ENOENT || err == -EINVAL || err == -ENODEV)
		return 0;
	return err;
}

int ifn_egress_query(int ifindex, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = IFN_TC_HANDLE, .priority = IFN_TC_PRIO);
	int err;

	*prog_id = 0;
	if (ifindex <= 0)
		return -ENOENT;
	err = bpf_tc_query(&hook, &opts);
	if (err)
		return err == -EINVAL || err == -ENODEV ? -ENOENT : err;
	*prog_id = opts.prog_id;
	return 0;
}
