// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * replay_read.c - captures into memory for `iotfence replay`, merged in time
 * order. Everything is read before the first frame runs, so that the time
 * replay reports is the program's and not the disk's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "errors.h"
#include "file.h"
#include "grow.h"
#include "replay_pcapng.h"
#include "replay_read.h"

#define NSEC_PER_SEC 1000000000ULL

/* The format by magic number, as libpcap decides it (not by the name). */
static const char *capture_format(FILE *f)
{
	static const __u32 pcap_magics[] = { 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1 };
	unsigned char b[4];
	__u32 m;
	size_t i;

	if (fread(b, 1, 4, f) != 4)
		return NULL;
	rewind(f);
	m = (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
	if (m == 0x0a0d0d0a)
		return "pcapng";
	for (i = 0; i < sizeof(pcap_magics) / sizeof(pcap_magics[0]); i++)
		if (m == pcap_magics[i])
			return "pcap";
	return NULL;
}

struct reader {
	struct rp_input *in;
	struct rp_capture *c;
	__u32 idx, max_linear;
};

/* One frame of @r's capture into the arena; -ENOMEM when it does not fit. */
static int add_frame(struct reader *r, __u64 ts, __u32 caplen, __u32 len, const __u8 *data)
{
	struct rp_input *in = r->in;
	struct rp_capture *c = r->c;
	struct rp_frame *f;

	if (ifn_grow((void **)&in->frames, &in->frames_cap, in->nframes + 1, sizeof(*f), 4096) ||
	    ifn_grow((void **)&in->arena, &in->arena_cap, in->arena_len + caplen, 1, 1 << 20)) {
		ifn_err("replay: %s: out of memory after %llu frames", c->path,
			(unsigned long long)c->frames);
		return -ENOMEM;
	}
	f = &in->frames[in->nframes++];
	memset(f, 0, sizeof(*f));
	f->ts = ts;
	f->off = in->arena_len;
	f->caplen = caplen;
	f->len = len;
	f->file = r->idx;
	f->phase = c->phase;
	f->dev = RP_NODEV;
	f->to = RP_NODEV;
	/*
	 * More bytes captured than were on the wire: the record contradicts
	 * itself, and neither length can be trusted to be the frame's.
	 */
	if (caplen > len) {
		f->flags |= RP_F_BADLEN;
		c->bad_length++;
	} else if (caplen < len) {
		f->flags |= RP_F_CUT;
		c->cut++;
	}
	if (len > r->max_linear && !(f->flags & RP_F_BADLEN)) {
		f->flags |= RP_F_OVERSIZED;
		c->oversized++;
	}
	/*
	 * No NIC hands XDP a frame without a whole Ethernet header,
	 * and BPF_PROG_TEST_RUN refuses one: such a record is damage.
	 */
	if (len < 14 && !(f->flags & RP_F_BADLEN)) {
		f->flags |= RP_F_RUNT;
		c->runt++;
	}
	memcpy(in->arena + in->arena_len, data, caplen);
	in->arena_len += caplen;
	if (!c->frames || ts < c->first_ts)
		c->first_ts = ts;
	if (ts > c->last_ts)
		c->last_ts = ts;
	c->frames++;
	c->bytes += len;
	return 0;
}

/*
 * pcapng stores LINKTYPE_* values, which libpcap's names take as DLT_*: the
 * two differ below 104 only for these (the rest have no name here).
 */
static int linktype_to_dlt(int lt)
{
	switch (lt) {
	case 100:
		return DLT_ATM_RFC1483;
	case 101:
		return DLT_RAW;
	default:
		return lt;
	}
}

static void set_linktype(struct rp_capture *c, int dlt)
{
	const char *name = pcap_datalink_val_to_name(dlt);

	c->linktype = dlt;
	if (name)
		snprintf(c->linktype_name, sizeof(c->linktype_name), "%s", name);
	else
		snprintf(c->linktype_name, sizeof(c->linktype_name), "LINKTYPE_%d", dlt);
}

/* "link type RAW (Raw IP) is not Ethernet" into c->error. */
static void not_ethernet(struct rp_capture *c, int dlt)
{
	const char *desc = pcap_datalink_val_to_description(dlt);
	const char *name = pcap_datalink_val_to_name(dlt);
	char num[24];

	snprintf(num, sizeof(num), "LINKTYPE_%d", dlt);
	snprintf(c->error, sizeof(c->error), "link type %s (%s) is not Ethernet", name ? name : num,
		 desc ? desc : "unknown");
}

static int on_ng_frame(void *ctx, const struct rp_ng_frame *fr)
{
	struct reader *r = ctx;

	/* pcapng link types are LINKTYPE_*: Ethernet is 1, as DLT_EN10MB. */
	if (fr->linktype != DLT_EN10MB) {
		if (!r->c->not_ethernet++)
			r->c->other_linktype = linktype_to_dlt((int)fr->linktype);
		return 0;
	}
	return add_frame(r, fr->ts, fr->caplen, fr->len, fr->data);
}

/*
 * pcapng by our own reader: libpcap's stops at the first interface whose
 * link type differs from the first one's, losing every frame after it.
 * Frames of interfaces that are not Ethernet are skipped and counted.
 */
static int read_pcapng(struct reader *r, FILE *cf)
{
	struct rp_capture *c = r->c;
	int rc;

	set_linktype(c, DLT_EN10MB);
	rc = rp_pcapng_read(cf, on_ng_frame, r, c->error, sizeof(c->error), &c->stop_offset);
	fclose(cf);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		c->status = RP_CAP_TRUNCATED;
		if (!c->frames && !c->not_ethernet && c->stop_offset <= 0)
			ifn_warn("replay: %s: unreadable from the start (%s): no frames", c->path,
				 c->error);
		else
			ifn_warn("replay: %s: stops at frame %llu (byte %ld): %s; the %llu frames "
				 "before are replayed",
				 c->path, (unsigned long long)c->frames + 1, c->stop_offset,
				 c->error, (unsigned long long)c->frames);
		return 0;
	}
	if (c->not_ethernet && !c->frames) {
		/* Skipped whole, as a pcap file of that link type: no frame counts. */
		c->not_ethernet = 0;
		set_linktype(c, c->other_linktype);
		not_ethernet(c, c->other_linktype);
		c->status = RP_CAP_SKIPPED;
		ifn_warn("replay: %s: %s: skipped (iotfence sees Ethernet frames)", c->path,
			 c->error);
	} else if (c->not_ethernet) {
		char why[256];

		not_ethernet(c, c->other_linktype);
		snprintf(why, sizeof(why), "%s", c->error);
		c->error[0] = '\0';
		ifn_warn("replay: %s: %llu frames skipped: their interface's %s; the %llu "
			 "Ethernet frames are replayed",
			 c->path, (unsigned long long)c->not_ethernet, why,
			 (unsigned long long)c->frames);
	}
	return 0;
}

