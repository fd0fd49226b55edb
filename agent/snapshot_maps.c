// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * snapshot_maps.c - the maps as a snapshot and a snapshot into empty maps:
 * monotonic times become wall-clock ones on the way out and back again on
 * the way in (snapshot_data.h says why). Files are snapshot.c's.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "devices.h"
#include "dnsname.h"
#include "errors.h"
#include "snapshot_fmt.h"
#include "snapshot_maps.h"

static __u64 to_wall(__u64 mono)
{
	return mono ? ifn_mono_to_wall(mono) : 0;
}

static __u64 to_mono(__u64 wall)
{
	return wall ? ifn_wall_to_mono(wall) : 0;
}

/* ---- maps to a snapshot ---- */

static bool mac_listed(const struct ifn_snap *s, const __u8 mac[6])
{
	return ifn_snap_find_dev(s, mac) != NULL;
}

static int capture_ifaces(const struct ifn_maps *m, struct ifn_snap *s)
{
	void *keys, *vals;
	long n, i;

	n = ifn_map_dump(m->ifaces, sizeof(__u32), sizeof(struct ifn_iface), &keys, &vals);
	if (n < 0)
		return n;
	/* A snapshot lists a name once, or its restore would refuse it. */
	n = ifn_ifaces_dedupe(keys, vals, n);
	s->ifaces = calloc(n ? n : 1, sizeof(*s->ifaces));
	if (!s->ifaces) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ifn_snap_iface *it = &s->ifaces[s->n_ifaces];
		const struct ifn_iface *ifc = (struct ifn_iface *)vals + i;

		it->ifindex = ((__u32 *)keys)[i];
		it->ifc = *ifc;
		memcpy(it->name, ifc->name, 15);
		it->name[15] = '\0';
		memset(it->ifc.name, 0, sizeof(it->ifc.name));
		memcpy(it->ifc.name, it->name, strlen(it->name));
		if (!it->name[0] && !if_indextoname(it->ifindex, it->name))
			continue; /* an interface without a name cannot be found again */
		if (!it->ifindex)
			continue;
		s->n_ifaces++;
	}
	free(keys);
	free(vals);
	return 0;
}

static const char *iface_name(const struct ifn_snap *s, __u32 ifindex)
{
	size_t i;

	for (i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].ifindex == ifindex)
			return s->ifaces[i].name;
	return NULL;
}

static int capture_devices(const struct ifn_maps *m, struct ifn_snap *s)
{
	struct ifn_mac_key *keys;
	struct ifn_device *vals;
	long n, i;
	int err = 0;

	n = ifn_devices_records(m, &keys, &vals);
	if (n < 0)
		return n;
	s->devs = calloc(n ? n : 1, sizeof(*s->devs));
	if (!s->devs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct ifn_snap_dev *d = &s->devs[i];
		const struct ifn_device *v = &vals[i];
		const char *name = iface_name(s, v->ifindex);
		char nb[IF_NAMESIZE];

		memcpy(d->mac, keys[i].mac, 6);
		if (!name && v->ifindex)
			name = if_indextoname(v->ifindex, nb);
		if (name)
			snprintf(d->ifname, sizeof(d->ifname), "%s", name);
		/* Only what outlives a restart; see snapshot_fmt.h. */
		d->dev.ifindex = v->ifindex;
		d->mode = v->mode;
		d->mode_after = v->mode_after;
		d->dev.flags = v->flags & (IFN_DEV_F_RATE_LIMIT | IFN_DEV_F_LEARN_CAPPED);
		d->until_ns = to_wall(ifn_mw_until(v->mode_word));
		d->dev.created_ns = to_wall(v->created_ns);
		memcpy(d->dev.ipv4, v->ipv4, 4);
		memcpy(d->dev.ipv6, v->ipv6, 16);
		memcpy(d->dev.ipv6_ll, v->ipv6_ll, 16);
		d->dev.rate_pps = v->rate_pps;
		d->dev.rate_bps = v->rate_bps;
		d->dev.burst_pkts = v->burst_pkts;
		d->dev.burst_bytes = v->burst_bytes;
		err = ifn_device_stats(m, v->slot, &d->st);
		if (err)
			goto out;
		d->st.first_seen_ns = to_wall(d->st.first_seen_ns);
		d->st.last_seen_ns = to_wall(d->st.last_seen_ns);
		d->st.pad = 0;
		s->n_devs++;
	}
	ifn_snap_sort(s);
out:
	free(keys);
	free(vals);
	return err;
}

