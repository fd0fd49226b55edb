// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <linux/capability.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "defaults.h"
#include "errors.h"
#include "state.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal, returned by some map types */
#endif

/* A field of struct ifn_maps is named after its map, less the prefix. */
#define MAP(f)                                                 \
	{                                                      \
		IFN_MAP(ifn_##f), offsetof(struct ifn_maps, f) \
	}
const struct ifn_map_desc ifn_map_descs[] = {
	MAP(devices),	 MAP(dev_index),  MAP(dev_stats), MAP(free_slots), MAP(flows),
	MAP(rules_port), MAP(rules_any),  MAP(frags),	  MAP(ip_owners),  MAP(ifaces),
	MAP(config),	 MAP(stats),	  MAP(events),	  MAP(dns),	   MAP(dns_names),
	MAP(dns_stats),	 MAP(name_rules), MAP(inbound),	  MAP(probes),	   MAP(probers),
	MAP(lan_nets),	 MAP(in_recent),
};
#undef MAP
const size_t ifn_map_count = sizeof(ifn_map_descs) / sizeof(ifn_map_descs[0]);

const char *ifn_pin_dir(void)
{
	const char *d = getenv("IOTFENCE_PIN_DIR");

	return d && *d ? d : IFN_PIN_ROOT_DEFAULT;
}

const char *ifn_state_dir(void)
{
	const char *d = getenv("IOTFENCE_STATE_DIR");

	return d && *d ? d : "/var/lib/iotfence";
}

static void restoring_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ifn_pin_dir(), IFN_PIN_RESTORING);
}

int ifn_restore_mark(void)
{
	char path[PATH_MAX];

	restoring_path(path, sizeof(path));
	return mkdir(path, 0700) && errno != EEXIST ? -errno : 0;
}

void ifn_restore_done(void)
{
	char path[PATH_MAX];

	restoring_path(path, sizeof(path));
	rmdir(path);
}

bool ifn_restore_pending(void)
{
	char path[PATH_MAX];
	struct stat st;

	restoring_path(path, sizeof(path));
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int caps_read(bool *bpf, bool *net, bool *sys, bool *perfmon)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	/* Nothing held unless the kernel says so (and set on every path). */
	*bpf = *net = *sys = *perfmon = false;
	if (syscall(SYS_capget, &hdr, data))
		return errno ? -errno : -EPERM;
#define HAS(cap) (!!(data[(cap) / 32].effective & (1U << ((cap) % 32))))
	*bpf = HAS(CAP_BPF);
	*net = HAS(CAP_NET_ADMIN);
	*sys = HAS(CAP_SYS_ADMIN);
	*perfmon = HAS(CAP_PERFMON);
#undef HAS
	return 0;
}

/*
 * Without CAP_SYS_ADMIN, the verifier accepts the program only with
 * CAP_PERFMON as well as CAP_BPF (it subtracts packet pointers to get a
 * frame's length, a helper call less per frame).
 */
static bool caps_enough(void)
{
	bool bpf = false, net = false, sys = false, perfmon = false;

	return !caps_read(&bpf, &net, &sys, &perfmon) && ((bpf && perfmon) || sys) && net;
}

int ifn_check_privileges(void)
{
	bool bpf = false, net = false, sys = false, perfmon = false;
	int err = caps_read(&bpf, &net, &sys, &perfmon);

	if (err) {
		ifn_err("cannot read capabilities: %s", strerror(-err));
		return -EPERM;
	}
	/* Said here, not as a permission error from the load. */
	if (((bpf && perfmon) || sys) && net)
		return 0;
	/* Every one that is missing, in one line: not one at a time. */
	{
		const char *miss[3];
		char list[96];
		int n = 0, i;
		size_t o = 0;

		if (!bpf && !sys)
			miss[n++] = "CAP_BPF";
		if (!perfmon && !sys)
			miss[n++] = "CAP_PERFMON";
		if (!net)
			miss[n++] = "CAP_NET_ADMIN";
		list[0] = '\0';
		for (i = 0; i < n; i++)
			o += snprintf(list + o, sizeof(list) - o, "%s%s",
				      !i	 ? "" :
				      i == n - 1 ? " and " :
						   ", ",
				      miss[i]);
		ifn_err("missing %s %s%s: run as root", n == 1 ? "capability" : "capabilities",
			list,
			!bpf || !perfmon ? " (or CAP_SYS_ADMIN for CAP_BPF and CAP_PERFMON)" : "");
	}
	return -EPERM;
}