static int read_one(struct rp_input *in, struct rp_capture *c, __u32 idx, __u32 max_linear)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "", why[160];
	struct reader r = { .in = in, .c = c, .idx = idx, .max_linear = max_linear };
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat st = {};
	int err, rc, fd;
	pcap_t *p;
	FILE *cf;

	/* Opened once, never blocking: a FIFO or a directory is refused here. */
	fd = ifn_file_open(c->path, &st, why, sizeof(why));
	if (fd < 0) {
		ifn_err("replay: %s: %s", c->path, why);
		return fd;
	}
	cf = fdopen(fd, "rb");
	if (!cf) {
		err = -errno;
		close(fd);
		ifn_err("replay: %s: %s", c->path, strerror(-err));
		return err;
	}
	c->format = capture_format(cf);
	if (!c->format) {
		fclose(cf);
		ifn_err("replay: %s: not a pcap or pcapng capture", c->path);
		return -EINVAL;
	}
	if (!strcmp(c->format, "pcapng"))
		return read_pcapng(&r, cf);
	/* pcap_close() closes @cf; a failed open leaves it to us. */
	p = pcap_fopen_offline_with_tstamp_precision(cf, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p)
		fclose(cf);
	if (!p) {
		/* A header cut short is a capture with no frames, not a crash. */
		c->status = RP_CAP_TRUNCATED;
		c->stop_offset = 0;
		snprintf(c->error, sizeof(c->error), "%s", errbuf);
		ifn_warn("replay: %s: unreadable from the start (%s): no frames", c->path, errbuf);
		return 0;
	}
	set_linktype(c, pcap_datalink(p));
	if (c->linktype != DLT_EN10MB) {
		not_ethernet(c, c->linktype);
		c->status = RP_CAP_SKIPPED;
		ifn_warn("replay: %s: %s: skipped (iotfence sees Ethernet frames)", c->path,
			 c->error);
		pcap_close(p);
		return 0;
	}

	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		/*
		 * A pcap record's seconds are an unsigned 32-bit field that
		 * libpcap hands over as a signed one: from 2038 on (2^31) it is
		 * negative, and would be read as the year 2548.
		 */
		__u64 sec = (__u32)h->ts.tv_sec;

		err = add_frame(&r, sec * NSEC_PER_SEC + (__u64)h->ts.tv_usec, h->caplen, h->len,
				data);
		if (err) {
			pcap_close(p);
			return err;
		}
	}
	if (rc == PCAP_ERROR) {
		FILE *fp = pcap_file(p);

		c->status = RP_CAP_TRUNCATED;
		c->stop_offset = fp ? ftell(fp) : -1;
		snprintf(c->error, sizeof(c->error), "%s", pcap_geterr(p));
		ifn_warn("replay: %s: stops at frame %llu (byte %ld): %s; the %llu frames before "
			 "are replayed",
			 c->path, (unsigned long long)c->frames + 1, c->stop_offset, c->error,
			 (unsigned long long)c->frames);
	}
	pcap_close(p);
	return 0;
}