/*
 * The datapath learns while we read: a flow of a device that appeared after
 * the device table was read is left out, so that the file never refers to
 * a device it does not list.
 */
static int capture_flows(const struct ifn_maps *m, struct ifn_snap *s)
{
	struct ifn_flow_key *keys;
	struct ifn_flow_val *vals;
	long n, i;

	n = ifn_map_dump(m->flows, sizeof(*keys), sizeof(*vals), (void **)&keys, (void **)&vals);
	if (n < 0)
		return n;
	s->flows = calloc(n ? n : 1, sizeof(*s->flows));
	if (!s->flows) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ifn_snap_flow *f = &s->flows[s->n_flows];

		if (!mac_listed(s, keys[i].mac))
			continue;
		f->k = keys[i];
		f->v.origin = vals[i].origin;
		f->v.added_ns = to_wall(vals[i].added_ns);
		s->n_flows++;
	}
	free(keys);
	free(vals);
	return 0;
}

static int capture_rules(const struct ifn_maps *m, struct ifn_snap *s)
{
	void *pk, *pv, *ak, *av;
	long np, na, i;
	int err = 0;

	np = ifn_map_dump(m->rules_port, sizeof(struct ifn_rule_port_key),
			  sizeof(struct ifn_rule_val), &pk, &pv);
	if (np < 0)
		return np;
	na = ifn_map_dump(m->rules_any, sizeof(struct ifn_rule_any_key),
			  sizeof(struct ifn_rule_val), &ak, &av);
	if (na < 0) {
		free(pk);
		free(pv);
		return na;
	}
	s->rules = calloc(np + na ? np + na : 1, sizeof(*s->rules));
	if (!s->rules) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < np; i++) {
		struct ifn_snap_rule *r = &s->rules[s->n_rules];
		const struct ifn_rule_port_key *k = (struct ifn_rule_port_key *)pk + i;
		const struct ifn_rule_val *v = (struct ifn_rule_val *)pv + i;

		if (!mac_listed(s, k->mac) || k->prefixlen < IFN_RULE_PORT_FIXED_BITS ||
		    k->prefixlen > IFN_RULE_PORT_BITS)
			continue;
		r->pk = *k;
		r->v.origin = v->origin;
		r->v.added_ns = to_wall(v->added_ns);
		s->n_rules++;
	}
	for (i = 0; i < na; i++) {
		struct ifn_snap_rule *r = &s->rules[s->n_rules];
		const struct ifn_rule_any_key *k = (struct ifn_rule_any_key *)ak + i;
		const struct ifn_rule_val *v = (struct ifn_rule_val *)av + i;

		if (!mac_listed(s, k->mac) || k->prefixlen < IFN_RULE_ANY_FIXED_BITS ||
		    k->prefixlen > IFN_RULE_ANY_BITS)
			continue;
		r->any = true;
		r->ak = *k;
		r->v.origin = v->origin;
		if (v->port_hi) {
			r->v.port_lo = v->port_lo;
			r->v.port_hi = v->port_hi;
		}
		r->v.added_ns = to_wall(v->added_ns);
		s->n_rules++;
	}
out:
	free(pk);
	free(pv);
	free(ak);
	free(av);
	return err;
}

