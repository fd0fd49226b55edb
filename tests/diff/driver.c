// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * driver.c - differential run: frames through the real XDP program
 * (BPF_PROG_TEST_RUN, private maps, virtual clock) and through the
 * reference model (model.c), comparing after every frame the verdict, the
 * events, the device's record and counters and the global counters, and
 * at the end of every episode the whole device table, the fingerprints and
 * the address owners. A mismatch prints the frame as hex and fails.
 *
 *   diff_driver [--frames N] [--seed S] [--episode E] [--pcaps DIR] [-v]
 *
 * Episodes start from empty maps with random settings, devices, peers and
 * operator actions (mode changes, rules, rates, forget), so every mode is
 * exercised; an episode replays exactly from (seed, episode).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "devices.h"
#include "dnsname.h"
#include "loader.h"
#include "rules.h"
#include "state.h"

#include "gen.h"
#include "model.h"

#define NS_PER_S 1000000000ULL
#define MAX_EV 512
#define LOG_LINES 12
#define MAX_KINDS 64

struct inst {
	const char *name;
	struct iotfence *skel;
	struct ifn_maps m;
	int prog_fd, egress_fd;
	__u64 *now;
	struct ring_buffer *rb;
	struct mdl model;
	__u32 max_devices, max_flows;
	/* events of the current frame */
	struct ifn_event ev[MAX_EV];
	unsigned int nev, ev_overflow;
	/* the program's record of the current frame's device */
	bool have_rec;
	struct ifn_device rec;
	void *percpu; /* scratch for per-CPU reads */
	/* The egress counters, summed over episodes (the maps are emptied). */
	__u64 dns_answers, dns_used, dns_bad, dns_spoofed;
	size_t stride;
};

static struct {
	__u64 frames, by_kind[GEN_KINDS], by_mode[IFN_MODE_MAX + 1], by_verdict[3];
	__u64 by_reason[IFN_REASON_MAX], events, ops, episodes, short_frames;
	__u64 by_event[IFN_EV_MAX], new_devices, table_full, flows_full, events_lost;
	__u64 egress_frames, egress_refused, notes, answers;
	unsigned int mismatches;
	char kinds[MAX_KINDS][96];
	unsigned int kind_count[MAX_KINDS], nkinds;
	__u64 kind_episode[MAX_KINDS]; /* where each kind was first seen */
} stats;

static bool verbose;
static char logbuf[LOG_LINES][240];
static unsigned int logpos;
static char oplog[LOG_LINES][240];
static unsigned int oppos;

static void oplogf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void oplogf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(oplog[oppos++ % LOG_LINES], sizeof(oplog[0]), fmt, ap);
	va_end(ap);
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(logbuf[logpos++ % LOG_LINES], sizeof(logbuf[0]), fmt, ap);
	va_end(ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "diff: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static const char *fmt_mac(const __u8 *m, char *b)
{
	sprintf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return b;
}

/* Program side */

static int on_event(void *ctx, void *data, size_t len)
{
	struct inst *in = ctx;

	if (len < sizeof(struct ifn_event))
		return 0;
	if (in->nev < MAX_EV)
		memcpy(&in->ev[in->nev++], data, sizeof(struct ifn_event));
	else
		in->ev_overflow++;
	return 0;
}

static void inst_load(struct inst *in, const char *name, __u32 max_devices, __u32 max_flows)
{
	struct ifn_load_opts o = {
		.pin_dir = NULL,
		.virtual_clock = true,
		.max_devices = max_devices,
		.max_flows = max_flows,
		.quiet = true,
	};
	struct ifn_config cfg;
	bool fresh;
	int err;

	memset(in, 0, sizeof(*in));
	in->name = name;
	ifn_config_defaults(&cfg);
	err = ifn_load(&o, &cfg, &in->skel, &fresh);
	if (err)
		die("cannot load the XDP program: %s (run as root)", strerror(-err));
	if (ifn_maps_from_skel(&in->m, in->skel))
		die("cannot find the maps");
	in->prog_fd = ifn_skel_prog_fd(in->skel);
	in->egress_fd = ifn_skel_egress_fd(in->skel);
	if (in->egress_fd < 0)
		die("no egress program");
	in->now = ifn_skel_virtual_now(in->skel);
	in->rb = ring_buffer__new(in->m.events, on_event, in, NULL);
	if (!in->rb)
		die("cannot open the ring buffer");
	in->max_devices = in->m.max_devices;
	in->max_flows = in->m.max_flows;
	in->stride = sizeof(struct ifn_global_stats) > sizeof(struct ifn_dev_stats) ?
			     sizeof(struct ifn_global_stats) :
			     (sizeof(struct ifn_dev_stats) + 7) & ~7UL;
	in->percpu = calloc(in->m.ncpus, in->stride);
	if (!in->percpu)
		die("out of memory");
	mdl_init(&in->model, in->max_devices, in->max_flows);
}

static void inst_unload(struct inst *in)
{
	ring_buffer__free(in->rb);
	ifn_unload(in->skel);
	mdl_free(&in->model);
	free(in->percpu);
}

/* Empty maps, as a fresh state: every slot free, default settings. */
static void inst_reset(struct inst *in)
{
	struct ifn_config cfg;

	if (ifn_state_reset(&in->m))
		die("cannot empty the maps: %s", strerror(errno));
	ifn_config_defaults(&cfg);
	if (ifn_config_write(&in->m, &cfg))
		die("cannot write the settings");
	ring_buffer__consume(in->rb);
	in->nev = 0;
	in->ev_overflow = 0;
	mdl_reset(&in->model);
}

static void set_iface(struct inst *in)
{
	struct ifn_iface ifc = { 0 };
	__u32 lo = 1;

	if (!in->model.lo.present) {
		bpf_map_delete_elem(in->m.ifaces, &lo);
		return;
	}
	ifc.default_mode = in->model.lo.default_mode;
	ifc.learn_ns = in->model.lo.learn_ns;
	snprintf(ifc.name, sizeof(ifc.name), "lo");
	if (bpf_map_update_elem(in->m.ifaces, &lo, &ifc, BPF_ANY))
		die("cannot write the interface settings");
}

/*
 * One frame. BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet
 * header (even behind XDP metadata), so the generators' short frames are
 * padded to 14 bytes by the caller: eth_truncated cannot be reached here.
 */
static int run_frame(struct inst *in, const __u8 *f, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len);

	in->nev = 0;
	in->ev_overflow = 0;
	if (bpf_prog_test_run_opts(in->prog_fd, &o))
		die("BPF_PROG_TEST_RUN failed: %s (frame of %zu bytes)", strerror(errno), len);
	ring_buffer__consume(in->rb);
	return (int)o.retval;
}

/*
 * One frame to a device through the egress program (tc, BPF_PROG_TEST_RUN
 * of an skb), that came into the gateway on @ingress. It must let the
 * frame go on (TC_ACT_UNSPEC) unchanged: returns false if it did not.
 */
static bool run_egress(struct inst *in, const __u8 *f, size_t len, __u32 ingress, bool *refused)
{
	static __u8 out[GEN_MAX_FRAME + 4096];
	struct __sk_buff ctx = { .ingress_ifindex = ingress };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	in->nev = 0;
	in->ev_overflow = 0;
	if (bpf_prog_test_run_opts(in->egress_fd, &o)) {
		/*
		 * The kernel refuses an skb whose ethertype is IPv4 or IPv6
		 * without that header: such a frame never reaches a tc program.
		 */
		if (errno == EINVAL) {
			*refused = true;
			return true;
		}
		die("BPF_PROG_TEST_RUN of the egress program failed: %s (frame of %zu bytes)",
		    strerror(errno), len);
	}
	*refused = false;
	ring_buffer__consume(in->rb);
	return (int)o.retval == -1 /* TC_ACT_UNSPEC */ && o.data_size_out == len &&
	       !memcmp(out, f, len);
}

static bool probe_oracle(void *ctx, const struct ifn_probe_key *k, __u32 *ports, __u32 *devices)
{
	struct inst *in = ctx;
	struct ifn_probe_val pv;
	struct ifn_prober_val bv;
	struct ifn_ip_key ik;

	memcpy(ik.addr, k->peer, 16);
	if (bpf_map_lookup_elem(in->m.probes, k, &pv) ||
	    bpf_map_lookup_elem(in->m.probers, &ik, &bv))
		return false;
	*ports = pv.count;
	*devices = bv.count;
	return true;
}

static bool prog_device(struct inst *in, const __u8 mac[6], struct ifn_device *d)
{
	return !ifn_device_get(&in->m, mac, d);
}

static bool oracle(void *ctx, const __u8 mac[6], __u32 *count)
{
	struct inst *in = ctx;

	(void)mac;
	if (!in->have_rec)
		return false;
	*count = in->rec.scan_count;
	return true;
}

static void prog_dev_stats(struct inst *in, __u32 slot, struct ifn_dev_stats *s)
{
	if (ifn_device_stats(&in->m, slot, s))
		die("cannot read the counters of slot %u", slot);
}