const char *ifn_pin_strerror(int err)
{
	static char buf[256];
	struct stat st = {};
	const char *dir = ifn_pin_dir();

	if (err != -EPERM && err != -EACCES && err != EPERM && err != EACCES)
		return ifn_strerror(err);
	if (!caps_enough())
		return ifn_strerror(err);
	if (stat(dir, &st))
		snprintf(buf, sizeof(buf),
			 "permission denied: this process has the capabilities, but no access to "
			 "the pin directory or its parent (uid %u): run as root",
			 (unsigned int)geteuid());
	else
		snprintf(buf, sizeof(buf),
			 "permission denied: this process (uid %u) has the capabilities, but no "
			 "access to the pin directory (owner uid %u, mode %04o) or its pins: run "
			 "as root or as its owner",
			 (unsigned int)geteuid(), (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 07777));
	return buf;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && (unsigned long)st.f_type == BPF_FS_MAGIC;
}

int ifn_bpffs_ensure(bool mount_it)
{
	char parent[PATH_MAX];
	const char *pin = ifn_pin_dir();
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (is_bpffs(parent) || is_bpffs(pin))
		return 0;
	if (mount_it && !strcmp(parent, "/sys/fs/bpf")) {
		if (!mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") && is_bpffs(parent))
			return 0;
		ifn_err("bpffs is not mounted at /sys/fs/bpf and mounting it failed: %s",
			strerror(errno));
		return -ENODEV;
	}
	if (!strcmp(parent, "/sys/fs/bpf"))
		ifn_err("no bpffs mounted at /sys/fs/bpf: mount it with 'mount -t bpf bpf "
			"/sys/fs/bpf' (iotfence attach does that by itself)");
	else
		ifn_err("%s is not on a bpffs: mount one there ('mkdir -p %s && mount -t bpf bpf "
			"%s') or unset IOTFENCE_PIN_DIR",
			pin, pin, pin);
	return -ENODEV;
}

void ifn_maps_close(struct ifn_maps *m)
{
	size_t i;

	if (m->dev_mem)
		munmap(m->dev_mem, m->dev_mem_len);
	m->dev_mem = NULL;
	m->dev_mem_len = 0;
	for (i = 0; i < ifn_map_count; i++) {
		int *fd = ifn_map_fd(m, &ifn_map_descs[i]);

		if (m->owned && *fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int ifn_maps_fill_info(struct ifn_maps *m)
{
	struct bpf_map_info info;
	__u32 len;
	int fds[3] = { m->devices, m->flows, m->rules_port };
	__u32 *dst[3] = { &m->max_devices, &m->max_flows, &m->max_rules };
	int i, n;

	for (i = 0; i < 3; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fds[i], &info, &len))
			return -errno;
		*dst[i] = info.max_entries;
	}
	n = libbpf_num_possible_cpus();
	if (n < 0)
		return n;
	m->ncpus = n;

	if (!m->dev_mem) {
		size_t page = sysconf(_SC_PAGESIZE);
		size_t len = (size_t)m->max_devices * sizeof(struct ifn_device);
		void *mem;

		len = (len + page - 1) / page * page;
		mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->devices, 0);
		if (mem == MAP_FAILED)
			return -errno;
		m->dev_mem = mem;
		m->dev_mem_len = len;
	}
	return 0;
}

struct ifn_device *ifn_device_rec(const struct ifn_maps *m, const __u8 mac[6])
{
	struct ifn_device *rec;
	struct ifn_mac_key k;
	__u32 slot;

	memset(&k, 0, sizeof(k));
	memcpy(k.mac, mac, 6);
	if (!m->dev_mem || bpf_map_lookup_elem(m->dev_index, &k, &slot))
		return NULL;
	if (slot >= m->max_devices)
		return NULL;
	rec = &m->dev_mem[slot];
	if (!rec->in_use || memcmp(rec->mac, mac, 6))
		return NULL;
	return rec;
}

int ifn_maps_try_open_pinned(struct ifn_maps *m)
{
	const char *dir = ifn_pin_dir();
	struct ifn_config cfg = { 0 }; /* read from the map below */
	char path[PATH_MAX];
	size_t i;
	int err;

	memset(m, 0, sizeof(*m));
	m->owned = true;
	for (i = 0; i < ifn_map_count; i++)
		*ifn_map_fd(m, &ifn_map_descs[i]) = -1;
	for (i = 0; i < ifn_map_count; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, ifn_map_descs[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			ifn_maps_close(m);
			return err;
		}
		*ifn_map_fd(m, &ifn_map_descs[i]) = fd;
	}
	err = ifn_maps_fill_info(m);
	if (!err)
		err = ifn_config_read(m, &cfg);
	if (!err && cfg.abi_version != IFN_ABI_VERSION)
		err = -EPROTO;
	if (!err)
		ifn_clock_set_offset(cfg.clock_offset_ns);
	if (err)
		ifn_maps_close(m);
	return err;
}

int ifn_maps_open_pinned(struct ifn_maps *m)
{
	int err = ifn_maps_try_open_pinned(m);

	if (err == -ENOENT) {
		if (ifn_bpffs_ensure(false))
			return err;
		ifn_err("not attached: nothing pinned at %s (run 'iotfence attach IFACE')",
			ifn_pin_dir());
	} else if (err == -EPROTO) {
		ifn_err("the state pinned at %s was made by another iotfence version (ABI %d "
			"expected); 'iotfence detach --all --purge' clears it. To keep the "
			"fingerprints, first save them with the old version ('iotfence policy "
			"save FILE', then 'policy load FILE' after attaching again; the daemon "
			"saves its state when stopped and restores it on start)",
			ifn_pin_dir(), IFN_ABI_VERSION);
	} else if (err == -EPERM || err == -EACCES) {
		if (!ifn_check_privileges())
			ifn_err("cannot open %s: %s", ifn_pin_dir(), ifn_pin_strerror(err));
	} else if (err) {
		ifn_err("cannot open the maps pinned at %s: %s", ifn_pin_dir(), ifn_strerror(err));
	}
	return err;
}

int ifn_lock(bool create)
{
	const char *dir = ifn_pin_dir();
	int fd;

	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void ifn_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

const char *ifn_ifname(int ifaces_fd, __u32 ifindex, char buf[16])
{
	struct ifn_iface ifc;

	if (ifaces_fd >= 0 && !bpf_map_lookup_elem(ifaces_fd, &ifindex, &ifc)) {
		snprintf(buf, 16, "%s", ifc.name);
		return buf;
	}
	if (if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, 16, "if%u", ifindex);
	return buf;
}

int ifn_maps_open_locked(struct ifn_maps *m, int *lock)
{
	if (ifn_bpffs_ensure(false))
		return -ENODEV;
	*lock = ifn_lock(false);
	if (*lock < 0) {
		if (*lock == -ENOENT)
			return ifn_maps_open_pinned(m); /* prints "not attached" */
		ifn_err("cannot lock %s: %s", ifn_pin_dir(), ifn_pin_strerror(*lock));
		return *lock;
	}
	if (ifn_maps_open_pinned(m)) {
		ifn_unlock(*lock);
		return -ENOENT;
	}
	return 0;
}

void ifn_maps_close_locked(struct ifn_maps *m, int lock)
{
	ifn_maps_close(m);
	ifn_unlock(lock);
}

static bool clock_virtual;
/* How far the datapath's clock runs ahead of CLOCK_MONOTONIC (ifn_config). */
static __s64 clock_offset;

void ifn_clock_set_virtual(bool on)
{
	clock_virtual = on;
}

void ifn_clock_set_offset(__s64 offset)
{
	clock_offset = offset;
}

bool ifn_clock_is_virtual(void)
{
	return clock_virtual;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 ifn_now_mono(void)
{
	return clock_ns(CLOCK_MONOTONIC) + clock_offset;
}

__u64 ifn_now_mono_raw(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

__u64 ifn_now_wall(void)
{
	return clock_ns(CLOCK_REALTIME);
}

__u64 ifn_mono_to_wall(__u64 mono)
{
	if (clock_virtual || !mono)
		return mono;
	return mono + (ifn_now_wall() - ifn_now_mono());
}

__u64 ifn_wall_to_mono(__u64 wall)
{
	__s64 off;

	if (clock_virtual || !wall)
		return wall;
	off = (__s64)ifn_now_wall() - (__s64)ifn_now_mono();
	return (__s64)wall > off ? (__u64)((__s64)wall - off) : 1;
}

void ifn_config_defaults(struct ifn_config *c)
{
	memset(c, 0, sizeof(*c));
	c->abi_version = IFN_ABI_VERSION;
	c->flags = IFN_CFG_F_AUTO_QUARANTINE;
	c->scan_threshold = IFN_SCAN_THRESHOLD_DEFAULT;
	c->fingerprint_cap = IFN_FINGERPRINT_CAP_DEFAULT;
	c->scan_window_ns = IFN_SCAN_WINDOW_NS_DEFAULT;
	c->event_limit = IFN_EVENT_LIMIT_DEFAULT;
	c->unknown_verdict = IFN_VERDICT_DROP;
	c->default_mode = IFN_MODE_LEARN;
	c->answer_s = IFN_ANSWER_S_DEFAULT;
	/* For an interface without settings of its own; attach's default too. */
	c->learn_ns = IFN_LEARN_DEFAULT_NS;
	c->dns_min_ttl_ns = IFN_DNS_MIN_TTL_NS_DEFAULT;
}

int ifn_config_read(const struct ifn_maps *m, struct ifn_config *c)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, c) ? -errno : 0;
}

int ifn_config_write(const struct ifn_maps *m, const struct ifn_config *c)
{
	__u32 zero = 0;

	return bpf_map_update_elem(m->config, &zero, c, BPF_ANY) ? -errno : 0;
}

int ifn_global_stats_read(const struct ifn_maps *m, struct ifn_global_stats *sum)
{
	struct ifn_global_stats *v;
	__u32 zero = 0;
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	v = calloc(m->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->stats, &zero, v)) {
		int err = -errno;

		free(v);
		return err;
	}
	for (cpu = 0; cpu < m->ncpus; cpu++) {
		const __u64 *src = (const __u64 *)&v[cpu];
		__u64 *dst = (__u64 *)sum;

		/* Every field is a counter except the last-event stamp. */
		for (i = 0; i < (int)(sizeof(*sum) / sizeof(__u64)); i++)
			dst[i] += src[i];
		if (v[cpu].table_full_event_ns > sum->table_full_event_ns)
			sum->table_full_event_ns = v[cpu].table_full_event_ns;
	}
	free(v);
	return 0;
}

int ifn_dns_stats_read(const struct ifn_maps *m, struct ifn_dns_stats *sum)
{
	struct ifn_dns_stats *v;
	__u32 zero = 0;
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	v = calloc(m->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->dns_stats, &zero, v)) {
		int err = -errno;

		free(v);
		return err;
	}
	/* Every field is a counter. */
	for (cpu = 0; cpu < m->ncpus; cpu++)
		for (i = 0; i < (int)(sizeof(*sum) / sizeof(__u64)); i++)
			((__u64 *)sum)[i] += ((const __u64 *)&v[cpu])[i];
	free(v);
	return 0;
}