/* Rules on names: their text, not their hash (which is this state's own). */
static int capture_names(const struct ifn_maps *m, struct ifn_snap *s)
{
	struct ifn_name_rule_key *keys;
	struct ifn_name_rule_val *vals;
	long n, i;

	n = ifn_map_dump(m->name_rules, sizeof(*keys), sizeof(*vals), (void **)&keys,
			 (void **)&vals);
	if (n < 0)
		return n;
	s->names = calloc(n ? n : 1, sizeof(*s->names));
	if (!s->names) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ifn_snap_name *r = &s->names[s->n_names];
		char name[IFN_DNS_NAME_MAX];
		bool wild;

		if (!mac_listed(s, keys[i].mac))
			continue;
		/* Only what a policy could say goes in the file. */
		snprintf(name, sizeof(name), "%.*s", IFN_DNS_NAME_MAX - 1, vals[i].name);
		if (ifn_dns_name_parse(name, r->v.name, &wild, NULL, 0) || wild)
			continue;
		r->k = keys[i];
		r->k.name = 0;
		r->v.origin = vals[i].origin;
		r->v.added_ns = to_wall(vals[i].added_ns);
		s->n_names++;
	}
	free(keys);
	free(vals);
	return 0;
}

static int capture_owners(const struct ifn_maps *m, struct ifn_snap *s)
{
	struct ifn_ip_key *keys;
	struct ifn_ip_owner *vals;
	long n, i;

	n = ifn_map_dump(m->ip_owners, sizeof(*keys), sizeof(*vals), (void **)&keys,
			 (void **)&vals);
	if (n < 0)
		return n;
	s->owners = calloc(n ? n : 1, sizeof(*s->owners));
	if (!s->owners) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ifn_snap_owner *o = &s->owners[s->n_owners];

		if (!mac_listed(s, vals[i].mac))
			continue;
		o->k = keys[i];
		memcpy(o->o.mac, vals[i].mac, 6);
		o->o.since_ns = to_wall(vals[i].since_ns);
		s->n_owners++;
	}
	free(keys);
	free(vals);
	return 0;
}

int ifn_snapshot_capture(const struct ifn_maps *m, struct ifn_snap *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->version = IFN_SNAP_VERSION;
	s->saved_ns = ifn_now_wall();
	err = ifn_config_read(m, &s->cfg);
	/* The clock's calibration is measured again at every load. */
	s->cfg.jiffy_ns = 0;
	s->cfg.clock_offset_ns = 0;
	if (!err)
		err = ifn_global_stats_read(m, &s->gs);
	s->gs.table_full_event_ns = 0; /* a monotonic stamp: meaningless after a reboot */
	if (!err)
		err = capture_ifaces(m, s);
	if (!err)
		err = capture_devices(m, s);
	if (!err)
		err = capture_flows(m, s);
	if (!err)
		err = capture_rules(m, s);
	if (!err)
		err = capture_owners(m, s);
	if (!err)
		err = capture_names(m, s);
	if (err)
		ifn_snap_free(s);
	else
		ifn_snap_sort(s);
	return err;
}

/* ---- a snapshot into empty maps ---- */

static int map_max(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : (int)info.max_entries;
}

static bool map_empty(int fd)
{
	__u8 key[64];

	return bpf_map_get_next_key(fd, NULL, key) && errno == ENOENT;
}

/* Per-CPU sums go back into the first CPU. */
static int put_percpu(int fd, __u32 key, const void *sum, size_t size, int ncpus)
{
	size_t stride = (size + 7) & ~(size_t)7;
	char *buf = calloc(ncpus, stride);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, sum, size);
	if (bpf_map_update_elem(fd, &key, buf, BPF_ANY))
		err = -errno;
	free(buf);
	return err;
}

struct restore_undo {
	__u32 *slots; /* popped, per device */
	size_t n_slots;
	size_t n_flows, n_rules, n_owners, n_devs, n_names;
	__u64 dns_key; /* of the state restored into: rules on names are hashed with it */
};

static void name_key_of(const struct ifn_snap_name *r, __u64 key, struct ifn_name_rule_key *k)
{
	*k = r->k;
	memset(k->pad, 0, sizeof(k->pad));
	k->name = ifn_dns_rule_hash(key, r->v.name);
}

static void flow_key_of(const struct ifn_snap_flow *f, struct ifn_flow_key *k)
{
	*k = f->k;
	k->pad = 0;
}