static void prog_global(struct inst *in, struct ifn_global_stats *g)
{
	if (ifn_global_stats_read(&in->m, g))
		die("cannot read the global counters");
}

/* Comparison */

struct cmp {
	char what[2048];
	size_t n;
	bool bad;
};

static void cmp_fail(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cmp_fail(struct cmp *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->bad)
		c->n = 0;
	c->bad = true;
	if (c->n >= sizeof(c->what) - 2)
		return;
	va_start(ap, fmt);
	c->n += vsnprintf(c->what + c->n, sizeof(c->what) - c->n, fmt, ap);
	va_end(ap);
	if (c->n < sizeof(c->what) - 1)
		c->what[c->n++] = '\n';
	c->what[c->n < sizeof(c->what) ? c->n : sizeof(c->what) - 1] = '\0';
}

#define CMP_U(c, name, prog, model)                                                \
	do {                                                                       \
		unsigned long long p_ = (prog), m_ = (model);                      \
		if (p_ != m_)                                                      \
			cmp_fail(c, "%s: program %llu, model %llu", name, p_, m_); \
	} while (0)

static void hex(char *out, const __u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void cmp_events(struct cmp *c, struct inst *in, const struct mdl_result *r, __u64 now)
{
	unsigned int i, n = in->nev < r->nev ? in->nev : r->nev;
	char a[40], b[40];

	if (in->nev != r->nev) {
		char pl[256] = "", ml[256] = "";
		size_t pn = 0, mn = 0;

		for (i = 0; i < in->nev && pn < 200; i++)
			pn += snprintf(pl + pn, sizeof(pl) - pn, " %s",
				       mdl_event_name(in->ev[i].type));
		for (i = 0; i < r->nev && mn < 200; i++)
			mn += snprintf(ml + mn, sizeof(ml) - mn, " %s",
				       mdl_event_name(r->ev[i].type));
		cmp_fail(c, "events: program [%s ], model [%s ]", pl, ml);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct ifn_event *p = &in->ev[i], *m = &r->ev[i];
		char name[64];

		snprintf(name, sizeof(name), "event %u (%s)", i, mdl_event_name(m->type));
		CMP_U(c, name, p->type, m->type);
		if (p->type != m->type)
			continue;
		if (memcmp(p->mac, m->mac, 6))
			cmp_fail(c, "%s mac: program %s, model %s", name, fmt_mac(p->mac, a),
				 fmt_mac(m->mac, b));
		CMP_U(c, "event time", p->time_ns, now);
		CMP_U(c, "event ifindex", p->ifindex, m->ifindex);
		if (m->type != IFN_EV_TABLE_FULL)
			CMP_U(c, "event mode", p->mode, m->mode);
		switch (m->type) {
		case IFN_EV_VIOLATION:
		case IFN_EV_SCAN:
		case IFN_EV_AUTO_QUARANTINE:
		case IFN_EV_RATE_EXCEEDED:
		case IFN_EV_FINGERPRINT_CAP:
			if (memcmp(&p->flow, &m->flow, sizeof(p->flow))) {
				char hp[64], hm[64];

				hex(hp, (const __u8 *)&p->flow, sizeof(p->flow));
				hex(hm, (const __u8 *)&m->flow, sizeof(m->flow));
				cmp_fail(c, "%s flow key: program %s, model %s", name, hp, hm);
			}
			if (m->type == IFN_EV_SCAN || m->type == IFN_EV_FINGERPRINT_CAP)
				CMP_U(c, "event value", p->value, m->value);
			break;
		case IFN_EV_PROBED:
			CMP_U(c, "PROBED ports", p->value, m->value);
			CMP_U(c, "PROBED devices", p->count2, m->count2);
			/* fall through */
		case IFN_EV_DNS_SPOOFED:
			if (memcmp(p->addr, m->addr, 16) ||
			    (m->type == IFN_EV_DNS_SPOOFED &&
			     memcmp(p->other_mac, m->other_mac, 6))) {
				char hp[40], hm[40];

				hex(hp, p->addr, 16);
				hex(hm, m->addr, 16);
				cmp_fail(c, "%s: program addr %s mac %s, model addr %s mac %s",
					 name, hp, fmt_mac(p->other_mac, a), hm,
					 fmt_mac(m->other_mac, b));
			}
			break;
		case IFN_EV_IP_CHANGE:
		case IFN_EV_IP_CONFLICT:
			if (memcmp(p->addr, m->addr, 16) ||
			    (m->type == IFN_EV_IP_CHANGE && memcmp(p->old_addr, m->old_addr, 16)) ||
			    (m->type == IFN_EV_IP_CONFLICT &&
			     memcmp(p->other_mac, m->other_mac, 6))) {
				char hp[80], hm[80];

				hex(hp, p->addr, 16);
				hex(hm, m->addr, 16);
				cmp_fail(c, "%s addresses differ: program addr %s, model addr %s",
					 name, hp, hm);
			}
			break;
		default:
			break;
		}
	}
}

static void cmp_device(struct cmp *c, struct inst *in, const struct mdl_device *md,
		       const struct ifn_device *pd, const char *who)
{
	struct ifn_dev_stats ps;
	char name[96];
	unsigned int i;

	snprintf(name, sizeof(name), "%s mode", who);
	CMP_U(c, name, pd->mode, md->mode);
	snprintf(name, sizeof(name), "%s mode_until_ns", who);
	CMP_U(c, name, ifn_mw_until(pd->mode_word), md->mode_until_ns);
	if (md->mode_until_ns) {
		snprintf(name, sizeof(name), "%s mode_after", who);
		CMP_U(c, name, pd->mode_after, md->mode_after);
	}
	snprintf(name, sizeof(name), "%s flags", who);
	CMP_U(c, name, pd->flags, md->flags);
	snprintf(name, sizeof(name), "%s flow_count", who);
	CMP_U(c, name, pd->flow_count, md->flow_count);
	snprintf(name, sizeof(name), "%s name_rules", who);
	CMP_U(c, name, pd->name_rules, md->name_rules);
	snprintf(name, sizeof(name), "%s created_ns", who);
	CMP_U(c, name, pd->created_ns, md->created_ns);
	snprintf(name, sizeof(name), "%s ifindex", who);
	CMP_U(c, name, pd->ifindex, md->ifindex);
	if (memcmp(pd->ipv4, md->ipv4, 4) || memcmp(pd->ipv6, md->ipv6, 16) ||
	    memcmp(pd->ipv6_ll, md->ipv6_ll, 16)) {
		char h1[40], h2[40], h3[40], h4[40], h5[40], h6[40];

		hex(h1, pd->ipv4, 4);
		hex(h2, md->ipv4, 4);
		hex(h3, pd->ipv6_ll, 16);
		hex(h4, md->ipv6_ll, 16);
		hex(h5, pd->ipv6, 16);
		hex(h6, md->ipv6, 16);
		cmp_fail(c,
			 "%s addresses: program ipv4 %s ll %s ipv6 %s, model ipv4 %s ll %s ipv6 %s",
			 who, h1, h3, h5, h2, h4, h6);
	}
	snprintf(name, sizeof(name), "%s scan_count", who);
	CMP_U(c, name, pd->scan_count, md->scan_count);
	snprintf(name, sizeof(name), "%s scan_window_ns", who);
	CMP_U(c, name, pd->scan_window_ns, md->scan_window_ns);
	if (md->flags & IFN_DEV_F_RATE_LIMIT) {
		snprintf(name, sizeof(name), "%s tokens_pkts", who);
		CMP_U(c, name, pd->tokens_pkts, md->tokens_pkts);
		snprintf(name, sizeof(name), "%s tokens_bytes", who);
		CMP_U(c, name, pd->tokens_bytes, md->tokens_bytes);
	}
	for (i = 0; i < IFN_EV_MAX; i++) {
		snprintf(name, sizeof(name), "%s ev_limit[%s]", who, mdl_event_name(i));
		CMP_U(c, name, pd->ev_limit[i], md->ev_limit[i]);
	}

	prog_dev_stats(in, pd->slot, &ps);
	snprintf(name, sizeof(name), "%s packets", who);
	CMP_U(c, name, ps.packets, md->st.packets);
	snprintf(name, sizeof(name), "%s bytes", who);
	CMP_U(c, name, ps.bytes, md->st.bytes);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%s verdict[%u]", who, i);
		CMP_U(c, name, ps.verdict[i], md->st.verdict[i]);
	}
	for (i = 0; i < IFN_REASON_MAX; i++) {
		snprintf(name, sizeof(name), "%s reason[%s]", who, mdl_reason_name(i));
		CMP_U(c, name, ps.reason[i], md->st.reason[i]);
	}
	snprintf(name, sizeof(name), "%s events_suppressed", who);
	CMP_U(c, name, ps.events_suppressed, md->st.events_suppressed);
	snprintf(name, sizeof(name), "%s first_seen_ns", who);
	CMP_U(c, name, ps.first_seen_ns, md->st.first_seen_ns);
	snprintf(name, sizeof(name), "%s last_seen_ns", who);
	CMP_U(c, name, ps.last_seen_ns, md->st.last_seen_ns);
}

