// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "defaults.h"
#include "egress.h"
#include "errors.h"
#include "format.h"
#include "grow.h"
#include "lan.h"
#include "lifecycle.h"
#include "loader.h"
#include "output.h"
#include "parse.h"
#include "snapshot.h"
#include "state.h"

static void pin_path(char *buf, size_t len, const char *a, const char *b)
{
	if (b)
		snprintf(buf, len, "%s/%s/%s", ifn_pin_dir(), a, b);
	else
		snprintf(buf, len, "%s/%s", ifn_pin_dir(), a);
}

/* Sizes asked for must be the pinned ones: maps cannot grow while pinned. */
static int sizes_match(struct ifn_maps *m, const struct ifn_attach_opts *o)
{
	static const char *const names[] = { "--max-devices", "--max-flows", "--max-rules" };
	__u32 want[3] = { o ? o->max_devices : 0, o ? o->max_flows : 0, o ? o->max_rules : 0 };
	__u32 have[3] = { m->max_devices, m->max_flows, m->max_rules };
	int i;

	for (i = 0; i < 3; i++) {
		if (want[i] && want[i] != have[i]) {
			ifn_err("%s %u: the state pinned at %s was made with %u, and sizes cannot "
				"change while it is pinned ('iotfence detach --all --purge' clears it)",
				names[i], want[i], ifn_pin_dir(), have[i]);
			ifn_maps_close(m);
			return -EEXIST;
		}
	}
	return 0;
}

static int unpin_state(void);

int ifn_state_up(struct ifn_maps *m, const struct ifn_attach_opts *o, bool *fresh)
{
	struct ifn_load_opts lo = {
		.pin_dir = ifn_pin_dir(),
		.max_devices = o ? o->max_devices : 0,
		.max_flows = o ? o->max_flows : 0,
		.max_rules = o ? o->max_rules : 0,
	};
	struct ifn_config cfg;
	struct iotfence *skel;
	char path[PATH_MAX];
	int err, fd;

	*fresh = false;
	if (ifn_restore_pending()) {
		/*
		 * Not the gateway's state: a restore into it was stopped half-way.
		 * Kept, it would be saved over the good snapshot; it goes, and the
		 * snapshot is restored again below.
		 */
		ifn_warn("the state pinned at %s was never fully restored (the restore was "
			 "interrupted): it is removed and restored again",
			 ifn_pin_dir());
		err = unpin_state();
		if (err) {
			ifn_err("cannot remove the half-restored state at %s: %s", ifn_pin_dir(),
				ifn_strerror(err));
			return err;
		}
	}
	pin_path(path, sizeof(path), IFN_PIN_PROG, NULL);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		close(fd);
		err = ifn_maps_try_open_pinned(m);
		if (err == -EPROTO)
			return ifn_maps_open_pinned(m); /* prints the version message */
		if (!err)
			return sizes_match(m, o);
		/* A program without its maps: reload below, reusing what is there. */
		unlink(path);
	}

	ifn_config_defaults(&cfg);
	/*
	 * New state is marked as not restored before its maps are pinned; the
	 * caller clears the mark once the snapshot is in (ifn_restore_done()).
	 */
	pin_path(path, sizeof(path), IFN_MAP(ifn_devices), NULL);
	if (access(path, F_OK)) {
		err = ifn_restore_mark();
		if (err) {
			ifn_err("cannot mark %s as being restored: %s", ifn_pin_dir(),
				ifn_strerror(err));
			return err;
		}
	}
	err = ifn_load(&lo, &cfg, &skel, fresh);
	if (!err && !*fresh)
		ifn_restore_done(); /* the maps were there: nothing to restore */
	pin_path(path, sizeof(path), IFN_PIN_PROG, NULL);
	if (err) {
		ifn_restore_done();
		if (err != -EEXIST)
			ifn_err("cannot load the XDP program: %s%s", ifn_strerror(err),
				getenv("IOTFENCE_DEBUG") ?
					"" :
					" (IOTFENCE_DEBUG=1 shows the verifier log)");
		return err;
	}
	err = bpf_obj_pin(ifn_skel_prog_fd(skel), path) ? -errno : 0;
	if (!err) {
		char epath[PATH_MAX];

		/* The egress program goes with it: the one is never pinned without the other. */
		pin_path(epath, sizeof(epath), IFN_PIN_PROG_EGRESS, NULL);
		unlink(epath);
		err = bpf_obj_pin(ifn_skel_egress_fd(skel), epath) ? -errno : 0;
		if (err) {
			ifn_err("cannot pin the program at %s: %s", epath, ifn_strerror(err));
			unlink(path);
			ifn_unload(skel);
			return err;
		}
	}
	ifn_unload(skel); /* the pins keep program and maps alive */
	if (err) {
		ifn_err("cannot pin the program at %s: %s", path, ifn_strerror(err));
		return err;
	}
	err = ifn_maps_open_pinned(m);
	if (err)
		unlink(path);
	return err;
}