static void undo_restore(const struct ifn_maps *m, const struct ifn_snap *s, struct restore_undo *u)
{
	size_t i;

	for (i = 0; i < u->n_devs; i++) {
		struct ifn_mac_key k = {};

		memcpy(k.mac, s->devs[i].mac, 6);
		bpf_map_delete_elem(m->dev_index, &k);
		memset(&m->dev_mem[u->slots[i]], 0, sizeof(struct ifn_device));
	}
	for (i = 0; i < u->n_flows; i++) {
		struct ifn_flow_key k;

		flow_key_of(&s->flows[i], &k);
		bpf_map_delete_elem(m->flows, &k);
	}
	for (i = 0; i < u->n_rules; i++) {
		const struct ifn_snap_rule *r = &s->rules[i];

		if (r->any)
			bpf_map_delete_elem(m->rules_any, &r->ak);
		else
			bpf_map_delete_elem(m->rules_port, &r->pk);
	}
	for (i = 0; i < u->n_owners; i++)
		bpf_map_delete_elem(m->ip_owners, &s->owners[i].k);
	for (i = 0; i < u->n_names; i++) {
		struct ifn_name_rule_key k;

		name_key_of(&s->names[i], u->dns_key, &k);
		bpf_map_delete_elem(m->name_rules, &k);
	}
	for (i = 0; i < u->n_slots; i++) {
		struct ifn_dev_stats zero = {};

		put_percpu(m->dev_stats, u->slots[i], &zero, sizeof(zero), m->ncpus);
		bpf_map_update_elem(m->free_slots, NULL, &u->slots[i], BPF_ANY);
	}
}

static int check_fits(const struct ifn_maps *m, const struct ifn_snap *s, char *err, size_t errlen)
{
	size_t i, nport = 0, nany = 0;
	int owners_max = map_max(m->ip_owners);

	if (!map_empty(m->dev_index)) {
		snprintf(err, errlen,
			 "the running state has devices already; a snapshot is only "
			 "restored into empty state");
		return -EBUSY;
	}
	for (i = 0; i < s->n_rules; i++) {
		if (s->rules[i].any)
			nany++;
		else
			nport++;
	}
	if (s->n_devs > m->max_devices || s->n_flows > m->max_flows || nport > m->max_rules ||
	    nany > m->max_rules || (owners_max >= 0 && s->n_owners > (size_t)owners_max) ||
	    s->n_names > IFN_MAX_NAME_RULES_DEFAULT) {
		snprintf(err, errlen,
			 "the snapshot (%zu devices, %zu flows, %zu+%zu rules) does not fit the "
			 "maps (%u devices, %u flows, %u rules per kind): make them larger "
			 "(attach --max-devices, --max-flows, --max-rules)",
			 s->n_devs, s->n_flows, nport, nany, m->max_devices, m->max_flows,
			 m->max_rules);
		return -E2BIG;
	}
	return 0;
}

static int restore_flows(const struct ifn_maps *m, const struct ifn_snap *s, struct restore_undo *u)
{
	size_t i;

	for (i = 0; i < s->n_flows; i++) {
		struct ifn_flow_val v = { .added_ns = to_mono(s->flows[i].v.added_ns),
					  .origin = s->flows[i].v.origin };
		struct ifn_flow_key k;

		flow_key_of(&s->flows[i], &k);
		if (bpf_map_update_elem(m->flows, &k, &v, BPF_NOEXIST))
			return -errno;
		u->n_flows++;
	}
	return 0;
}