static void cmp_global(struct cmp *c, struct inst *in)
{
	const struct mdl_global *m = &in->model.g;
	struct ifn_global_stats g;
	char name[64];
	unsigned int i;

	prog_global(in, &g);
	CMP_U(c, "global frames", g.frames, m->frames);
	CMP_U(c, "global bytes", g.bytes, m->bytes);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "global verdict[%u]", i);
		CMP_U(c, name, g.verdict[i], m->verdict[i]);
	}
	for (i = 0; i < IFN_REASON_MAX; i++) {
		snprintf(name, sizeof(name), "global reason[%s]", mdl_reason_name(i));
		CMP_U(c, name, g.reason[i], m->reason[i]);
	}
	CMP_U(c, "global new_devices", g.new_devices, m->new_devices);
	CMP_U(c, "global table_full", g.table_full, m->table_full);
	CMP_U(c, "global events_sent", g.events_sent, m->events_sent);
	CMP_U(c, "global events_lost", g.events_lost, m->events_lost);
	CMP_U(c, "global table_full_event_ns", g.table_full_event_ns, m->table_full_event_ns);
	CMP_U(c, "global flows_full", g.flows_full, m->flows_full);
}

static long map_count(int fd, __u32 ksz, __u32 vsz);

/* The whole state, at the end of an episode. */
static void cmp_tables(struct cmp *c, struct inst *in)
{
	struct mdl *md = &in->model;
	struct ifn_mac_key k, nk;
	struct ifn_device d;
	unsigned int ndev = 0, i;
	const void *kp;
	void *vp;
	size_t it;
	void *prev = NULL;
	char a[40];

	while (!bpf_map_get_next_key(in->m.dev_index, prev, &nk)) {
		k = nk;
		prev = &k;
		ndev++;
		if (ifn_device_get(&in->m, k.mac, &d))
			continue;
		if (!mdl_device(md, k.mac)) {
			cmp_fail(c, "device %s is in the program's table only", fmt_mac(k.mac, a));
			continue;
		}
		cmp_device(c, in, mdl_device(md, k.mac), &d, fmt_mac(k.mac, a));
	}
	CMP_U(c, "devices in the table", ndev, md->ndev);

	/* Fingerprints: every exact flow, learned or not, with its origin. */
	{
		struct ifn_flow_key fk, fnk;
		struct ifn_flow_val fv;
		size_t nflows = 0;

		prev = NULL;
		while (!bpf_map_get_next_key(in->m.flows, prev, &fnk)) {
			const __u8 *origin;

			fk = fnk;
			prev = &fk;
			nflows++;
			origin = htab_get(&md->flows, &fk);
			if (!origin) {
				char h[64];

				hex(h, (const __u8 *)&fk, sizeof(fk));
				cmp_fail(c, "flow %s is in the program's fingerprint only", h);
			} else if (!bpf_map_lookup_elem(in->m.flows, &fk, &fv) &&
				   fv.origin != *origin) {
				cmp_fail(c, "flow origin: program %u, model %u", fv.origin,
					 *origin);
			}
		}
		CMP_U(c, "exact flows", nflows, htab_count(&md->flows));
	}

	/* Address owners. */
	{
		struct ifn_ip_key ik, ink;
		struct ifn_ip_owner o;
		size_t n = 0;

		prev = NULL;
		while (!bpf_map_get_next_key(in->m.ip_owners, prev, &ink)) {
			const __u8 *mm;

			ik = ink;
			prev = &ik;
			n++;
			mm = htab_get(&md->owners, ik.addr);
			if (bpf_map_lookup_elem(in->m.ip_owners, &ik, &o))
				continue;
			if (!mm || memcmp(mm, o.mac, 6)) {
				char h[40];

				hex(h, ik.addr, 16);
				cmp_fail(c, "address owner of %s: program %s, model %s", h,
					 fmt_mac(o.mac, a), mm ? "another" : "none");
			}
		}
		CMP_U(c, "address owners", n, htab_count(&md->owners));
	}
	/* Inbound notes (ANSWERS): every one, with its time and kind. */
	{
		struct ifn_in_key ik, ink;
		struct ifn_in_val v;
		size_t n = 0;

		prev = NULL;
		while (!bpf_map_get_next_key(in->m.inbound, prev, &ink)) {
			const struct ifn_in_val *mv;

			ik = ink;
			prev = &ik;
			n++;
			if (bpf_map_lookup_elem(in->m.inbound, &ik, &v))
				continue;
			mv = htab_get(&md->inbound, &ik);
			if (!mv || mv->seen_ns != v.seen_ns || mv->syn != v.syn) {
				char h[64];

				hex(h, (const __u8 *)&ik, sizeof(ik));
				cmp_fail(c, "inbound note %s: program seen %llu syn %u, model %s",
					 h, (unsigned long long)v.seen_ns, v.syn,
					 mv ? "another" : "none");
			}
		}
		CMP_U(c, "inbound notes", n, htab_count(&md->inbound));
	}
	/* What the devices resolved: every address, its names and expiries. */
	{
		struct ifn_dns_key dk, ndk;
		struct ifn_dns_val v;
		size_t n = 0;

		prev = NULL;
		while (!bpf_map_get_next_key(in->m.dns, prev, &ndk)) {
			const struct ifn_dns_val *mv;

			dk = ndk;
			prev = &dk;
			n++;
			if (bpf_map_lookup_elem(in->m.dns, &dk, &v))
				continue;
			mv = htab_get(&md->dns, &dk);
			if (!mv || memcmp(mv->name, v.name, sizeof(v.name)) ||
			    memcmp(mv->expires_ns, v.expires_ns, sizeof(v.expires_ns)))
				cmp_fail(c, "ifn_dns entry of %s differs (model %s)",
					 fmt_mac(dk.mac, a), mv ? "has another" : "has none");
		}
		CMP_U(c, "ifn_dns entries", n, htab_count(&md->dns));
		CMP_U(c, "ifn_dns_names entries",
		      map_count(in->m.dns_names, sizeof(__u64), sizeof(struct ifn_dns_name)),
		      htab_count(&md->dns_names));
	}
	/* Rules on names, learned or written: the same set on both sides. */
	{
		struct ifn_name_rule_key nk, nnk;
		struct ifn_name_rule_val nv;
		size_t n = 0, mn = 0;

		prev = NULL;
		while (!bpf_map_get_next_key(in->m.name_rules, prev, &nnk)) {
			bool found = false;
			unsigned int k;

			nk = nnk;
			prev = &nk;
			n++;
			if (bpf_map_lookup_elem(in->m.name_rules, &nk, &nv))
				continue;
			for (k = 0; k < md->nrules && !found; k++) {
				const struct mdl_rule *r = &md->rules[k];

				found = r->used && r->is_name && !memcmp(r->mac, nk.mac, 6) &&
					r->proto == nk.proto && r->port == nk.port &&
					r->dir == nk.dir && r->wild == nk.wild &&
					!strcmp(r->name, nv.name);
			}
			if (!found)
				cmp_fail(c, "name rule %s of %s is in the program only", nv.name,
					 fmt_mac(nk.mac, a));
		}
		for (i = 0; i < md->nrules; i++)
			mn += md->rules[i].used && md->rules[i].is_name;
		CMP_U(c, "name rules", n, mn);
	}
	(void)kp;
	(void)vp;
	(void)it;
	(void)i;
}

/* Episode */

struct episode {
	struct inst *in;
	struct rng rng;
	struct gen_ctx g;
	__u64 seed, index, now;
	unsigned int frame_no;
	char before[400];
};

static void record_kind(const char *what, __u64 episode)
{
	char key[96];
	unsigned int i;
	const char *colon = strchr(what, ':');
	size_t n = colon ? (size_t)(colon - what) : strlen(what);

	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, what, n);
	key[n] = '\0';
	for (i = 0; i < stats.nkinds; i++) {
		if (!strcmp(stats.kinds[i], key)) {
			stats.kind_count[i]++;
			return;
		}
	}
	if (stats.nkinds < MAX_KINDS) {
		snprintf(stats.kinds[stats.nkinds], sizeof(stats.kinds[0]), "%s", key);
		stats.kind_episode[stats.nkinds] = episode;
		stats.kind_count[stats.nkinds++] = 1;
	}
}