int ifn_state_init(const struct ifn_maps *m, const struct ifn_config *cfg)
{
	struct ifn_config c = *cfg;
	__u32 slot;
	int err;

	/* The name hash's key: this state's own, never a constant. */
	while (!c.dns_key) {
		if (getrandom(&c.dns_key, sizeof(c.dns_key), 0) != sizeof(c.dns_key))
			return errno ? -errno : -EIO;
	}

	for (slot = 0; slot < m->max_devices; slot++) {
		if (bpf_map_update_elem(m->free_slots, NULL, &slot, BPF_ANY))
			return -errno;
	}
	err = ifn_config_write(m, &c);
	return err;
}

static int empty_map(int fd)
{
	__u8 key[64];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

/* Emptied notes must not look fresh in their cache (inbound.bpf.h). */
static int empty_in_recent(int fd)
{
	static __u32 keys[IFN_IN_RECENT_SLOTS];
	__u32 n = IFN_IN_RECENT_SLOTS, i;
	void *zero = calloc(IFN_IN_RECENT_SLOTS, sizeof(struct ifn_in_recent));
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, zero, &n, NULL))
		err = -errno;
	free(zero);
	return err;
}

int ifn_state_reset(const struct ifn_maps *m)
{
	const int hashes[] = { m->dev_index, m->flows,	 m->rules_port, m->rules_any, m->frags,
			       m->ip_owners, m->ifaces,	 m->dns,	m->dns_names, m->inbound,
			       m->probes,    m->probers, m->lan_nets,	m->name_rules };
	size_t stride = (sizeof(struct ifn_dev_stats) + 7) & ~(size_t)7;
	size_t zsz = stride > sizeof(struct ifn_global_stats) ? stride :
								sizeof(struct ifn_global_stats);
	_Static_assert(sizeof(struct ifn_dns_stats) <= sizeof(struct ifn_global_stats),
		       "the zeroes of ifn_stats also zero ifn_dns_stats");
	void *zero = calloc(m->ncpus, zsz);
	__u32 slot, z = 0;
	size_t i;
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]) && !err; i++)
		err = empty_map(hashes[i]);
	if (m->dev_mem)
		memset(m->dev_mem, 0, m->dev_mem_len);
	while (!bpf_map_lookup_and_delete_elem(m->free_slots, NULL, &slot))
		;
	for (slot = 0; slot < m->max_devices && !err; slot++) {
		if (bpf_map_update_elem(m->dev_stats, &slot, zero, BPF_ANY) ||
		    bpf_map_update_elem(m->free_slots, NULL, &slot, BPF_ANY))
			err = -errno;
	}
	if (!err && bpf_map_update_elem(m->stats, &z, zero, BPF_ANY))
		err = -errno;
	if (!err && bpf_map_update_elem(m->dns_stats, &z, zero, BPF_ANY))
		err = -errno;
	free(zero);
	if (!err)
		err = empty_in_recent(m->in_recent);
	return err;
}