/* A heap of per-file cursors, ordered by the time of their next frame. */
struct cursor {
	size_t pos, end;
	__u32 file;
};

static bool before(const struct rp_frame *fr, const struct cursor *a, const struct cursor *b)
{
	if (fr[a->pos].ts != fr[b->pos].ts)
		return fr[a->pos].ts < fr[b->pos].ts;
	return a->file < b->file; /* ties: in the order given */
}

static void sift_down(const struct rp_frame *fr, struct cursor *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct cursor t;

		if (l < n && before(fr, &h[l], &h[m]))
			m = l;
		if (r < n && before(fr, &h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Merge the files of one phase into @out, from @fr (frames grouped by file). */
static size_t merge_phase(const struct rp_input *in, const size_t *start, const size_t *end,
			  enum rp_phase phase, struct rp_frame *out, size_t o)
{
	struct cursor *h = calloc(in->ncaps ? in->ncaps : 1, sizeof(*h));
	size_t n = 0, i;

	if (!h)
		return (size_t)-1;
	for (i = 0; i < in->ncaps; i++)
		if (in->caps[i].phase == phase && start[i] < end[i])
			h[n++] = (struct cursor){ .pos = start[i], .end = end[i], .file = i };
	for (i = n; i-- > 0;)
		sift_down(in->frames, h, n, i);
	while (n) {
		out[o++] = in->frames[h[0].pos++];
		if (h[0].pos == h[0].end)
			h[0] = h[--n];
		sift_down(in->frames, h, n, 0);
	}
	free(h);
	return o;
}

int rp_read_all(struct rp_input *in, __u32 max_linear)
{
	size_t *start, *end, i, o;
	struct rp_frame *merged;
	int err = 0;

	in->max_linear = max_linear;
	start = calloc(in->ncaps + 1, sizeof(*start));
	end = calloc(in->ncaps + 1, sizeof(*end));
	if (!start || !end) {
		free(start);
		free(end);
		return -ENOMEM;
	}
	for (i = 0; i < in->ncaps && !err; i++) {
		start[i] = in->nframes;
		err = read_one(in, &in->caps[i], i, max_linear);
		end[i] = in->nframes;
	}
	if (err)
		goto out;

	merged = malloc((in->nframes ? in->nframes : 1) * sizeof(*merged));
	if (!merged) {
		err = -ENOMEM;
		goto out;
	}
	in->phase_start[RP_PHASE_LEARN] = 0;
	o = merge_phase(in, start, end, RP_PHASE_LEARN, merged, 0);
	in->phase_end[RP_PHASE_LEARN] = o;
	in->phase_start[RP_PHASE_REPLAY] = o;
	if (o != (size_t)-1)
		o = merge_phase(in, start, end, RP_PHASE_REPLAY, merged, o);
	if (o == (size_t)-1) {
		free(merged);
		err = -ENOMEM;
		goto out;
	}
	in->phase_end[RP_PHASE_REPLAY] = o;
	free(in->frames);
	in->frames = merged;
	in->frames_cap = in->nframes;
out:
	free(start);
	free(end);
	if (err == -ENOMEM)
		ifn_err("replay: out of memory reading the captures");
	return err;
}

/*
 * The datapath keeps windows and deadlines as differences of its clock, so
 * the clock must never go back, and a time of 0 means "never" to it.
 */
void rp_assign_clock(struct rp_input *in)
{
	const size_t l0 = in->phase_start[RP_PHASE_LEARN], l1 = in->phase_end[RP_PHASE_LEARN];
	const size_t r0 = in->phase_start[RP_PHASE_REPLAY], r1 = in->phase_end[RP_PHASE_REPLAY];
	__u64 now = NSEC_PER_SEC, last_learn = 0, first_replay = ~0ULL;
	size_t i;

	for (i = l0; i < l1; i++)
		if (in->frames[i].ts > last_learn)
			last_learn = in->frames[i].ts;
	for (i = r0; i < r1; i++)
		if (in->frames[i].ts < first_replay)
			first_replay = in->frames[i].ts;
	/* Replayed captures taken before the learning ones run after them. */
	in->phase_shift = 0;
	if (l1 > l0 && r1 > r0 && first_replay <= last_learn)
		in->phase_shift = last_learn - first_replay + NSEC_PER_SEC;

	for (i = 0; i < in->nframes; i++) {
		struct rp_frame *f = &in->frames[i];
		__u64 t = f->ts + (f->phase == RP_PHASE_REPLAY ? in->phase_shift : 0);

		if (t > now)
			now = t;
		f->vts = now;
	}
}

void rp_input_free(struct rp_input *in)
{
	free(in->frames);
	free(in->arena);
	in->frames = NULL;
	in->arena = NULL;
	in->nframes = in->arena_len = 0;
}