static void report(struct episode *e, const struct cmp *c, const __u8 *f, size_t len,
		   const char *kind, const struct mdl_result *r, int xdp)
{
	char h[2 * GEN_MAX_FRAME + 1];
	unsigned int i;

	stats.mismatches++;
	record_kind(c->what, e->index);
	if (stats.mismatches > 5)
		return;
	printf("MISMATCH in episode %llu (seed %llu, instance %s), frame %u (%s) at t=%llu ns:\n",
	       (unsigned long long)e->index, (unsigned long long)e->seed, e->in->name, e->frame_no,
	       kind, (unsigned long long)e->now);
	printf("%s", c->what);
	if (f) {
		hex(h, f, len);
		printf("  frame (%zu bytes): %s\n", len, h);
		printf("  device before the frame: %s\n", e->before);
		printf("  program: %s; model: %s, verdict %u, reason %s\n",
		       xdp == XDP_DROP ? "XDP_DROP" :
		       xdp == XDP_PASS ? "XDP_PASS" :
					 "other",
		       r->xdp == XDP_DROP ? "XDP_DROP" : "XDP_PASS", r->verdict,
		       mdl_reason_name(r->reason));
	}
	if (getenv("DIFF_TRACE")) {
		struct ifn_name_rule_key nk, nnk;
		struct ifn_name_rule_val nv;
		void *prev = NULL;
		unsigned int k;

		while (!bpf_map_get_next_key(e->in->m.name_rules, prev, &nnk)) {
			nk = nnk;
			prev = &nk;
			if (!bpf_map_lookup_elem(e->in->m.name_rules, &nk, &nv))
				printf("  program name rule %02x:%02x proto %u port %u dir %u wild %u %llx %s\n",
				       nk.mac[4], nk.mac[5], nk.proto, nk.port, nk.dir, nk.wild,
				       (unsigned long long)nk.name, nv.name);
		}
		{
			struct ifn_dns_key dk, ndk;
			struct ifn_dns_val dv;
			const struct ifn_dns_val *mv;
			void *pv = NULL;

			while (!bpf_map_get_next_key(e->in->m.dns, pv, &ndk)) {
				dk = ndk;
				pv = &dk;
				if (bpf_map_lookup_elem(e->in->m.dns, &dk, &dv))
					continue;
				mv = htab_get(&e->in->model.dns, &dk);
				printf("  dns %02x:%02x %u.%u.%u.%u: program used %llu", dk.mac[4],
				       dk.mac[5], dk.addr[12], dk.addr[13], dk.addr[14],
				       dk.addr[15], (unsigned long long)dv.last_used_ns);
				for (k = 0; k < 4; k++)
					printf(" %llx/%llu", (unsigned long long)dv.name[k],
					       (unsigned long long)dv.expires_ns[k]);
				if (mv) {
					printf("; model used %llu",
					       (unsigned long long)mv->last_used_ns);
					for (k = 0; k < 4; k++)
						printf(" %llx/%llu",
						       (unsigned long long)mv->name[k] & 0xffff,
						       (unsigned long long)mv->expires_ns[k]);
				}
				printf("\n");
			}
		}
		for (k = 0; k < e->in->model.nrules; k++) {
			const struct mdl_rule *mr = &e->in->model.rules[k];

			if (mr->used && mr->is_name)
				printf("  model name rule %02x:%02x proto %u port %u dir %u wild %u %s\n",
				       mr->mac[4], mr->mac[5], mr->proto, mr->port, mr->dir,
				       mr->wild, mr->name);
		}
	}
	printf("  recent operator actions, oldest first:\n");
	for (i = 0; i < LOG_LINES; i++) {
		const char *l = oplog[(oppos + i) % LOG_LINES];

		if (*l)
			printf("    %s\n", l);
	}
	printf("  recent frames, oldest first:\n");
	for (i = 0; i < LOG_LINES; i++) {
		const char *l = logbuf[(logpos + i) % LOG_LINES];

		if (*l)
			printf("    %s\n", l);
	}
	printf("  reproduce: diff_driver --seed %llu --episode %llu -v\n\n",
	       (unsigned long long)e->seed, (unsigned long long)e->index);
}

static __u64 pick_dur(struct rng *r)
{
	switch (rng_below(r, 4)) {
	case 0:
		return (1 + rng_below(r, 5)) * NS_PER_S;
	case 1:
		return rng_below(r, 30 * NS_PER_S) + 1;
	case 2:
		return (1 + rng_below(r, 300)) * NS_PER_S / 10;
	default:
		return (10 + rng_below(r, 60)) * NS_PER_S;
	}
}

static void random_settings(struct episode *e)
{
	struct mdl *m = &e->in->model;
	struct rng *r = &e->rng;
	struct ifn_config *c = &m->cfg;
	static const __u32 caps[] = { 1, 2, 3, 5, 8, 20, 40, 512 };

	/*
	 * A state's own key for names (the program never sees a constant),
	 * drawn once per state: rules on names are keyed with it.
	 */
	if (!c->dns_key)
		c->dns_key = rng_next(r) | 1;
	if (rng_pct(r, 70)) {
		/*
		 * Long enough that an address outlives its answer only by
		 * use now and then: the decision cache refreshes a name's use
		 * every ~30 s (DESIGN), which the page does not time.
		 */
		static const __u64 ttls[] = { 3600, 7200, 604800 };

		c->dns_min_ttl_ns = ttls[rng_below(r, 3)] * NS_PER_S;
		c->scan_threshold = 1 + (__u32)rng_below(r, rng_pct(r, 30) ? 6 : 128);
		c->scan_window_ns = (1 + rng_below(r, 20)) * NS_PER_S;
		if (rng_pct(r, 30))
			c->flags &= ~IFN_CFG_F_AUTO_QUARANTINE;
		c->fingerprint_cap = caps[rng_below(r, sizeof(caps) / sizeof(caps[0]))];
		c->event_limit = rng_pct(r, 80) ? 1 + (__u32)rng_below(r, 10) :
						  (__u32)rng_below(r, 256);
		c->unknown_verdict = rng_pct(r, 30) ? IFN_VERDICT_PASS : IFN_VERDICT_DROP;
		c->default_mode = (__u8)rng_below(r, IFN_MODE_MAX);
		c->learn_ns = rng_pct(r, 50) ? 0 : pick_dur(r);
		if (rng_pct(r, 30))
			c->flags |= IFN_CFG_F_ANSWERS_DROP;
		else
			c->flags &= ~IFN_CFG_F_ANSWERS_DROP;
		c->answer_s = rng_pct(r, 50) ? IFN_ANSWER_S_DEFAULT : (__u8)(1 + rng_below(r, 40));
	}
	if (ifn_config_write(&e->in->m, c))
		die("cannot write the settings");
}

/* The gateway's own LAN prefixes (what attach records): for local-networks. */
static void random_lan_nets(struct episode *e)
{
	static const __u8 nets[][17] = {
		/* plen over the mapped space, then the address */
		{ 120, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 52, 94, 1, 0 },
		{ 112, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 8, 8, 0, 0 },
		{ 64, 0x26, 0x06, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		{ 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 52, 94, 2, 3 },
	};
	struct mdl *m = &e->in->model;
	unsigned int i;

	m->nlan = 0;
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct ifn_lan_key k = { .prefixlen = nets[i][0] };
		__u32 idx = 1;

		if (!rng_pct(&e->rng, 30))
			continue;
		memcpy(k.addr, nets[i] + 1, 16);
		if (bpf_map_update_elem(e->in->m.lan_nets, &k, &idx, BPF_ANY))
			die("cannot write ifn_lan_nets");
		memcpy(m->lan[m->nlan].addr, k.addr, 16);
		m->lan[m->nlan++].plen = (__u8)k.prefixlen;
	}
}

static void random_iface(struct episode *e)
{
	struct mdl *m = &e->in->model;
	struct rng *r = &e->rng;

	m->lo.present = rng_pct(r, 85);
	m->lo.default_mode = rng_pct(r, 55) ? IFN_MODE_LEARN :
			     rng_pct(r, 40) ? IFN_MODE_MONITOR :
					      (__u8)rng_below(r, IFN_MODE_MAX);
	m->lo.learn_ns = rng_pct(r, 40) ? 0 : pick_dur(r);
	set_iface(e->in);
}

/* A device the model knows, or NULL. */
static struct mdl_device *pick_device(struct episode *e)
{
	struct mdl *m = &e->in->model;
	unsigned int i, n = 0, want;

	for (i = 0; i < m->max_devices; i++)
		n += m->dev[i].used;
	if (!n)
		return NULL;
	want = (unsigned int)rng_below(&e->rng, n);
	for (i = 0; i < m->max_devices; i++)
		if (m->dev[i].used && !want--)
			return &m->dev[i];
	return NULL;
}