/* The attach mode the kernel reports for an interface (XDP_ATTACHED_*). */
static int xdp_attached_mode(int ifindex, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	if (prog_id)
		*prog_id = q.prog_id;
	return q.attach_mode;
}

/*
 * The ifindex of the XDP link pinned at @path (0: its interface is gone),
 * its program's id in *prog_id if not NULL; -errno if no link is there.
 */
static int link_pin_ifindex(const char *path, __u32 *prog_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (prog_id)
		*prog_id = info.prog_id;
	return info.xdp.ifindex;
}

int ifn_link_ifindex(const char *ifname, __u32 *prog_id)
{
	char path[PATH_MAX];

	pin_path(path, sizeof(path), IFN_PIN_LINKS, ifname);
	return link_pin_ifindex(path, prog_id);
}

__u32 ifn_prog_pinned_id(void)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi), id = 0;
	char path[PATH_MAX];
	int fd;

	pin_path(path, sizeof(path), IFN_PIN_PROG, NULL);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &pi, &len))
			id = pi.id;
		close(fd);
	}
	return id;
}

/*
 * One pinned state serves the interfaces of one network namespace: the
 * datapath keys interface settings by ifindex, which each namespace numbers
 * on its own, and links are pinned by name. An attached interface whose
 * ifindex here does not run the link's program lives in another namespace.
 */
static int other_netns_check(void)
{
	char(*names)[16];
	char path[PATH_MAX];
	int n, i, idx, err = 0;

	if (ifn_attached_list(&names, &n))
		return 0;
	for (i = 0; i < n && !err; i++) {
		__u32 lprog = 0, here = 0;

		pin_path(path, sizeof(path), IFN_PIN_LINKS, names[i]);
		idx = link_pin_ifindex(path, &lprog);
		if (idx <= 0)
			continue; /* its interface is gone: no conflict */
		if (xdp_attached_mode(idx, &here) < 0 || here != lprog) {
			ifn_err("the state pinned at %s serves interfaces of another network "
				"namespace (%s): give this one its own IOTFENCE_PIN_DIR",
				ifn_pin_dir(), names[i]);
			err = -EBUSY;
		}
	}
	free(names);
	return err;
}

/* The names of the interfaces whose master is @master (its bridge ports), comma-separated. */
static void bridge_ports(int master, char *buf, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	char rb[16384];
	size_t o = 0;
	bool done = false;
	int fd;

	buf[0] = '\0';
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return;
	if (send(fd, &req, sizeof(req), 0) < 0)
		done = true;
	while (!done) {
		ssize_t n = recv(fd, rb, sizeof(rb), 0);
		struct nlmsghdr *nh;

		if (n <= 0)
			break;
		for (nh = (struct nlmsghdr *)rb; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			struct ifinfomsg *ifi = NLMSG_DATA(nh);
			struct rtattr *a = IFLA_RTA(ifi);
			int alen = IFLA_PAYLOAD(nh), m = 0;
			const char *name = NULL;

			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type == IFLA_MASTER)
					memcpy(&m, RTA_DATA(a), sizeof(m));
				else if (a->rta_type == IFLA_IFNAME)
					name = RTA_DATA(a);
			}
			if (m == master && name && o + strlen(name) + 3 < len)
				o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "", name);
		}
	}
	close(fd);
}