static __u32 map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/* Maps without batch operations (LPM tries): one key at a time. */
static long dump_by_key(int fd, __u32 ksz, __u32 vsz, char *keys, char *values, __u32 cap)
{
	char *prev = NULL;
	long n = 0;

	while ((__u32)n < cap) {
		char *k = keys + (size_t)n * ksz;

		if (bpf_map_get_next_key(fd, prev, k))
			break;
		if (bpf_map_lookup_elem(fd, k, values + (size_t)n * vsz)) {
			if (errno == ENOENT) /* deleted meanwhile */
				continue;
			return -errno;
		}
		prev = k;
		n++;
	}
	return n;
}

long ifn_map_dump(int fd, __u32 ksz, __u32 vsz, void **keys_out, void **values_out)
{
	__u32 cap = map_max_entries(fd);
	/*
	 * A hash map's batch returns whole buckets and fails with ENOSPC when
	 * the next bucket does not fit in what is left of the buffer, which
	 * happens near the end of a full table: keep some room beyond the
	 * map's size, and grow when that is not enough.
	 */
	size_t room = (size_t)cap + 64;
	char *keys, *values;
	__u64 batch[8];
	long n = 0;
	bool first = true;

	*keys_out = NULL;
	*values_out = NULL;
	if (!cap)
		return -EINVAL;
	keys = malloc(room * ksz);
	values = malloc(room * vsz);
	if (!keys || !values)
		goto nomem;
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = room - n;
		int err;

		err = bpf_map_lookup_batch(fd, first ? NULL : batch, batch, keys + (size_t)n * ksz,
					   values + (size_t)n * vsz, &count, &opts);
		if (err && errno == ENOSPC && !count) {
			char *k, *v;

			room *= 2;
			k = realloc(keys, room * ksz);
			if (k)
				keys = k;
			v = realloc(values, room * vsz);
			if (v)
				values = v;
			if (!k || !v)
				goto nomem;
			first = false;
			continue;
		}
		if (err && errno != ENOENT) {
			err = -errno;
			if (first && (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP)) {
				n = dump_by_key(fd, ksz, vsz, keys, values, cap);
				break;
			}
			free(keys);
			free(values);
			return err;
		}
		n += count;
		first = false;
		if (err)
			break; /* ENOENT: the end */
		if (!count || (size_t)n == room)
			break; /* a map never holds more than its size */
	}
	if (n < 0) {
		free(keys);
		free(values);
		return n;
	}
	*keys_out = keys;
	*values_out = values;
	return n;