static void random_rule(struct episode *e, const __u8 mac[6], struct mdl_rule *mr, bool *l2)
{
	struct rng *r = &e->rng;
	struct gen_ctx *g = &e->g;
	static const __u8 protos[] = { 6, 17, 1, 58, 6, 17, 47, 2 };
	unsigned int kind = (unsigned int)rng_below(r, 100);

	memset(mr, 0, sizeof(*mr));
	memcpy(mr->mac, mac, 6);
	*l2 = false;
	if (kind < 6) {
		static const __u16 types[] = { 0x88cc, 0x88e1, 0x8899, 0x0842, 0x893a };

		*l2 = true;
		mr->port = types[rng_below(r, 5)];
		mr->plen = 0;
		return;
	}
	mr->proto = protos[rng_below(r, sizeof(protos))];
	mr->dir = rng_pct(r, 30) ? IFN_DIR_SERVER : IFN_DIR_CLIENT;
	mr->port = g->ports[rng_below(r, g->nports)];
	if (mr->proto == 1 || mr->proto == 58)
		mr->port = mr->proto == 1 ? 8 : 128;
	if (rng_pct(r, 60)) {
		mr->peer[10] = 0xff;
		mr->peer[11] = 0xff;
		memcpy(mr->peer + 12, g->peer4[rng_below(r, g->npeer4)], 4);
	} else {
		memcpy(mr->peer, g->peer6[rng_below(r, g->npeer6)], 16);
	}
	if (kind >= 47 && kind < 55 && mr->proto != 1 && mr->proto != 58) {
		/* A name rule: exact, or every name under a suffix. */
		static const char *const names[] = {
			"cdn.example.com",
			"api.example.com",
			"example.com",
			"vendor.net",
			"time.vendor.net",
			"mqtt_1.vendor.net",
			"com",
			"a3k7.iot.eu-west-1.amazonaws.com",
		};

		mr->is_name = true;
		mr->wild = rng_pct(r, 40);
		snprintf(mr->name, sizeof(mr->name), "%s", names[rng_below(r, 8)]);
		memset(mr->peer, 0, 16);
		mr->plen = 0;
		return;
	}
	if (kind < 47 && kind >= 40) {
		/* local-networks: one port or ICMP type, peer zero. */
		mr->lan = true;
		memset(mr->peer, 0, 16);
		mr->plen = 0;
	} else if (kind < 55) {
		mr->plen = 128;
	} else {
		static const __u8 v4p[] = { 0, 96, 104, 112, 120, 124, 128 };
		static const __u8 v6p[] = { 0, 16, 48, 64, 120, 128 };
		unsigned int bits, i;

		mr->any_port = kind >= 80;
		mr->plen = mr->peer[10] == 0xff ? v4p[rng_below(r, sizeof(v4p))] :
						  v6p[rng_below(r, sizeof(v6p))];
		if (mr->any_port && rng_pct(r, 30))
			mr->plen = 0;
		/* Port ranges: TCP, UDP (or SCTP), on a port-any entry. */
		if (mr->any_port && (mr->proto == 6 || mr->proto == 17) && rng_pct(r, 50)) {
			__u16 a = g->ports[rng_below(r, g->nports)], b;

			b = rng_pct(r, 50) ? (__u16)(a + rng_below(r, 2000)) :
					     (__u16)(1024 + rng_below(r, 64512));
			if (b < a) {
				__u16 t = a;

				a = b;
				b = t;
			}
			if (a == 0)
				a = 1;
			mr->port = a;
			mr->port_hi = b > a ? b : (__u16)(a + 1);
			if (mr->port_hi < mr->port) {
				mr->port = 65534;
				mr->port_hi = 65535;
			}
		}
		/* Host bits beyond the prefix are zero, as the CLI writes them. */
		for (i = 0; i < 16; i++) {
			bits = mr->plen > i * 8 ? mr->plen - i * 8 : 0;
			if (bits < 8)
				mr->peer[i] &= (__u8)(0xff00 >> bits);
		}
	}
}

static void to_agent_rule(const struct mdl_rule *mr, bool l2, __u64 now, struct ifn_rule *ar)
{
	memset(ar, 0, sizeof(*ar));
	memcpy(ar->mac, mr->mac, 6);
	ar->l2 = l2;
	ar->proto = mr->proto;
	ar->port = mr->port;
	ar->port_any = mr->any_port;
	ar->port_hi = mr->port_hi;
	ar->lan = mr->lan;
	ar->wild = mr->wild;
	if (mr->is_name) {
		ar->name = ifn_dns_name_intern(mr->name);
		if (!ar->name)
			die("out of memory");
		ar->plen = 0;
	}
	ar->dir = mr->dir;
	memcpy(ar->peer, mr->peer, 16);
	ar->plen = mr->plen;
	ar->origin = IFN_ORIGIN_MANUAL;
	ar->added_ns = now;
}

static void operator_action(struct episode *e)
{
	struct inst *in = e->in;
	struct mdl *m = &in->model;
	struct rng *r = &e->rng;
	struct mdl_device *md = pick_device(e);
	unsigned int what = (unsigned int)rng_below(r, 100);
	char a[40];

	stats.ops++;
	if (what >= 92) {
		random_settings(e);
		oplogf("settings: threshold %u window %llus flags %#x cap %u evlimit %u unknown %u "
		       "answer-memory %us dns-min-ttl %llus",
		       m->cfg.scan_threshold,
		       (unsigned long long)(m->cfg.scan_window_ns / NS_PER_S), m->cfg.flags,
		       m->cfg.fingerprint_cap, m->cfg.event_limit, m->cfg.unknown_verdict,
		       m->cfg.answer_s, (unsigned long long)(m->cfg.dns_min_ttl_ns / NS_PER_S));
		return;
	}
	if (what >= 88) {
		random_iface(e);
		oplogf("iface lo: present %d mode %s learn %llums", m->lo.present,
		       mdl_mode_name(m->lo.default_mode),
		       (unsigned long long)(m->lo.learn_ns / 1000000));
		return;
	}
	if (!md)
		return;
	fmt_mac(md->mac, a);
	if (what < 40) {
		__u8 mode = (__u8)rng_below(r, IFN_MODE_MAX);
		__u64 for_ns = rng_pct(r, 40) ? pick_dur(r) : 0;
		__u64 learn_ns = m->lo.present ? m->lo.learn_ns : m->cfg.learn_ns;
		struct ifn_device d;

		if (ifn_device_get(&in->m, md->mac, &d))
			die("device %s missing in the program", a);
		oplogf("op: %s %s --for %llums (program %s until %llu then %s; model %s until %llu "
		       "then %s)",
		       mdl_mode_name(mode), a, (unsigned long long)(for_ns / 1000000),
		       mdl_mode_name(d.mode), (unsigned long long)ifn_mw_until(d.mode_word),
		       mdl_mode_name(d.mode_after), mdl_mode_name(md->mode),
		       (unsigned long long)md->mode_until_ns, mdl_mode_name(md->mode_after));
		if (ifn_device_set_mode(&in->m, md->mac, mode, for_ns, learn_ns, e->now, NULL))
			die("cannot write device %s", a);
		mdl_op_mode(m, md->mac, mode, for_ns, e->now);
	} else if (what < 52) {
		static const __u64 rates[] = { 0, 1, 5, 20, 100, 1000 };
		__u64 pps = rates[rng_below(r, 6)],
		      bps = rng_pct(r, 50) ? 0 : 64 * rates[rng_below(r, 6)];
		__u64 bp = pps && rng_pct(r, 30) ? 1 + rng_below(r, pps) : 0;
		__u64 bb = bps && rng_pct(r, 30) ? 1 + rng_below(r, bps) : 0;
		struct ifn_device d;

		if (ifn_device_get(&in->m, md->mac, &d))
			die("device %s missing in the program", a);
		if (ifn_device_apply_rate(&d, pps, bps, bp, bb))
			die("rate refused");
		if (ifn_device_put(&in->m, md->mac, &d))
			die("cannot write device %s", a);
		mdl_op_rate(m, md->mac, pps, bps, bp, bb);
		oplogf("op: rate %s pps %llu bps %llu burst %llu/%llu", a, (unsigned long long)pps,
		       (unsigned long long)bps, (unsigned long long)bp, (unsigned long long)bb);
	} else if (what < 78) {
		struct mdl_rule mr;
		struct ifn_rule ar;
		bool l2;
		int err;

		random_rule(e, md->mac, &mr, &l2);
		to_agent_rule(&mr, l2, e->now, &ar);
		err = ifn_rule_install(&in->m, &ar);
		/* A full fingerprint table refuses a rule on both sides. */
		if ((err != 0) != (mdl_op_rule_add(m, &mr, l2) != 0) || (err && err != -E2BIG))
			die("installing a rule: program %s, model disagrees", strerror(-err));
		{
			char t[IFN_RULE_STRLEN];

			oplogf("op: allow %s %s", a, ifn_rule_format(&ar, t, sizeof(t)));
		}
	} else if (what < 84) {
		/* Remove one of the rules the model holds for the device. */
		unsigned int i;

		for (i = 0; i < m->nrules; i++) {
			struct mdl_rule *mr = &m->rules[i];
			struct ifn_rule ar;

			if (!mr->used || memcmp(mr->mac, md->mac, 6))
				continue;
			{
				struct mdl_rule copy = *mr;

				to_agent_rule(&copy, false, e->now, &ar);
				if (ifn_rule_remove(&in->m, &ar))
					die("cannot remove a rule");
				mdl_op_rule_del(m, &copy, false);
				oplogf("op: forget rule of %s", a);
			}
			break;
		}
	} else {
		int err = ifn_device_forget(&in->m, md->mac);

		if (err)
			die("cannot forget %s: %s", a, strerror(-err));
		oplogf("op: forget %s", a);
		mdl_op_forget(m, md->mac);
	}
}