/*
 * The program reads an Ethernet header at the start of every frame: on an
 * interface without one (lo, an L3 tun, a WireGuard link) it would take
 * bytes of the IP header for MACs, so attach refuses it. A bridge master
 * has Ethernet but sees only what goes up to the gateway, not what its
 * ports switch between themselves: attached, with a warning naming them.
 */
static int check_ethernet(const char *ifname, int ifindex)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd, type;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0; /* nothing to ask: the attach says what fails */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		close(fd);
		return 0;
	}
	type = ifr.ifr_hwaddr.sa_family;
	if (type != ARPHRD_ETHER) {
		close(fd);
		ifn_err("%s carries no Ethernet frames (%s): iotfence identifies devices by the "
			"source MAC of an Ethernet header; attach it to the LAN's Ethernet "
			"interfaces",
			ifname,
			type == ARPHRD_LOOPBACK ? "a loopback interface" :
			type == ARPHRD_NONE	? "an IP-only interface, such as tun or wireguard" :
						  "not Ethernet");
		return -EINVAL;
	}
	ifr.ifr_data = (void *)&di;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(di.driver, "bridge")) {
		char ports[256];

		bridge_ports(ifindex, ports, sizeof(ports));
		ifn_warn("%s is a bridge: it sees what its ports send to the gateway, not what "
			 "they switch between themselves; attach its ports instead (%s)",
			 ifname, ports[0] ? ports : "it has none now");
	}
	close(fd);
	return 0;
}

/*
 * What the agent writes it must read back: the snapshot and policy parsers
 * take an interface name of printable ASCII without '/' or ':', so an
 * interface whose name is not (a non-UTF-8 byte, a control character) is
 * refused up front rather than saved into a file that no restore accepts.
 */
static bool ifname_writable(const char *s)
{
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '/' || *s == ':')
			return false;
	return true;
}