nomem:
	free(keys);
	free(values);
	return -ENOMEM;
}

long ifn_map_entries(int fd, __u32 ksz, __u32 vsz)
{
	void *k, *v;
	long n = ifn_map_dump(fd, ksz, vsz, &k, &v);

	free(k);
	free(v);
	return n;
}

/* Does @ifindex name the interface @name now (in this network namespace)? */
static bool iface_is(__u32 ifindex, const char *name)
{
	char now[IF_NAMESIZE];

	return if_indextoname(ifindex, now) && !strncmp(now, name, sizeof(now));
}

long ifn_ifaces_dedupe(__u32 *keys, struct ifn_iface *vals, long n)
{
	long i, j, out = 0;

	for (i = 0; i < n; i++) {
		bool keep = true;

		for (j = 0; j < n && keep; j++) {
			bool better;

			if (j == i || strncmp(vals[i].name, vals[j].name, sizeof(vals[i].name)) ||
			    !vals[i].name[0])
				continue;
			if (iface_is(keys[i], vals[i].name))
				better = false;
			else if (iface_is(keys[j], vals[j].name))
				better = true;
			else
				better = keys[j] > keys[i];
			keep = !better;
		}
		if (!keep)
			continue;
		keys[out] = keys[i];
		vals[out] = vals[i];
		out++;
	}
	return out;
}