static void advance(struct episode *e)
{
	struct rng *r = &e->rng;
	unsigned int x = (unsigned int)rng_below(r, 1000);

	if (x < 700)
		e->now += rng_below(r, 5000000);
	else if (x < 900)
		e->now += rng_below(r, NS_PER_S);
	else if (x < 975)
		e->now += rng_below(r, 30 * NS_PER_S);
	else {
		/* Land on a deadline exactly, or one nanosecond either side. */
		struct mdl_device *d = pick_device(e);
		__u64 at = 0;

		if (d && d->mode_until_ns)
			at = d->mode_until_ns;
		else if (d)
			at = d->scan_window_ns + e->in->model.cfg.scan_window_ns;
		if (at) {
			at += rng_below(r, 3);
			at = at ? at - 1 : at;
		}
		if (at > e->now)
			e->now = at;
		else
			e->now += 1;
	}
}

static const char *kind_name(enum gen_kind k)
{
	return k == GEN_CRAFTED ? "crafted" :
	       k == GEN_MUTATED ? "mutated" :
	       k == GEN_ANSWER	? "answer" :
				  "random";
}

/* Returns false on a mismatch. */
static bool step(struct episode *e, enum gen_kind kind)
{
	struct inst *in = e->in;
	__u8 f[GEN_MAX_FRAME + 256];
	struct mdl_result r;
	struct mdl_device *md;
	struct cmp c = { 0 };
	size_t len = gen_frame(&e->g, kind, f);
	__u8 mode_before = IFN_MODE_MAX;
	int xdp;

	if (len > GEN_MAX_FRAME)
		len = GEN_MAX_FRAME;
	if (len < 14) {
		/* What the bytes would have been: the generator's own. */
		stats.short_frames++;
		len = 14;
	}
	if (len >= 12) {
		md = mdl_device(&in->model, f + 6);
		if (md)
			mode_before = md->mode;
	}
	/* The state before the frame, for the report. */
	{
		struct ifn_device pb;
		const struct mdl_device *mb = mdl_device(&in->model, f + 6);

		snprintf(e->before, sizeof(e->before), "program %s, model %s",
			 prog_device(in, f + 6, &pb) ? "" : "none", mb ? "" : "none");
		if (mb && prog_device(in, f + 6, &pb))
			snprintf(
				e->before, sizeof(e->before),
				"program %s until %llu then %s scan %u window %llu; model %s until "
				"%llu then %s scan %u window %llu",
				mdl_mode_name(pb.mode),
				(unsigned long long)ifn_mw_until(pb.mode_word),
				mdl_mode_name(pb.mode_after), pb.scan_count,
				(unsigned long long)pb.scan_window_ns, mdl_mode_name(mb->mode),
				(unsigned long long)mb->mode_until_ns,
				mdl_mode_name(mb->mode_after), mb->scan_count,
				(unsigned long long)mb->scan_window_ns);
	}
	*in->now = e->now;
	xdp = run_frame(in, f, len);
	in->have_rec = len >= 12 && prog_device(in, f + 6, &in->rec);
	mdl_step(&in->model, f, len, e->now, oracle, in, &r);

	stats.frames++;
	stats.by_kind[kind]++;
	stats.by_mode[mode_before]++;
	stats.by_verdict[r.verdict]++;
	stats.by_reason[r.reason]++;
	stats.events += in->nev;
	{
		unsigned int k;

		for (k = 0; k < in->nev; k++)
			if (in->ev[k].type < IFN_EV_MAX)
				stats.by_event[in->ev[k].type]++;
	}
	if (getenv("DIFF_TRACE")) {
		char h[2 * 200 + 1];

		hex(h, f, len < 200 ? len : 200);
		fprintf(stderr, "t=%llu xdp: %s -> %s/%s %s\n", (unsigned long long)e->now, h,
			r.xdp == XDP_DROP ? "drop" : "pass", mdl_reason_name(r.reason),
			r.why ? r.why : "");
	}
	if (verbose) {
		char a[40] = "-";

		if (len >= 12)
			fmt_mac(f + 6, a);
		logf_("frame %u %s %zuB from %s: model %s/%s, program %s", e->frame_no,
		      kind_name(kind), len, a, r.xdp == XDP_DROP ? "drop" : "pass",
		      mdl_reason_name(r.reason), xdp == XDP_DROP ? "drop" : "pass");
	} else {
		logf_("frame %u %s %zuB", e->frame_no, kind_name(kind), len);
	}

	CMP_U(&c, "XDP action", xdp, r.xdp);
	if (r.oracle_error[0])
		cmp_fail(&c, "scan sketch: %s", r.oracle_error);
	cmp_events(&c, in, &r, e->now);
	if (len >= 12) {
		md = mdl_device(&in->model, f + 6);
		if (!!md != in->have_rec)
			cmp_fail(&c, "device record exists: program %d, model %d", in->have_rec,
				 !!md);
		else if (md)
			cmp_device(&c, in, md, &in->rec, "device");
	}
	if (r.learned) {
		struct ifn_flow_val v;

		if (bpf_map_lookup_elem(in->m.flows, &r.learned_key, &v)) {
			char h[64];

			hex(h, (const __u8 *)&r.learned_key, sizeof(r.learned_key));
			cmp_fail(&c, "learned flow %s missing in the program's fingerprint", h);
		}
	}
	cmp_global(&c, in);
	if (c.bad) {
		report(e, &c, f, len, kind_name(kind), &r, xdp);
		return false;
	}
	return true;
}

static long map_count(int fd, __u32 ksz, __u32 vsz)
{
	long n = ifn_map_entries(fd, ksz, vsz);

	if (n < 0)
		die("cannot count a map's entries: %s", strerror((int)-n));
	return n;
}

/* What an answer recorded, and the egress program's counters. */
static void cmp_dns(struct cmp *c, struct inst *in, const struct mdl_eresult *r)
{
	const struct ifn_dns_stats *m = &in->model.dst;
	struct ifn_dns_stats p;
	unsigned int i, j;
	char name[64];

	if (ifn_dns_stats_read(&in->m, &p))
		die("cannot read the egress counters");
	CMP_U(c, "dns answers", p.answers, m->answers);
	CMP_U(c, "dns used", p.used, m->used);
	CMP_U(c, "dns records", p.records, m->records);
	CMP_U(c, "dns spoofed", p.spoofed, m->spoofed);
	CMP_U(c, "dns no_device", p.no_device, m->no_device);
	CMP_U(c, "dns too_big", p.too_big, m->too_big);
	CMP_U(c, "dns tcp_partial", p.tcp_partial, m->tcp_partial);
	CMP_U(c, "dns ignored", p.ignored, m->ignored);
	CMP_U(c, "dns names_displaced", p.names_displaced, m->names_displaced);
	CMP_U(c, "dns records_dropped", p.records_dropped, m->records_dropped);
	CMP_U(c, "dns write_failed", p.write_failed, m->write_failed);
	CMP_U(c, "dns too_many", p.too_many, m->too_many);
	for (i = 0; i < IFN_DNS_BAD_MAX; i++) {
		snprintf(name, sizeof(name), "dns malformed[%u]", i);
		CMP_U(c, name, p.malformed[i], m->malformed[i]);
	}
	for (i = 0; i < r->ndns; i++) {
		const struct ifn_dns_val *mv = htab_get(&in->model.dns, &r->dns_keys[i]);
		struct ifn_dns_val pv;

		if (bpf_map_lookup_elem(in->m.dns, &r->dns_keys[i], &pv)) {
			cmp_fail(c, "an address the answer gave is not in the program's ifn_dns");
			continue;
		}
		for (j = 0; mv && j < IFN_DNS_NAMES_PER_ADDR; j++) {
			snprintf(name, sizeof(name), "ifn_dns name[%u]", j);
			CMP_U(c, name, pv.name[j], mv->name[j]);
			snprintf(name, sizeof(name), "ifn_dns expires_ns[%u]", j);
			CMP_U(c, name, pv.expires_ns[j], mv->expires_ns[j]);
		}
	}
}