/* @s with every byte outside printable ASCII as \xHH, for one error line. */
static const char *ifname_escaped(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (isgraph(c) && c != '\\')
			buf[o++] = c;
		else
			o += snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/*
 * The interface @name was deleted and made again (a new ifindex) and is now
 * attached as @ifindex: its old entry goes, and its devices follow it, so
 * that it is listed, shown and saved once.
 */
/* The interface's prefixes for local-networks; missing ones only narrow it. */
static void note_lan(const struct ifn_maps *m, const char *ifname)
{
	int n = ifn_lan_note_iface(m, ifname);

	if (n < 0)
		ifn_warn("%s: its LAN prefixes are not recorded (%s): local-networks holds the "
			 "private and link-local ranges only",
			 ifname, ifn_strerror(n));
}

static void forget_stale_ifaces(const struct ifn_maps *m, __u32 ifindex, const char *name)
{
	struct ifn_iface *vals = NULL;
	__u32 *keys = NULL, slot;
	long n, i;

	n = ifn_map_dump(m->ifaces, sizeof(__u32), sizeof(struct ifn_iface), (void **)&keys,
			 (void **)&vals);
	for (i = 0; i < n; i++) {
		if (keys[i] == ifindex || strncmp(vals[i].name, name, sizeof(vals[i].name)))
			continue;
		bpf_map_delete_elem(m->ifaces, &keys[i]);
		for (slot = 0; m->dev_mem && slot < m->max_devices; slot++) {
			__u32 old = keys[i]; /* overwritten when the swap fails */

			/* Only if the datapath did not move the device meanwhile. */
			if (m->dev_mem[slot].in_use)
				__atomic_compare_exchange_n(&m->dev_mem[slot].ifindex, &old,
							    ifindex, false, __ATOMIC_SEQ_CST,
							    __ATOMIC_SEQ_CST);
		}
	}
	free(keys);
	free(vals);
}

int ifn_attach_iface(const struct ifn_maps *m, const struct ifn_attach_opts *o)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	struct ifn_iface ifc = {}, old;
	char path[PATH_MAX], links[PATH_MAX], learn[48];
	bool had_entry;
	int ifindex, prog_fd, link_fd, err, cur;
	__u32 prog_id = 0;

	ifindex = if_nametoindex(o->ifname);
	if (!ifindex) {
		ifn_err("no such interface '%s'", o->ifname);
		return -ENODEV;
	}
	err = check_ethernet(o->ifname, ifindex);
	if (err)
		return err;
	if (!ifname_writable(o->ifname)) {
		char shown[4 * IF_NAMESIZE + 1];

		ifn_err("interface name '%s' has bytes that the snapshot and policy files cannot "
			"hold (printable ASCII only): rename it ('ip link set dev NAME name NEW')",
			ifname_escaped(o->ifname, shown, sizeof(shown)));
		return -EINVAL;
	}
	err = other_netns_check();
	if (err)
		return err;
	pin_path(links, sizeof(links), IFN_PIN_LINKS, NULL);
	if (mkdir(links, 0700) && errno != EEXIST) {
		err = -errno;
		ifn_err("cannot create %s: %s", links, ifn_strerror(err));
		return err;
	}
	pin_path(path, sizeof(path), IFN_PIN_LINKS, o->ifname);

	ifc.default_mode = o->new_devices;
	ifc.learn_ns = o->learn_ns;
	snprintf(ifc.name, sizeof(ifc.name), "%s", o->ifname);
	had_entry = !bpf_map_lookup_elem(m->ifaces, &ifindex, &old);

	cur = link_pin_ifindex(path, NULL);
	if (cur == ifindex) {
		/* Attached already: only the settings change. */
		if (o->mode != IFN_ATTACH_AUTO && had_entry && old.attach_mode != o->mode) {
			ifn_err("%s is attached in %s mode; detach it first to change the mode",
				o->ifname,
				old.attach_mode == IFN_ATTACH_GENERIC ? "generic" : "native");
			return -EBUSY;
		}
		ifc.attach_mode = had_entry ? old.attach_mode : IFN_ATTACH_NATIVE;
		if (bpf_map_update_elem(m->ifaces, &ifindex, &ifc, BPF_ANY)) {
			err = -errno;
			ifn_err("cannot update the settings of %s: %s", o->ifname,
				ifn_strerror(err));
			return err;
		}
		/* A filter removed by hand (tc) comes back. */
		err = ifn_egress_attach(ifindex);
		if (err) {
			ifn_err("cannot attach the egress program to %s: %s", o->ifname,
				ifn_strerror(err));
			return err;
		}
		note_lan(m, o->ifname);
		printf("%s: already attached; new devices: %s\n", o->ifname,
		       ifn_fmt_new_devices(o->new_devices, o->learn_ns, learn, sizeof(learn)));
		return 0;
	}
	if (cur > 0) {
		char other[IF_NAMESIZE];

		/*
		 * The pin holds a live attachment of another interface of this
		 * name (renamed since, or in another network namespace):
		 * replacing the pin would silently detach it.
		 */
		ifn_err("%s: %s holds the attachment of another interface (ifindex %d%s%s); "
			"run 'iotfence detach %s' first",
			o->ifname, path, cur, if_indextoname(cur, other) ? ", now " : "",
			if_indextoname(cur, other) ? other : ", in another network namespace",
			o->ifname);
		return -EBUSY;
	}
	if (cur == 0 || cur == -EACCES) /* stale pin of a vanished interface */
		unlink(path);

	/* Settings first, so that the very first frame finds them. */
	ifc.attach_mode = o->mode == IFN_ATTACH_GENERIC ? IFN_ATTACH_GENERIC : IFN_ATTACH_NATIVE;
	if (bpf_map_update_elem(m->ifaces, &ifindex, &ifc, BPF_ANY)) {
		err = -errno;
		ifn_err("cannot record %s: %s", o->ifname,
			err == -E2BIG ? "too many interfaces (64 at most)" : ifn_strerror(err));
		return err;
	}

	pin_path(path, sizeof(path), IFN_PIN_PROG, NULL);
	prog_fd = bpf_obj_get(path);
	if (prog_fd < 0) {
		err = -errno;
		ifn_err("cannot open the program at %s: %s", path, ifn_strerror(err));
		goto undo;
	}
	lo.flags = o->mode == IFN_ATTACH_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	if (link_fd < 0 && o->mode == IFN_ATTACH_AUTO && (errno == EOPNOTSUPP || errno == EINVAL)) {
		ifn_warn("%s: no native XDP support in its driver; attaching in generic mode "
			 "(slower)",
			 o->ifname);
		lo.flags = XDP_FLAGS_SKB_MODE;
		ifc.attach_mode = IFN_ATTACH_GENERIC;
		bpf_map_update_elem(m->ifaces, &ifindex, &ifc, BPF_ANY);
		link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	}
	if (link_fd < 0) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST) {
			xdp_attached_mode(ifindex, &prog_id);
			ifn_err("%s already has an XDP program (id %u): remove it first "
				"('ip link set dev %s xdp off')",
				o->ifname, prog_id, o->ifname);
		} else if (err == -EOPNOTSUPP || err == -EINVAL) {
			ifn_err("%s: native XDP is not supported by its driver (try --mode generic)",
				o->ifname);
		} else {
			ifn_err("cannot attach to %s: %s", o->ifname, ifn_strerror(err));
		}
		close(prog_fd);
		goto undo;
	}
	close(prog_fd);
	pin_path(path, sizeof(path), IFN_PIN_LINKS, o->ifname);
	if (bpf_obj_pin(link_fd, path)) {
		err = -errno;
		ifn_err("cannot pin the link at %s: %s", path, ifn_strerror(err));
		close(link_fd); /* the last reference: detaches */
		goto undo;
	}
	close(link_fd);
	/*
	 * Egress after XDP: names are only ever added to what XDP enforces,
	 * so a device is never more open than without them in between.
	 */
	err = ifn_egress_attach(ifindex);
	if (err) {
		ifn_err("cannot attach the egress program to %s: %s", o->ifname, ifn_strerror(err));
		unlink(path); /* the last reference to the XDP link: detaches */
		goto undo;
	}
	forget_stale_ifaces(m, ifindex, ifc.name);
	note_lan(m, o->ifname);
	xdp_attached_mode(ifindex, &prog_id);
	printf("attached to %s (%s, program id %u); new devices: %s\n", o->ifname,
	       ifc.attach_mode == IFN_ATTACH_GENERIC ? "generic" : "native", prog_id,
	       ifn_fmt_new_devices(o->new_devices, o->learn_ns, learn, sizeof(learn)));
	return 0;
