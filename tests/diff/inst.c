// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * inst.c - the program side of the differential run (see inst.h): load an
 * instance, run a frame through XDP or egress, read back its state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "devices.h"

#include "gen.h"
#include "inst.h"

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "diff: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

const char *fmt_mac(const __u8 *m, char *b)
{
	sprintf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return b;
}

void hex(char *out, const __u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

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

void inst_load(struct inst *in, const char *name, __u32 max_devices, __u32 max_flows)
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

void inst_unload(struct inst *in)
{
	ring_buffer__free(in->rb);
	ifn_unload(in->skel);
	mdl_free(&in->model);
	free(in->percpu);
}

/* Empty maps, as a fresh state: every slot free, default settings. */
void inst_reset(struct inst *in)
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

void set_iface(struct inst *in)
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
int run_frame(struct inst *in, const __u8 *f, size_t len)
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
bool run_egress(struct inst *in, const __u8 *f, size_t len, __u32 ingress, bool *refused)
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

bool probe_oracle(void *ctx, const struct ifn_probe_key *k, __u32 *ports, __u32 *devices)
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

bool prog_device(struct inst *in, const __u8 mac[6], struct ifn_device *d)
{
	return !ifn_device_get(&in->m, mac, d);
}

bool oracle(void *ctx, const __u8 mac[6], __u32 *count)
{
	struct inst *in = ctx;

	(void)mac;
	if (!in->have_rec)
		return false;
	*count = in->rec.scan_count;
	return true;
}

void prog_dev_stats(struct inst *in, __u32 slot, struct ifn_dev_stats *s)
{
	if (ifn_device_stats(&in->m, slot, s))
		die("cannot read the counters of slot %u", slot);
}

void prog_global(struct inst *in, struct ifn_global_stats *g)
{
	if (ifn_global_stats_read(&in->m, g))
		die("cannot read the global counters");
}

long map_count(int fd, __u32 ksz, __u32 vsz)
{
	long n = ifn_map_entries(fd, ksz, vsz);

	if (n < 0)
		die("cannot count a map's entries: %s", strerror((int)-n));
	return n;
}