/* A frame to a device through the egress program and the model. */
static bool estep(struct episode *e)
{
	struct inst *in = e->in;
	__u8 f[GEN_MAX_FRAME + 4096];
	struct mdl_eresult r;
	struct mdl_result mr;
	struct cmp c = { 0 };
	__u32 ingress = 0;
	bool dns = rng_pct(&e->rng, 40);
	size_t len = dns ? gen_dns(&e->g, f, &ingress) : gen_inbound(&e->g, f, &ingress);
	struct mdl_device *md;
	struct ifn_device pd;
	bool same, refused;

	if (len < 14)
		len = 14;
	*in->now = e->now;
	same = run_egress(in, f, len, ingress, &refused);
	if (refused) {
		stats.egress_refused++;
		return true;
	}
	mdl_egress(&in->model, f, len, e->now, ingress, probe_oracle, in, &r);
	stats.egress_frames++;
	stats.notes += r.noted;
	logf_("frame %u egress %zuB in on %u: model %s%s", e->frame_no, len, ingress,
	      r.noted ? "noted" : "-", r.probe ? " probe" : "");
	if (getenv("DIFF_TRACE")) {
		char h[2 * 200 + 1];

		hex(h, f, len < 200 ? len : 200);
		fprintf(stderr, "t=%llu egress in %u: %s (%s%s)\n", (unsigned long long)e->now,
			ingress, h, r.noted ? "noted" : "-", r.probe ? " probe" : "");
	}
	if (!same)
		cmp_fail(&c, "the egress program dropped or changed the frame");
	if (r.oracle_error[0])
		cmp_fail(&c, "probe sketch: %s", r.oracle_error);
	memset(&mr, 0, sizeof(mr));
	mr.nev = r.nev;
	memcpy(mr.ev, r.ev, sizeof(r.ev));
	cmp_events(&c, in, &mr, e->now);
	{
		unsigned int k;

		for (k = 0; k < in->nev; k++)
			if (in->ev[k].type < IFN_EV_MAX)
				stats.by_event[in->ev[k].type]++;
	}
	cmp_dns(&c, in, &r);
	if (r.noted) {
		struct ifn_in_val v;

		if (bpf_map_lookup_elem(in->m.inbound, &r.note, &v))
			cmp_fail(&c, "inbound note missing in the program's ifn_inbound");
		else {
			const struct ifn_in_val *mv = htab_get(&in->model.inbound, &r.note);

			CMP_U(&c, "note seen_ns", v.seen_ns, e->now);
			CMP_U(&c, "note syn", v.syn, mv ? mv->syn : 255);
		}
	}
	/* Counting the LRU map costs a walk of it: every 8th frame (all at the end). */
	if (!(stats.egress_frames & 7))
		CMP_U(&c, "inbound notes",
		      map_count(in->m.inbound, sizeof(struct ifn_in_key),
				sizeof(struct ifn_in_val)),
		      htab_count(&in->model.inbound));
	md = mdl_device(&in->model, f);
	if (md) {
		if (!prog_device(in, f, &pd))
			cmp_fail(&c, "the destination device is missing in the program");
		else
			cmp_device(&c, in, md, &pd, "destination device");
	}
	cmp_global(&c, in);
	if (c.bad) {
		mr.xdp = XDP_PASS;
		report(e, &c, f, len, "egress", &mr, XDP_PASS);
		return false;
	}
	return true;
}

static bool episode(struct inst *in, __u64 seed, __u64 index, __u64 *budget,
		    const struct captures *caps)
{
	struct episode e = { .in = in, .seed = seed, .index = index };
	unsigned int nframes, i, ndev;
	struct cmp c = { 0 };

	memset(logbuf, 0, sizeof(logbuf));
	memset(oplog, 0, sizeof(oplog));
	rng_seed(&e.rng, seed * 1000003ULL + index);
	inst_reset(in);
	random_settings(&e);
	random_iface(&e);
	random_lan_nets(&e);
	ndev = 1 + (unsigned int)rng_below(&e.rng, rng_pct(&e.rng, 80) ? 8 : GEN_MAX_DEVS);
	gen_episode(&e.g, &e.rng, caps, ndev);
	e.now = 1000 * NS_PER_S + rng_below(&e.rng, 1000 * NS_PER_S);
	nframes = 200 + (unsigned int)rng_below(&e.rng, 2800);
	if (nframes > *budget)
		nframes = (unsigned int)*budget;
	stats.episodes++;
	for (i = 0; i < nframes; i++) {
		unsigned int x = (unsigned int)rng_below(&e.rng, 100);
		enum gen_kind kind = x < 40 ? GEN_CRAFTED :
				     x < 68 ? GEN_MUTATED :
				     x < 80 ? GEN_RANDOM :
				     x < 90 ? GEN_ANSWER :
					      GEN_KINDS;
		bool ok;

		e.frame_no = i;
		if (rng_pct(&e.rng, 2))
			operator_action(&e);
		advance(&e);
		/* A tenth of the frames go to devices, through the egress program. */
		ok = kind == GEN_KINDS ? estep(&e) : step(&e, kind);
		if (!ok) {
			*budget -= i + 1;
			return false;
		}
	}
	*budget -= nframes;
	stats.new_devices += in->model.g.new_devices;
	stats.table_full += in->model.g.table_full;
	stats.flows_full += in->model.g.flows_full;
	stats.events_lost += in->model.g.events_lost;
	{
		const struct ifn_dns_stats *ds = &in->model.dst;

		in->dns_answers += ds->answers;
		in->dns_used += ds->used;
		in->dns_spoofed += ds->spoofed;
		for (i = 0; i < IFN_DNS_BAD_MAX; i++)
			in->dns_bad += ds->malformed[i];
	}
	cmp_tables(&c, in);
	if (c.bad) {
		e.frame_no = nframes;
		report(&e, &c, NULL, 0, "end of episode", NULL, 0);
		return false;
	}
	return true;
}

/*
 * Probe: run hex frames (one argument each, "+Nms" advances the clock,
 * "mode=NAME" sets the device of the next frame) on a fresh state and print
 * what program and model did with each. For narrowing a mismatch down to a
 * minimal frame.
 */
static int unhex(const char *s, __u8 *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		static const char digits[] = "0123456789abcdef";
		const char *hi = strchr(digits, s[0] | 0x20), *lo = strchr(digits, s[1] | 0x20);

		if (!hi || !lo)
			return -1;
		out[n++] = (__u8)((hi - digits) << 4 | (lo - digits));
		s += 2;
	}
	return (int)n;
}