undo:
	if (had_entry)
		bpf_map_update_elem(m->ifaces, &ifindex, &old, BPF_ANY);
	else
		bpf_map_delete_elem(m->ifaces, &ifindex);
	return err;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int ifn_attached_list(char (**names)[16], int *n)
{
	char dir[PATH_MAX];
	struct dirent *de;
	char(*v)[16] = NULL;
	size_t cap = 0;
	int cnt = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	pin_path(dir, sizeof(dir), IFN_PIN_LINKS, NULL);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 16)
			continue;
		if (ifn_grow((void **)&v, &cap, (size_t)cnt + 1, sizeof(*v), 8)) {
			closedir(d);
			free(v);
			return -ENOMEM;
		}
		memcpy(v[cnt++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*names = v;
	*n = cnt;
	return 0;
}

void ifn_prog_unpin_if_unused(void)
{
	char(*names)[16];
	char path[PATH_MAX];
	int n;

	if (ifn_attached_list(&names, &n))
		return;
	free(names);
	if (n)
		return;
	pin_path(path, sizeof(path), IFN_PIN_PROG, NULL);
	unlink(path);
	pin_path(path, sizeof(path), IFN_PIN_PROG_EGRESS, NULL);
	unlink(path);
}

/* Is @ifindex the interface of a live link pinned under links/? */
static bool ifindex_linked(__u32 ifindex)
{
	char(*names)[16];
	char path[PATH_MAX];
	bool found = false;
	int n, i;

	if (ifn_attached_list(&names, &n))
		return true; /* unsure: keep the entry */
	for (i = 0; i < n && !found; i++) {
		pin_path(path, sizeof(path), IFN_PIN_LINKS, names[i]);
		found = link_pin_ifindex(path, NULL) == (int)ifindex;
	}
	free(names);
	return found;
}

/*
 * The settings of an interface that vanished (its namespace was deleted)
 * are keyed by an ifindex that no longer means anything: find them by name.
 */
static void forget_iface_by_name(const struct ifn_maps *m, const char *ifname)
{
	__u32 key, next, *prev = NULL;
	__u32 stale[IFN_MAX_IFACES];
	struct ifn_iface ifc;
	int n = 0, i;

	while (n < IFN_MAX_IFACES && !bpf_map_get_next_key(m->ifaces, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(m->ifaces, &key, &ifc) &&
		    !strncmp(ifc.name, ifname, sizeof(ifc.name)) && !ifindex_linked(key))
			stale[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(m->ifaces, &stale[i]);
}

int ifn_detach_iface(const struct ifn_maps *m, const char *ifname)
{
	char path[PATH_MAX];
	int ifindex;

	pin_path(path, sizeof(path), IFN_PIN_LINKS, ifname);
	ifindex = link_pin_ifindex(path, NULL);
	if (ifindex == -ENOENT)
		return -ENOENT;
	/* Names stop being recorded before XDP stops reading them. */
	if (ifindex > 0 && ifn_egress_detach(ifindex))
		ifn_warn("%s: cannot remove the egress filter (tc filter del dev %s egress "
			 "handle 0x%x prio %d bpf)",
			 ifname, ifname, IFN_TC_HANDLE, IFN_TC_PRIO);
	if (unlink(path))
		return -errno;
	if (!m)
		return 0;
	if (ifindex > 0)
		bpf_map_delete_elem(m->ifaces, &ifindex);
	else
		forget_iface_by_name(m, ifname);
	return 0;
}

/*
 * Attaching again (a boot script, a second operator) must not reset what
 * was set before: options that were not given keep their values.
 */
void ifn_attach_opts_keep(struct ifn_attach_opts *o, const struct ifn_iface *ifc, bool have_mode,
			  bool have_learn)
{
	if (!have_mode)
		o->new_devices = ifc->default_mode;
	if (!have_learn)
		o->learn_ns = ifc->learn_ns;
}

static void keep_settings(const struct ifn_maps *m, struct ifn_attach_opts *o, bool have_nd,
			  bool have_learn)
{
	char path[PATH_MAX];
	struct ifn_iface old;
	int ifindex = if_nametoindex(o->ifname);

	pin_path(path, sizeof(path), IFN_PIN_LINKS, o->ifname);
	if (ifindex <= 0 || link_pin_ifindex(path, NULL) != ifindex ||
	    bpf_map_lookup_elem(m->ifaces, &ifindex, &old))
		return;
	ifn_attach_opts_keep(o, &old, have_nd, have_learn);
}

int ifn_cmd_attach(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_attach_opts o = {
		.mode = IFN_ATTACH_AUTO,
		.new_devices = IFN_MODE_LEARN,
		.learn_ns = IFN_LEARN_DEFAULT_NS,
	};
	static const char *const max_names[] = { "--max-devices", "--max-flows", "--max-rules" };
	bool fresh, have_nd = false, have_learn = false;
	struct ifn_iface ifc;
	struct ifn_maps m;
	__u64 v;
	int opt, lock, err, mode;

	optind = 1;
	while ((opt = ifn_getopt(c, NULL, argc, argv)) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "native"))
				o.mode = IFN_ATTACH_NATIVE;
			else if (!strcmp(optarg, "generic") || !strcmp(optarg, "skb"))
				o.mode = IFN_ATTACH_GENERIC;
			else
				return ifn_usage_error(c, "--mode must be native or generic");
			break;
		case 'n':
			mode = ifn_parse_mode(optarg);
			if (mode < 0)
				return ifn_usage_error(c, "--new-devices '%s' is not a mode",
						       optarg);
			o.new_devices = mode;
			have_nd = true;
			break;
		case 'l':
			if (ifn_arg_duration(c, "--learn-for", optarg, &o.learn_ns))
				return IFN_EXIT_USAGE;
			have_learn = true;
			break;
		case 'D':
		case 'F':
		case 'R': {
			const char *name = max_names[opt == 'D' ? 0 : opt == 'F' ? 1 : 2];

			if (ifn_arg_count(c, name, optarg, &v))
				return IFN_EXIT_USAGE;
			if (v < IFN_MAP_SIZE_MIN || v > IFN_MAP_SIZE_MAX)
				return ifn_usage_error(c, "%s must be %d to %d", name,
						       IFN_MAP_SIZE_MIN, IFN_MAP_SIZE_MAX);
			if (opt == 'D')
				o.max_devices = v;
			else if (opt == 'F')
				o.max_flows = v;
			else
				o.max_rules = v;
			break;
		}
		default:
			return ifn_opt_error(c, argv);
		}
	}
	if (optind != argc - 1)
		return ifn_usage_error(c, optind >= argc ? "missing IFACE" : "too many arguments");
	o.ifname = argv[optind];
	if (strlen(o.ifname) >= IF_NAMESIZE || !if_nametoindex(o.ifname)) {
		ifn_err("no such interface '%s'", o.ifname);
		return IFN_EXIT_FAIL;
	}
	if (ifn_bpffs_ensure(true))
		return IFN_EXIT_FAIL;
	lock = ifn_lock(true);
	if (lock < 0) {
		ifn_err("cannot lock %s: %s", ifn_pin_dir(), ifn_pin_strerror(lock));
		return IFN_EXIT_FAIL;
	}
	err = ifn_state_up(&m, &o, &fresh);
	if (!err) {
		if (!fresh)
			keep_settings(&m, &o, have_nd, have_learn);
		else if (!ifn_snapshot_restore_report(&m) &&
			 !ifn_snapshot_iface(&m, o.ifname, &ifc))
			ifn_attach_opts_keep(&o, &ifc, have_nd, have_learn);
		if (fresh)
			ifn_restore_done(); /* restored, or nothing to restore */
		err = ifn_attach_iface(&m, &o);
		ifn_maps_close(&m);
		/* A failed first attach leaves nothing pinned behind. */
		if (err && fresh)
			ifn_pins_purge();
		else if (err)
			ifn_prog_unpin_if_unused();
	}
	ifn_unlock(lock);
	return err ? IFN_EXIT_FAIL : IFN_EXIT_OK;
}

