// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mud_dhcp.c - the daemon's MUD URLs: a packet socket per attached LAN
 * interface that sees only DHCP client messages, the URL they carry
 * recorded per MAC, reported as a MUD_URL event, and a profile for it
 * taken from mud-dir (iotfence.8, MUD).
 *
 * In the agent, not the datapath: a DHCP request is rare, the datapath
 * passes DHCP as baseline already, and a URL of up to 255 bytes has no
 * business in an XDP program's bounded loops.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "errors.h"
#include "format.h"
#include "mud.h"
#include "mud_cmd.h"
#include "mud_dhcp.h"
#include "mud_url.h"
#include "mud_xlat.h"
#include "state.h"

/*
 * tcpdump -dd 'udp and ((ip and src port 68 and dst port 67) or
 *              (ip6 and src port 546 and dst port 547))'
 * Untagged frames; IPv4 fragments after the first are not taken.
 */
static struct sock_filter dhcp_filter[] = {
	{ 0x28, 0, 0, 0x0000000c },  { 0x15, 0, 9, 0x00000800 }, { 0x30, 0, 0, 0x00000017 },
	{ 0x15, 0, 15, 0x00000011 }, { 0x28, 0, 0, 0x00000014 }, { 0x45, 13, 0, 0x00001fff },
	{ 0xb1, 0, 0, 0x0000000e },  { 0x48, 0, 0, 0x0000000e }, { 0x15, 0, 10, 0x00000044 },
	{ 0x48, 0, 0, 0x00000010 },  { 0x15, 7, 8, 0x00000043 }, { 0x15, 0, 7, 0x000086dd },
	{ 0x30, 0, 0, 0x00000014 },  { 0x15, 0, 5, 0x00000011 }, { 0x28, 0, 0, 0x00000036 },
	{ 0x15, 0, 3, 0x00000222 },  { 0x28, 0, 0, 0x00000038 }, { 0x15, 0, 1, 0x00000223 },
	{ 0x6, 0, 0, 0x00040000 },   { 0x6, 0, 0, 0x00000000 },
};

static int open_one(const char *ifname, int *ifindex)
{
	struct sock_fprog prog = { .len = sizeof(dhcp_filter) / sizeof(dhcp_filter[0]),
				   .filter = dhcp_filter };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	char drain[64];
	int fd, one = 1, err;

	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex)
		return -errno;
	/* Protocol 0 until the filter is on: no frame is queued unfiltered. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		goto fail;
	/* The gateway's own DHCP client, if any, is not a device. */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	while (recv(fd, drain, sizeof(drain), MSG_TRUNC) >= 0)
		;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

void ifn_mud_watch_close(struct ifn_mud_watch *w, int epfd)
{
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		if (w->fd[i] < 0)
			continue;
		if (epfd >= 0)
			epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd[i], NULL);
		close(w->fd[i]);
	}
	w->n = 0;
}

unsigned int ifn_mud_watch_open(struct ifn_mud_watch *w, const char (*names)[16], unsigned int n,
				int epfd)
{
	unsigned int i, ok = 0;

	w->n = 0;
	for (i = 0; i < n && w->n < IFN_MAX_IFACES; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd, ifindex;

		fd = open_one(names[i], &ifindex);
		if (fd < 0) {
			ifn_warn("no MUD URLs from DHCP on %s: %s", names[i], ifn_strerror(fd));
			continue;
		}
		ev.data.fd = fd;
		if (epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
			ifn_warn("no MUD URLs from DHCP on %s: %s", names[i], strerror(errno));
			close(fd);
			continue;
		}
		w->fd[w->n] = fd;
		snprintf(w->name[w->n], sizeof(w->name[0]), "%s", names[i]);
		w->n++;
		ok++;
	}
	return ok;
}

bool ifn_mud_watch_handle(struct ifn_mud_watch *w, int fd, ifn_mud_url_fn fn, void *ctx)
{
	unsigned int i;
	__u8 frame[2048];

	for (i = 0; i < w->n && w->fd[i] != fd; i++)
		;
	if (i == w->n)
		return false;
	/* A burst is bounded: the loop has other work. */
	for (int k = 0; k < 64; k++) {
		char url[IFN_MUD_URL_MAX + 1];
		__u8 mac[6];
		ssize_t len = recv(fd, frame, sizeof(frame), 0);

		if (len < 0)
			break;
		/* A frame longer than the buffer is cut: its lengths then fail the checks. */
		if (!ifn_dhcp_mud_url(frame, (size_t)len, mac, url, sizeof(url)))
			fn(ctx, mac, url, w->name[i]);
	}
	return true;
}