static int probe(struct inst *in, int argc, char **argv, __u8 default_mode)
{
	struct episode e = { .in = in };
	int i, bad = 0;

	inst_reset(in);
	in->model.lo.default_mode = default_mode;
	set_iface(in);
	e.now = 1000 * NS_PER_S;
	for (i = 0; i < argc; i++) {
		__u8 f[GEN_MAX_FRAME];
		struct mdl_result r;
		struct cmp c = { 0 };
		unsigned int k;
		int len, xdp;

		if (argv[i][0] == '+') {
			e.now += strtoull(argv[i] + 1, NULL, 0) * 1000000ULL;
			continue;
		}
		if (!strncmp(argv[i], "cap=", 4) || !strncmp(argv[i], "thr=", 4) ||
		    !strncmp(argv[i], "evl=", 4) || !strncmp(argv[i], "win=", 4)) {
			struct ifn_config *cf = &in->model.cfg;
			__u64 v = strtoull(argv[i] + 4, NULL, 0);

			if (argv[i][0] == 'c')
				cf->fingerprint_cap = (__u32)v;
			else if (argv[i][0] == 't')
				cf->scan_threshold = (__u32)v;
			else if (argv[i][0] == 'e')
				cf->event_limit = (__u32)v;
			else
				cf->scan_window_ns = v * NS_PER_S;
			if (ifn_config_write(&in->m, cf))
				die("cannot write the settings");
			continue;
		}
		if (!strncmp(argv[i], "allow=", 6)) {
			/* A rule for the device of the last frame (02:00:00:00:00:01 before). */
			static const __u8 dflt[6] = { 2, 0, 0, 0, 0, 1 };
			struct ifn_rule ar;
			struct mdl_rule mr = { 0 };
			char err[160];

			if (ifn_rule_parse(argv[i] + 6, &ar, err, sizeof(err)))
				die("bad rule: %s", err);
			memcpy(ar.mac, dflt, 6);
			ar.added_ns = e.now;
			if (ifn_rule_install(&in->m, &ar))
				die("cannot install the rule (is the device known?)");
			memcpy(mr.mac, ar.mac, 6);
			mr.any_port = ar.port_any;
			mr.port_hi = ar.port_hi;
			mr.lan = ar.lan;
			mr.dir = ar.dir;
			mr.proto = ar.proto;
			mr.port = ar.port;
			memcpy(mr.peer, ar.peer, 16);
			mr.plen = ar.plen;
			mdl_op_rule_add(&in->model, &mr, ar.l2);
			continue;
		}
		if (!strncmp(argv[i], "mode=", 5)) {
			unsigned int mode;

			for (mode = 0; mode < IFN_MODE_MAX; mode++)
				if (!strcmp(argv[i] + 5, mdl_mode_name(mode)))
					break;
			in->model.lo.default_mode = (__u8)mode;
			set_iface(in);
			continue;
		}
		len = unhex(argv[i], f, sizeof(f));
		if (len < 14)
			die("bad frame '%s'", argv[i]);
		*in->now = e.now;
		xdp = run_frame(in, f, (size_t)len);
		in->have_rec = prog_device(in, f + 6, &in->rec);
		mdl_step(&in->model, f, (size_t)len, e.now, oracle, in, &r);
		printf("frame %d: program %s, model %s (%s)\n", i,
		       xdp == XDP_DROP ? "XDP_DROP" : "XDP_PASS",
		       r.xdp == XDP_DROP ? "XDP_DROP" : "XDP_PASS", mdl_reason_name(r.reason));
		for (k = 0; k < in->nev; k++) {
			char h[64];

			hex(h, (const __u8 *)&in->ev[k].flow, sizeof(in->ev[k].flow));
			printf("  program event %s value %u mode %u flow %s\n",
			       mdl_event_name(in->ev[k].type), in->ev[k].value, in->ev[k].mode, h);
		}
		CMP_U(&c, "XDP action", xdp, r.xdp);
		cmp_events(&c, in, &r, e.now);
		if (mdl_device(&in->model, f + 6) && in->have_rec)
			cmp_device(&c, in, mdl_device(&in->model, f + 6), &in->rec, "device");
		cmp_global(&c, in);
		if (c.bad) {
			bad++;
			printf("%s", c.what);
		}
	}
	{
		struct ifn_flow_key fk, fnk;
		void *prev = NULL;

		while (!bpf_map_get_next_key(in->m.flows, prev, &fnk)) {
			char h[64];

			fk = fnk;
			prev = &fk;
			hex(h, (const __u8 *)&fk, sizeof(fk));
			printf("program flow %s%s\n", h,
			       htab_get(&in->model.flows, &fk) ? "" : " (not in the model)");
		}
	}
	{
		struct ifn_ip_key ik, ink;
		struct ifn_ip_owner o;
		void *prev = NULL;
		char h[40], a[40];

		while (!bpf_map_get_next_key(in->m.ip_owners, prev, &ink)) {
			ik = ink;
			prev = &ik;
			if (bpf_map_lookup_elem(in->m.ip_owners, &ik, &o))
				continue;
			hex(h, ik.addr, 16);
			printf("program address %s owned by %s%s\n", h, fmt_mac(o.mac, a),
			       htab_get(&in->model.owners, ik.addr) ? "" : " (not in the model)");
		}
	}
	return bad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: diff_driver [--frames N] [--seed S] [--episode E] [--pcaps DIR] "
			"[-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "frames", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "episode", required_argument, NULL, 'e' },
		{ "pcaps", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "probe", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	__u64 frames = 100000, seed = (__u64)time(NULL), only = ~0ULL, budget, ep;
	const char *pcaps = getenv("IFN_PCAPS") ? getenv("IFN_PCAPS") : "tests/captures";
	struct captures caps;
	struct inst inst[2];
	struct timespec t0, t1;
	cpu_set_t set;
	unsigned int i;
	double secs;
	int opt, probe_mode = -1;

	while ((opt = getopt_long(argc, argv, "n:s:e:p:v", lo, NULL)) != -1) {
		switch (opt) {
		case 'n':
			frames = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'e':
			only = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			pcaps = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'P':
			probe_mode = (int)strtol(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	/*
	 * Per-CPU state (the TABLE_FULL clock) must be one CPU's: run on one.
	 */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU 0: %s", strerror(errno));
	ifn_libbpf_logging(false);
	if (probe_mode >= 0) {
		int rc;

		inst_load(&inst[0], "probe", 64, 8192);
		rc = probe(&inst[0], argc - optind, argv + optind, (__u8)probe_mode);
		inst_unload(&inst[0]);
		return rc;
	}
	if (captures_load(&caps, pcaps))
		die("cannot read the captures in %s (set IFN_PCAPS)", pcaps);

	/* A roomy instance, and a cramped one where tables fill up. */
	inst_load(&inst[0], "roomy", 64, 8192);
	inst_load(&inst[1], "cramped", 6, 48);

	printf("differential run: seed %llu, %llu frames, %zu captured frames from %zu files\n",
	       (unsigned long long)seed, (unsigned long long)frames, caps.n, caps.files);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	budget = frames;
	if (only != ~0ULL) {
		episode(&inst[only % 4 == 3], seed, only, &budget, &caps);
	} else {
		for (ep = 0; budget; ep++)
			episode(&inst[ep % 4 == 3], seed, ep, &budget, &caps);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("frames: %llu (crafted %llu, mutated %llu, random %llu; %llu cut below 14 B were padded to 14) "
	       "in %llu episodes, %.1f s, %.0f frames/s\n",
	       (unsigned long long)stats.frames, (unsigned long long)stats.by_kind[GEN_CRAFTED],
	       (unsigned long long)stats.by_kind[GEN_MUTATED],
	       (unsigned long long)stats.by_kind[GEN_RANDOM],
	       (unsigned long long)stats.short_frames, (unsigned long long)stats.episodes, secs,
	       secs > 0 ? (double)stats.frames / secs : 0.0);
	printf("device mode at the frame: learn %llu, monitor %llu, enforce %llu, quarantine %llu, "
	       "trust %llu, new %llu\n",
	       (unsigned long long)stats.by_mode[0], (unsigned long long)stats.by_mode[1],
	       (unsigned long long)stats.by_mode[2], (unsigned long long)stats.by_mode[3],
	       (unsigned long long)stats.by_mode[4], (unsigned long long)stats.by_mode[5]);
	printf("verdicts: pass %llu, drop %llu, alert %llu; events %llu; operator actions %llu\n",
	       (unsigned long long)stats.by_verdict[0], (unsigned long long)stats.by_verdict[1],
	       (unsigned long long)stats.by_verdict[2], (unsigned long long)stats.events,
	       (unsigned long long)stats.ops);
	printf("events:");
	for (i = 0; i < IFN_EV_MAX; i++)
		if (stats.by_event[i])
			printf(" %s %llu", mdl_event_name(i),
			       (unsigned long long)stats.by_event[i]);
	printf("; not sent (limited) %llu\n", (unsigned long long)stats.events_lost);
	printf("egress: %llu frames to devices (%llu refused by the kernel's test run), %llu "
	       "notes written\n",
	       (unsigned long long)stats.egress_frames, (unsigned long long)stats.egress_refused,
	       (unsigned long long)stats.notes);
	for (i = 0; i < 2; i++)
		printf("names (%s): %llu DNS answers read, %llu recorded, %llu malformed answers "
		       "refused, %llu spoofed; %llu frames passed by a name, %llu named flows learned\n",
		       inst[i].name, (unsigned long long)inst[i].dns_answers,
		       (unsigned long long)inst[i].dns_used, (unsigned long long)inst[i].dns_bad,
		       (unsigned long long)inst[i].dns_spoofed,
		       (unsigned long long)inst[i].model.name_passes,
		       (unsigned long long)inst[i].model.names_learned);
	for (i = 0; i < 2; i++)
		printf("probe sketches (%s): %llu new items, %llu counted no bit (%.1f expected)\n",
		       inst[i].name, (unsigned long long)inst[i].model.probe_new,
		       (unsigned long long)inst[i].model.probe_collisions,
		       inst[i].model.probe_collisions_expected);
	printf("new devices %llu, device table full %llu, fingerprint table full %llu\n",
	       (unsigned long long)stats.new_devices, (unsigned long long)stats.table_full,
	       (unsigned long long)stats.flows_full);
	printf("reasons:");
	for (i = 1; i < IFN_REASON_MAX; i++)
		if (stats.by_reason[i])
			printf(" %s %llu", mdl_reason_name(i),
			       (unsigned long long)stats.by_reason[i]);
	printf("\n");
	for (i = 0; i < 2; i++)
		printf("scan sketch (%s): %llu new violating flows, %llu counted no bit "
		       "(collisions; %.1f expected)\n",
		       inst[i].name, (unsigned long long)inst[i].model.scan_new_flows,
		       (unsigned long long)inst[i].model.scan_collisions,
		       inst[i].model.scan_collisions_expected);
	for (i = 0; i < 2; i++) {
		/* Far more collisions than chance means a broken sketch. */
		double exp = inst[i].model.scan_collisions_expected;

		if ((double)inst[i].model.scan_collisions > 3 * exp + 10) {
			printf("MISMATCH: scan sketch of %s collides far more than a 512-bit sketch "
			       "should\n",
			       inst[i].name);
			stats.mismatches++;
		}
	}
	if (stats.mismatches) {
		printf("mismatches: %u\n", stats.mismatches);
		for (i = 0; i < stats.nkinds; i++)
			printf("  %5u  %s (first in episode %llu)\n", stats.kind_count[i],
			       stats.kinds[i], (unsigned long long)stats.kind_episode[i]);
		printf("differential run FAILED\n");
	} else {
		printf("differential run passed: no mismatch\n");
	}
	inst_unload(&inst[0]);
	inst_unload(&inst[1]);
	captures_free(&caps);
	return stats.mismatches ? 1 : 0;
}