/* Unpin the program and the maps; the pin directory and its links stay. */
static int unpin_state(void)
{
	char path[PATH_MAX];
	int err = 0;
	size_t k;

	pin_path(path, sizeof(path), IFN_PIN_PROG, NULL);
	unlink(path);
	pin_path(path, sizeof(path), IFN_PIN_PROG_EGRESS, NULL);
	unlink(path);
	for (k = 0; k < ifn_map_count; k++) {
		pin_path(path, sizeof(path), ifn_map_descs[k].name, NULL);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	return err;
}

int ifn_pins_purge(void)
{
	char path[PATH_MAX];
	char(*names)[16];
	int n, i, err = 0;

	if (ifn_attached_list(&names, &n) == 0) {
		for (i = 0; i < n; i++) {
			pin_path(path, sizeof(path), IFN_PIN_LINKS, names[i]);
			unlink(path);
		}
		free(names);
	}
	pin_path(path, sizeof(path), IFN_PIN_LINKS, NULL);
	rmdir(path);
	err = unpin_state();
	ifn_restore_done();
	if (rmdir(ifn_pin_dir()) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

int ifn_cmd_detach(const struct ifn_cmd *c, int argc, char **argv)
{
	bool all = false, purge = false, have_maps;
	char(*names)[16] = NULL;
	struct ifn_maps m;
	int opt, lock, err = 0, n = 0, i;

	optind = 1;
	while ((opt = ifn_getopt(c, NULL, argc, argv)) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'p':
			purge = true;
			break;
		default:
			return ifn_opt_error(c, argv);
		}
	}
	if (all == (optind < argc))
		return ifn_usage_error(c, all ? "IFACE and --all exclude each other" :
						"missing IFACE (or --all)");
	if (optind < argc - 1)
		return ifn_usage_error(c, "too many arguments");
	if (purge && !all)
		return ifn_usage_error(c, "--purge needs --all");
	if (ifn_bpffs_ensure(false))
		return IFN_EXIT_FAIL;

	lock = ifn_lock(false);
	if (lock < 0) {
		if (lock == -ENOENT) {
			if (all) {
				printf("nothing attached (nothing pinned at %s)\n", ifn_pin_dir());
				return IFN_EXIT_OK;
			}
			ifn_err("%s: not attached (nothing pinned at %s)", argv[optind],
				ifn_pin_dir());
			return IFN_EXIT_FAIL;
		}
		ifn_err("cannot lock %s: %s", ifn_pin_dir(), ifn_pin_strerror(lock));
		return IFN_EXIT_FAIL;
	}
	have_maps = !ifn_maps_try_open_pinned(&m);
	if (all) {
		err = ifn_attached_list(&names, &n);
		if (err)
			ifn_err("cannot list the attached interfaces: %s", ifn_strerror(err));
		else if (!n && !purge)
			printf("nothing attached\n");
		for (i = 0; !err && names && i < n; i++) {
			err = ifn_detach_iface(have_maps ? &m : NULL, names[i]);
			if (!err)
				printf("detached from %s\n", names[i]);
			else
				ifn_err("cannot detach from %s: %s", names[i], ifn_strerror(err));
		}
		free(names);
	} else {
		const char *name = argv[optind];
		char path[PATH_MAX];
		bool gone;

		pin_path(path, sizeof(path), IFN_PIN_LINKS, name);
		gone = strlen(name) < IF_NAMESIZE && link_pin_ifindex(path, NULL) == 0;
		err = strlen(name) < IF_NAMESIZE ? ifn_detach_iface(have_maps ? &m : NULL, name) :
						   -ENOENT;
		if (err == -ENOENT)
			ifn_err("%s: not attached (see 'iotfence status')", name);
		else if (err)
			ifn_err("cannot detach from %s: %s", name, ifn_strerror(err));
		else
			printf("detached from %s%s\n", name,
			       gone ? " (the interface no longer exists)" : "");
	}
	if (have_maps)
		ifn_maps_close(&m);
	if (!err)
		ifn_prog_unpin_if_unused();
	if (!err && purge) {
		err = ifn_pins_purge();
		if (err)
			ifn_err("cannot remove the pins under %s: %s", ifn_pin_dir(),
				ifn_strerror(err));
		else
			printf("removed the state pinned at %s\n", ifn_pin_dir());
	}
	ifn_unlock(lock);
	return err ? IFN_EXIT_FAIL : IFN_EXIT_OK;
}