int ifn_mud_record_url(const __u8 mac[6], const char *url)
{
	struct ifn_mactab u;
	int err = ifn_mactab_load(&u, &ifn_mud_urls_kind, NULL), changed;

	if (err)
		return err;
	changed = ifn_mactab_set(&u, mac, url);
	err = changed > 0 ? ifn_mactab_save(&u, NULL) : changed;
	ifn_mactab_free(&u);
	return err < 0 ? err : changed;
}

/* @dir's profile for @url translated; @path gets its path. 0, -ENOENT or -errno. */
static int dir_xlat(const struct ifn_maps *m, const char *dir, const char *url,
		    struct ifn_mud_xlat *x, char *path, size_t pathlen)
{
	struct ifn_mud_map_entry *map = NULL;
	struct ifn_mud_opts o = {};
	char name[NAME_MAX + 1], mpath[PATH_MAX];
	struct stat st;
	json_t *root;
	int err;

	err = ifn_mud_url_filename(url, name, sizeof(name));
	if (err)
		return err;
	if ((size_t)snprintf(path, pathlen, "%s/%s", dir, name) >= pathlen)
		return -ENAMETOOLONG;
	if (stat(path, &st))
		return -errno;
	/* The site's mapping of the abstractions, beside the profiles. */
	snprintf(mpath, sizeof(mpath), "%s/mapping", dir);
	if (!access(mpath, F_OK) && ifn_mud_map_load(mpath, &map, &o.n_map))
		return -EINVAL;
	err = ifn_mud_auto_map(m, &map, &o.n_map);
	if (err) {
		free(map);
		return err;
	}
	o.map = map;
	root = ifn_mud_load(path);
	if (!root) {
		free(map);
		return -EINVAL;
	}
	err = ifn_mud_translate_file(path, root, &o, x);
	json_decref(root);
	free(map);
	return err;
}

int ifn_mud_dir_apply(const struct ifn_maps *m, const char *dir, const __u8 mac[6], const char *url,
		      FILE *report, char *path, size_t pathlen)
{
	struct ifn_mud_xlat x;
	int err, lock;

	err = dir_xlat(m, dir, url, &x, path, pathlen);
	if (err)
		return err;
	lock = ifn_lock(false);
	if (lock < 0) {
		ifn_mud_xlat_free(&x);
		return lock;
	}
	err = ifn_mud_import_apply(m, path, &x, (const __u8(*)[6])mac, 1, false, report);
	ifn_unlock(lock);
	ifn_mud_xlat_free(&x);
	return err;
}

int ifn_mud_dir_amend(const struct ifn_maps *m, const char *dir, struct ifn_policy *p,
		      ifn_mud_amend_fn fn, void *ctx)
{
	struct ifn_mactab u;
	char path[PATH_MAX];
	size_t i;
	int err = ifn_mactab_load(&u, &ifn_mud_urls_kind, NULL);

	if (err)
		return err;
	for (i = 0; i < u.n && err != -ENOMEM; i++) {
		const __u8(*mac)[6] = (const __u8(*)[6])u.v[i].mac;
		struct ifn_mud_xlat x;
		struct ifn_policy imp;
		size_t len;
		char *text;

		err = dir_xlat(m, dir, u.v[i].text, &x, path, sizeof(path));
		if (!err) {
			text = ifn_mud_policy_text(&x, mac, 1, path, &len);
			err = text ? ifn_mud_parse_text(&x, text, len, path, &imp) : -ENOMEM;
			free(text);
			if (!err) {
				err = ifn_mud_merge_into(p, &imp);
				ifn_policy_free(&imp);
			}
			ifn_mud_xlat_free(&x);
		}
		if (fn && err != -ENOENT)
			fn(ctx, u.v[i].mac, path, err);
	}
	ifn_mactab_free(&u);
	return err == -ENOMEM ? err : 0;
}