static int restore_rules(const struct ifn_maps *m, const struct ifn_snap *s, struct restore_undo *u)
{
	size_t i;

	for (i = 0; i < s->n_rules; i++) {
		const struct ifn_snap_rule *r = &s->rules[i];
		struct ifn_rule_val v = { .added_ns = to_mono(r->v.added_ns),
					  .origin = r->v.origin };
		int rc;

		if (r->any) {
			v.plen = r->ak.prefixlen - IFN_RULE_ANY_FIXED_BITS;
			v.port_lo = r->v.port_lo;
			v.port_hi = r->v.port_hi;
		}
		if (r->any)
			rc = bpf_map_update_elem(m->rules_any, &r->ak, &v, BPF_NOEXIST);
		else
			rc = bpf_map_update_elem(m->rules_port, &r->pk, &v, BPF_NOEXIST);
		if (rc)
			return -errno;
		u->n_rules++;
	}
	for (i = 0; i < s->n_owners; i++) {
		struct ifn_ip_owner o = s->owners[i].o;

		o.since_ns = to_mono(o.since_ns);
		memset(o.pad, 0, sizeof(o.pad));
		if (bpf_map_update_elem(m->ip_owners, &s->owners[i].k, &o, BPF_NOEXIST))
			return -errno;
		u->n_owners++;
	}
	for (i = 0; i < s->n_names; i++) {
		struct ifn_name_rule_val v = s->names[i].v;
		struct ifn_name_rule_key k;

		name_key_of(&s->names[i], u->dns_key, &k);
		v.added_ns = to_mono(v.added_ns);
		memset(v.pad, 0, sizeof(v.pad));
		if (bpf_map_update_elem(m->name_rules, &k, &v, BPF_NOEXIST))
			return -errno;
		u->n_names++;
	}
	return 0;
}

/*
 * What a device's record counts of its fingerprint: flows, rules per kind
 * (port, any, name, local-networks flows), and its exact flows' peer filter.
 */
struct dev_tally {
	__u32 flows;
	__u32 rules[4];
	__u64 exact_peers[IFN_EXACT_PEER_WORDS];
};

/* The record of a device as the datapath expects it after a restart. */
static int build_device(const struct ifn_snap_dev *sd, __u32 slot, const struct dev_tally *t,
			__u64 now, struct ifn_device *d)
{
	const __u32 *rules = t->rules;
	int idx;

	memset(d, 0, sizeof(*d));
	d->slot = slot;
	d->ifindex = sd->dev.ifindex;
	if (sd->ifname[0]) {
		idx = if_nametoindex(sd->ifname);
		if (idx > 0)
			d->ifindex = idx; /* ifindexes change across reboots, names do not */
	}
	memcpy(d->mac, sd->mac, 6);
	d->mode_word = ifn_mode_word(sd->mode, sd->mode_after, to_mono(sd->until_ns));
	d->created_ns = to_mono(sd->dev.created_ns);
	d->flags = sd->dev.flags & IFN_DEV_F_LEARN_CAPPED;
	if (rules[0])
		d->flags |= IFN_DEV_F_PORT_RULES;
	if (rules[1])
		d->flags |= IFN_DEV_F_ANY_RULES;
	if (rules[2])
		d->flags |= IFN_DEV_F_NAME_RULES;
	d->port_rules = rules[0];
	d->any_rules = rules[1];
	d->name_rules = rules[2];
	if (rules[3])
		d->flags |= IFN_DEV_F_LAN_RULES;
	d->lan_rules = rules[3];
	d->flow_count = t->flows;
	memcpy(d->exact_peers, t->exact_peers, sizeof(d->exact_peers));
	memcpy(d->ipv4, sd->dev.ipv4, 4);
	memcpy(d->ipv6, sd->dev.ipv6, 16);
	memcpy(d->ipv6_ll, sd->dev.ipv6_ll, 16);
	d->scan_window_ns = now;
	/* Full buckets, as after `iotfence rate`. */
	return ifn_device_apply_rate(d, sd->dev.rate_pps, sd->dev.rate_bps, sd->dev.burst_pkts,
				     sd->dev.burst_bytes);
}

/* The tally of each device (devices sorted, as parsed). */
static struct dev_tally *per_device(const struct ifn_snap *s)
{
	struct dev_tally *t = calloc(s->n_devs ? s->n_devs : 1, sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < s->n_flows; i++) {
		const struct ifn_snap_dev *d = ifn_snap_find_dev(s, s->flows[i].k.mac);
		struct ifn_flow_key k;

