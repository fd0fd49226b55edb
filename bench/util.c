// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * util.c - what every suite needs: robust summaries of repeated samples,
 * clocks, CPU pinning, network namespaces and ethtool counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "bench.h"

void ifb_die(const char *fmt, ...)
{
	va_list ap;

	fputs("ifn-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void ifb_log(struct ifb_out *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vfprintf(o->log, fmt, ap);
	va_end(ap);
	fflush(o->log);
}

void ifb_add(struct ifb_samples *s, double v)
{
	if (s->n < IFB_MAX_SAMPLES)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double ifb_median(const struct ifb_samples *s)
{
	double v[IFB_MAX_SAMPLES];

	if (!s->n)
		return 0;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	return s->n & 1 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

double ifb_min(const struct ifb_samples *s)
{
	double m = s->n ? s->v[0] : 0;
	int i;

	for (i = 1; i < s->n; i++)
		if (s->v[i] < m)
			m = s->v[i];
	return m;
}

double ifb_max(const struct ifb_samples *s)
{
	double m = s->n ? s->v[0] : 0;
	int i;

	for (i = 1; i < s->n; i++)
		if (s->v[i] > m)
			m = s->v[i];
	return m;
}

double ifb_spread_pct(const struct ifb_samples *s)
{
	double med = ifb_median(s);

	return med > 0 ? 50.0 * (ifb_max(s) - ifb_min(s)) / med : 0;
}

__u64 ifb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 ifb_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int ifb_pin(int tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

int ifb_ncpus_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

static int home_fd = -1;

int ifb_netns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (home_fd < 0) {
		home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home_fd < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

int ifb_netns_home(void)
{
	if (home_fd < 0)
		return 0;
	return setns(home_fd, CLONE_NEWNET) ? -errno : 0;
}

/* ETHTOOL_GSTATS through the ioctl, so that no ethtool binary is needed. */
int ifb_ethstats_read(int sock, const char *ifname, struct ifb_ethstats *st)
{
	struct ethtool_sset_info *sset = NULL;
	struct ethtool_gstrings *strs = NULL;
	struct ethtool_stats *stats = NULL;
	struct ifreq ifr = {};
	int fd, n, err = 0;

	memset(st, 0, sizeof(*st));
	fd = sock >= 0 ? dup(sock) : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);

	sset = calloc(1, sizeof(*sset) + sizeof(__u32));
	if (!sset)
		goto nomem;
	sset->cmd = ETHTOOL_GSSET_INFO;
	sset->sset_mask = 1ULL << ETH_SS_STATS;
	ifr.ifr_data = (void *)sset;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		err = -errno;
		goto out;
	}
	n = sset->sset_mask ? (int)sset->data[0] : 0;

	strs = calloc(1, sizeof(*strs) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(__u64));
	st->names = calloc(n ? n : 1, sizeof(st->names[0]));
	st->vals = calloc(n ? n : 1, sizeof(__u64));
	if (!strs || !stats || !st->names || !st->vals)
		goto nomem;
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_STATS;
	strs->len = n;
	ifr.ifr_data = (void *)strs;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		err = -errno;
		goto out;
	}
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ifr.ifr_data = (void *)stats;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		err = -errno;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		snprintf(st->names[i], sizeof(st->names[i]), "%.*s", ETH_GSTRING_LEN,
			 (char *)strs->data + (size_t)i * ETH_GSTRING_LEN);
		st->vals[i] = stats->data[i];
	}
	st->n = n;
	goto out;
nomem:
	err = -ENOMEM;
out:
	free(sset);
	free(strs);
	free(stats);
	close(fd);
	if (err)
		ifb_ethstats_free(st);
	return err;
}

__u64 ifb_ethstats_sum(const struct ifb_ethstats *st, const char *suffix)
{
	size_t sl = strlen(suffix);
	__u64 sum = 0;

	for (int i = 0; i < st->n; i++) {
		size_t nl = strlen(st->names[i]);

		if (nl >= sl && !strcmp(st->names[i] + nl - sl, suffix))
			sum += st->vals[i];
	}
	return sum;
}

void ifb_ethstats_free(struct ifb_ethstats *st)
{
	free(st->names);
	free(st->vals);
	memset(st, 0, sizeof(*st));
}