		if (!d)
			continue;
		t[d - s->devs].flows++;
		if (s->flows[i].k.family == IFN_FAMILY_LAN)
			t[d - s->devs].rules[3]++;
		flow_key_of(&s->flows[i], &k);
		ifn_exact_peers_add(t[d - s->devs].exact_peers, &k);
	}
	for (i = 0; i < s->n_rules; i++) {
		const struct ifn_snap_rule *r = &s->rules[i];
		const struct ifn_snap_dev *d = ifn_snap_find_dev(s, r->any ? r->ak.mac : r->pk.mac);

		if (d)
			t[d - s->devs].rules[r->any ? 1 : 0]++;
	}
	for (i = 0; i < s->n_names; i++) {
		const struct ifn_snap_dev *d = ifn_snap_find_dev(s, s->names[i].k.mac);

		if (d)
			t[d - s->devs].rules[2]++;
	}
	return t;
}

int ifn_snapshot_apply(const struct ifn_maps *m, const struct ifn_snap *s, char *err, size_t errlen)
{
	struct restore_undo u = {};
	struct ifn_config cfg = s->cfg, cur;
	struct ifn_global_stats gs = s->gs;
	__u64 now = ifn_now_mono();
	struct dev_tally *tally;
	size_t i;
	int rc;

	rc = check_fits(m, s, err, errlen);
	if (rc)
		return rc;
	if (!ifn_config_read(m, &cur))
		u.dns_key = cur.dns_key;
	tally = per_device(s);
	if (!tally)
		return -ENOMEM;
	u.slots = calloc(s->n_devs ? s->n_devs : 1, sizeof(*u.slots));
	if (!u.slots) {
		free(tally);
		return -ENOMEM;
	}

	/* Fingerprints first: without their device records they match nothing. */
	rc = restore_flows(m, s, &u);
	if (!rc)
		rc = restore_rules(m, s, &u);
	for (i = 0; !rc && i < s->n_devs; i++) {
		struct ifn_dev_stats st = s->devs[i].st;

		if (bpf_map_lookup_and_delete_elem(m->free_slots, NULL, &u.slots[i])) {
			rc = errno == ENOENT ? -E2BIG : -errno;
			break;
		}
		u.n_slots++;
		st.first_seen_ns = to_mono(st.first_seen_ns);
		st.last_seen_ns = to_mono(st.last_seen_ns);
		rc = put_percpu(m->dev_stats, u.slots[i], &st, sizeof(st), m->ncpus);
	}
	for (i = 0; !rc && i < s->n_devs; i++) {
		struct ifn_device d;

		rc = build_device(&s->devs[i], u.slots[i], &tally[i], now, &d);
		if (rc)
			break;
		rc = ifn_device_insert(m, &d);
		if (rc)
			break;
		u.n_devs++;
	}
	free(tally);
	if (rc) {
		undo_restore(m, s, &u);
		free(u.slots);
		snprintf(err, errlen, "cannot write the maps: %s", ifn_strerror(rc));
		return rc;
	}
	free(u.slots);

	/*
	 * Settings and counters last: nothing after them can fail a restore.
	 * The datapath clock's calibration belongs to this boot, not the file.
	 */
	if (!ifn_config_read(m, &cur)) {
		cfg.jiffy_ns = cur.jiffy_ns;
		cfg.clock_offset_ns = cur.clock_offset_ns;
		cfg.dns_key = cur.dns_key;
	}
	cfg.abi_version = IFN_ABI_VERSION;
	ifn_config_write(m, &cfg);
	gs.table_full_event_ns = 0;
	put_percpu(m->stats, 0, &gs, sizeof(gs), m->ncpus);
	for (i = 0; i < s->n_ifaces; i++) {
		struct ifn_iface ifc = s->ifaces[i].ifc;
		__u32 idx = if_nametoindex(s->ifaces[i].name);

		/* Interfaces that are gone, or renamed, keep the defaults attach gives them. */
		if (!idx)
			continue;
		memset(ifc.name, 0, sizeof(ifc.name));
		memcpy(ifc.name, s->ifaces[i].name, strlen(s->ifaces[i].name));
		bpf_map_update_elem(m->ifaces, &idx, &ifc, BPF_ANY);
	}
	return 0;
}
