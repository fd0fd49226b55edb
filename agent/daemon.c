// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * daemon.c - `iotfence run`.
 *
 * The daemon adds reporting to a datapath that does not need it: the pins
 * own the program, the maps and the links, so the daemon holds map fds
 * only (no link fd: it could not detach anything by dying), and whatever
 * happens to it, enforcement stays as it is. Its memory is fixed: events
 * are read one at a time from the ring and written out at once, an event
 * line that standard output cannot take without blocking is dropped and
 * counted, and when the daemon falls behind the datapath counts the events
 * it could not send (EVENTS_LOST) instead of anything queueing up here.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "devices.h"
#include "errors.h"
#include "events.h"
#include "evstream.h"
#include "format.h"
#include "generalise.h"
#include "lifecycle.h"
#include "metrics.h"
#include "mud_url.h"
#include "mud_dhcp.h"
#include "oui.h"
#include "parse.h"
#include "policy.h"
#include "policy_parse.h"
#include "settings.h"
#include "snapshot.h"
#include "state.h"

#define NSEC 1000000000ULL
/* The lost counter is looked at this often even when nothing happens. */
#define IDLE_MS 1000

struct daemon {
	struct ifn_daemon_conf conf;
	bool detach_cli;
	struct ifn_maps m;
	bool have_maps;
	struct ifn_evstream es;
	bool have_es;
	struct ifn_daemon_stats st;
	struct ifn_oui_db *oui;
	int sfd, epfd;
	__u64 next_metrics, next_snapshot; /* CLOCK_MONOTONIC ns */
	bool syslog_open;
	bool stdout_gone;
	struct ifn_mud_watch mw; /* DHCP client messages, for MUD URLs */
	char line[2048];
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC + ts.tv_nsec;
}

int ifn_event_priority(unsigned int type)
{
	switch (type) {
	case IFN_EV_SCAN:
	case IFN_EV_AUTO_QUARANTINE:
	case IFN_EV_IP_CONFLICT:
	case IFN_EV_TABLE_FULL:
	case IFN_EV_EVENTS_LOST:
	case IFN_EV_FINGERPRINT_CAP:
		return LOG_WARNING;
	case IFN_EV_VIOLATION:
	case IFN_EV_RATE_EXCEEDED:
		return LOG_NOTICE;
	}
	return LOG_INFO;
}

size_t ifn_event_json_line(char *buf, size_t len, const struct ifn_event *e, const char *ifname)
{
	struct ifn_json j;
	FILE *f = fmemopen(buf, len, "w");
	long n;

	if (!f)
		return 0;
	/* fmemopen writes into buf only: a long line is cut, never overflows. */
	setvbuf(f, NULL, _IONBF, 0);
	ifn_json_init(&j, f);
	ifn_event_json(&j, e, ifname);
	n = ftell(f);
	fclose(f);
	if (n <= 0 || (size_t)n >= len || buf[n - 1] != '\n')
		return 0;
	buf[n] = '\0';
	return n;
}

/*
 * Messages meant for a person (attached to..., restored ...) go to stderr:
 * the daemon's stdout carries nothing but event lines.
 */
static int quiet_begin(void)
{
	int saved;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (saved >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	return saved;
}

static void quiet_end(int saved)
{
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
}

/* An error both on stderr and, when open, in syslog. */
static void derr(struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void derr(struct daemon *d, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ifn_err("%s", msg);
	if (d->syslog_open)
		syslog(LOG_ERR, "%s", msg);
}

static void dinfo(struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void dinfo(struct daemon *d, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", ifn_progname, msg);
	if (d->syslog_open)
		syslog(LOG_INFO, "%s", msg);
}

/*
 * What can be checked before anything changes: every interface the
 * configuration names exists (FILE:LINE if not), and the policy file it
 * names parses (the parser prints each error as POLICY:LINE).
 */
static int check_conf(const struct ifn_daemon_conf *c, char *err, size_t len)
{
	unsigned int i;
	int rc;

	for (i = 0; i < c->n_ifaces; i++) {
		if (!if_nametoindex(c->ifaces[i].name)) {
			snprintf(err, len, "%s:%u: no such interface '%s'", c->path,
				 c->ifaces[i].line, c->ifaces[i].name);
			return -ENODEV;
		}
	}
	if (c->policy[0]) {
		rc = ifn_policy_load_file(NULL, c->policy, true, NULL);
		if (rc) {
			/* A path may be long: cut, the message says enough. */
			if (snprintf(err, len, "%s: policy %s: %s", c->path, c->policy,
				     rc == -EINVAL ? "not a valid policy (errors above)" :
						     strerror(-rc)) >= (int)len)
				err[len - 1] = '\0';
			return rc;
		}
	}
	return 0;
}

static int apply_settings(const struct ifn_maps *m, const struct ifn_daemon_conf *c)
{
	struct ifn_config cfg, old;
	char e[IFN_ERRLEN];
	unsigned int i;
	int err;

	err = ifn_config_read(m, &cfg);
	if (err)
		return err;
	old = cfg;
	for (i = 0; i < c->n_settings; i++) {
		/* Checked when parsed: cannot fail here but for a bug. */
		if (ifn_setting_apply(&cfg, c->settings[i].key, c->settings[i].value, e,
				      sizeof(e))) {
			ifn_err("%s:%u: %s", c->path, c->settings[i].line, e);
			return -EINVAL;
		}
	}
	if (!memcmp(&cfg, &old, sizeof(cfg)))
		return 0;
	return ifn_config_write(m, &cfg);
}

static void on_amend(void *ctx, const __u8 mac[6], const char *path, int err)
{
	struct daemon *d = ctx;
	char mb[IFN_MAC_STRLEN];

	ifn_fmt_mac(mac, mb);
	if (!err)
		dinfo(d, "the MUD profile %s of %s is loaded with the policy", path, mb);
	else
		derr(d, "cannot apply the MUD profile %s to %s: %s", path, mb,
		     err == -EINVAL ? "errors above" : ifn_strerror(err));
}

/*
 * The policy file with the mud-dir profiles of the devices that announced
 * a MUD URL, in one all-or-nothing load: make before break. Loaded alone,
 * the policy would take the profiles' rules away (from the devices it
 * does not name) until they were applied again after it.
 */
static int load_policy(struct daemon *d, const struct ifn_maps *m, const struct ifn_daemon_conf *c)
{
	struct ifn_policy p;
	int err;

	err = ifn_policy_parse_file(c->policy, &p, NULL);
	if (err)
		return err;
	if (c->mud_dir[0])
		err = ifn_mud_dir_amend(m, c->mud_dir, &p, on_amend, d);
	if (!err)
		err = ifn_policy_apply(m, &p, c->policy, false, stdout);
	ifn_policy_free(&p);
	return err;
}

/*
 * Bring the pinned state in line with @c: load it if nothing is pinned
 * (restoring the saved state into it), apply the settings, attach every
 * interface (or update its settings), and detach those that @old named and
 * @c does not. On success the maps are open in d->m.
 */
static int setup(struct daemon *d, const struct ifn_daemon_conf *c,
		 const struct ifn_daemon_conf *old)
{
	struct ifn_attach_opts ao = {
		.max_devices = c->max_devices,
		.max_flows = c->max_flows,
		.max_rules = c->max_rules,
	};
	struct ifn_maps m;
	unsigned int i;
	int lock, err, failed = 0, saved;
	bool fresh = false;

	if (ifn_bpffs_ensure(true))
		return -ENODEV;
	lock = ifn_lock(true);
	if (lock < 0) {
		derr(d, "cannot lock %s: %s", ifn_pin_dir(), ifn_pin_strerror(lock));
		return lock;
	}
	saved = quiet_begin();
	err = ifn_state_up(&m, &ao, &fresh);
	if (err)
		goto out;
	if (fresh) {
		err = ifn_snapshot_restore_report(&m);
		if (err && err != -ENOENT)
			dinfo(d, "starting with an empty state");
		ifn_restore_done(); /* restored, or nothing to restore */
	}
	err = apply_settings(&m, c);
	if (err) {
		derr(d, "cannot apply the settings: %s", ifn_strerror(err));
		goto fail;
	}
	for (i = 0; i < c->n_ifaces; i++) {
		const struct ifn_conf_iface *f = &c->ifaces[i];
		struct ifn_attach_opts o = {
			.ifname = f->name,
			.mode = f->mode,
			.new_devices = f->new_devices,
			.learn_ns = f->learn_ns,
		};
		struct ifn_iface ifc;

		/* Unless the file says otherwise, keep what is pinned (or restored). */
		if (!ifn_snapshot_iface(&m, f->name, &ifc))
			ifn_attach_opts_keep(&o, &ifc, f->have_new_devices, f->have_learn);
		if (ifn_attach_iface(&m, &o))
			failed++;
	}
	/*
	 * The policy comes last: it may name the interfaces (they must be
	 * attached), and what it states wins over the settings above. A load
	 * is all or nothing, so a failed one leaves the previous policy.
	 */
	if (!failed && c->policy[0]) {
		err = load_policy(d, &m, c);
		if (err) {
			derr(d, "cannot load the policy %s: %s", c->policy,
			     err == -EINVAL ? "errors above" : ifn_strerror(err));
			failed++;
		}
	}
	for (i = 0; old && i < old->n_ifaces; i++) {
		const char *name = old->ifaces[i].name;

		if (ifn_conf_find_iface(c, name))
			continue;
		err = ifn_detach_iface(&m, name);
		if (!err)
			dinfo(d, "detached from %s (no longer configured)", name);
		else if (err != -ENOENT)
			derr(d, "cannot detach from %s: %s", name, ifn_strerror(err));
	}
	err = 0;
	if (failed && (fresh || !old)) {
		/* A first start that cannot do what it was told to is an error. */
		err = -EINVAL;
		goto fail;
	}
	if (failed)
		d->st.reload_failures++;
	if (d->have_maps)
		ifn_maps_close(&d->m);
	d->m = m;
	/* Events name the names a VIOLATION's peer was resolved from. */
	ifn_events_names_from_maps(&d->m);
	d->have_maps = true;
	goto out;
fail:
	ifn_maps_close(&m);
	/* What a failed first start leaves pinned is removed again. */
	if (fresh)
		ifn_pins_purge();
	else
		ifn_prog_unpin_if_unused();
out:
	quiet_end(saved);
	ifn_unlock(lock);
	return err;
}

static void write_out(struct daemon *d, const char *buf, size_t len)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	ssize_t w;

	if (d->stdout_gone || !d->conf.events_stdout)
		return;
	/*
	 * A reader that does not keep up must not stall the daemon: a line
	 * is written only when it fits now (a pipe takes PIPE_BUF bytes at
	 * once when it says it is writable), else it is dropped and counted.
	 */
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
		if (p.revents & (POLLERR | POLLHUP))
			d->stdout_gone = true;
		d->st.output_dropped++;
		return;
	}
	w = write(STDOUT_FILENO, buf, len);
	if (w < 0 && errno == EPIPE) {
		d->stdout_gone = true;
		dinfo(d, "standard output is closed; events go to syslog only");
	} else if (w != (ssize_t)len) {
		d->st.output_dropped++;
	}
}

/*
 * A device's learning ended: turn its learned flows into prefix and
 * port-any rules. Not a device whose learning stopped at the fingerprint
 * cap: what it learnt may be a scan, and generalising would widen it.
 */
static void generalise_device(struct daemon *d, const __u8 mac[6])
{
	char mb[IFN_MAC_STRLEN];
	struct ifn_device dev;
	int lock, n;

	lock = ifn_lock(false);
	if (lock < 0) {
		derr(d, "cannot lock %s to generalise: %s", ifn_pin_dir(), ifn_pin_strerror(lock));
		return;
	}
	n = ifn_device_get(&d->m, mac, &dev);
	if (!n && (dev.flags & IFN_DEV_F_LEARN_CAPPED))
		n = -ECANCELED;
	else if (!n)
		n = ifn_generalise(&d->m, mac, &d->conf.gen, NULL);
	ifn_unlock(lock);
	ifn_fmt_mac(mac, mb);
	if (n >= 0)
		dinfo(d, "generalised %s: %d rule%s", mb, n, n == 1 ? "" : "s");
	else if (n == -ECANCELED)
		dinfo(d, "not generalising %s: its learning stopped at the fingerprint cap", mb);
	else if (n != -ENOENT)
		derr(d, "cannot generalise %s: %s", mb, ifn_strerror(n));
}

static int on_event(void *ctx, const struct ifn_event *e)
{
	struct daemon *d = ctx;
	char ifb[16];
	const char *ifname = e->ifindex ? ifn_ifname(d->m.ifaces, e->ifindex, ifb) : NULL;
	size_t n;

	if (e->type < IFN_EV_MAX)
		d->st.events[e->type]++;
	n = ifn_event_json_line(d->line, sizeof(d->line), e, ifname);
	if (!n)
		return 0;
	write_out(d, d->line, n);
	if (d->syslog_open)
		syslog(ifn_event_priority(e->type), "%.*s", (int)n - 1, d->line);
	if (e->type == IFN_EV_LEARNING_DONE && d->conf.generalise)
		generalise_device(d, e->mac);
	return 0;
}

/* The mud-dir's profile for @url, if any, as @mac's policy (iotfence.8, MUD). */
static void apply_profile(struct daemon *d, const __u8 mac[6], const char *url, bool say_missing)
{
	char mb[IFN_MAC_STRLEN], path[PATH_MAX];
	int err;

	if (!d->conf.mud_dir[0] || !d->have_maps)
		return;
	ifn_fmt_mac(mac, mb);
	err = ifn_mud_dir_apply(&d->m, d->conf.mud_dir, mac, url, stderr, path, sizeof(path));
	if (!err)
		dinfo(d, "applied the MUD profile %s to %s", path, mb);
	else if (err == -ENOENT && say_missing)
		dinfo(d, "no MUD profile for %s (%s) in %s", url, mb, d->conf.mud_dir);
	else if (err != -ENOENT)
		derr(d, "cannot apply the MUD profile %s to %s: %s", path, mb,
		     err == -EINVAL ? "errors above" : ifn_strerror(err));
}

/*
 * A MUD URL in a device's DHCP request: recorded, reported as a MUD_URL
 * event line, and the mud-dir's profile for it applied. Only a URL that
 * changed does more than the record: a device repeats it at every renewal.
 */
static void on_mud_url(void *ctx, const __u8 mac[6], const char *url, const char *ifname)
{
	struct daemon *d = ctx;
	char mb[IFN_MAC_STRLEN], t[IFN_TIME_STRLEN];
	int changed = ifn_mud_record_url(mac, url), n;

	ifn_fmt_mac(mac, mb);
	if (changed < 0) {
		derr(d, "cannot record the MUD URL of %s in %s: %s", mb, ifn_mud_urls_path(),
		     ifn_strerror(changed));
		return;
	}
	if (!changed)
		return;
	/* Shaped as the datapath's event lines; the URL is checked printable ASCII. */
	n = snprintf(d->line, sizeof(d->line),
		     "{\"time\":\"%s\",\"type\":\"MUD_URL\",\"mac\":\"%s\",\"interface\":\"%s\","
		     "\"mode\":null,\"flow\":null,\"url\":\"%s\"}\n",
		     ifn_fmt_time(ifn_now_wall(), t), mb, ifname, url);
	if (n > 0 && (size_t)n < sizeof(d->line) && !strpbrk(url, "\"\\")) {
		write_out(d, d->line, n);
		if (d->syslog_open)
			syslog(LOG_NOTICE, "%.*s", n - 1, d->line);
	}
	apply_profile(d, mac, url, true);
}

static void watch_dhcp(struct daemon *d)
{
	char names[IFN_MAX_IFACES][16];
	struct ifn_mactab u;
	unsigned int i;

	ifn_mud_watch_close(&d->mw, d->epfd);
	for (i = 0; i < d->conf.n_ifaces && i < IFN_MAX_IFACES; i++)
		snprintf(names[i], sizeof(names[i]), "%s", d->conf.ifaces[i].name);
	ifn_mud_watch_open(&d->mw, (const char(*)[16])names, i, d->epfd);
	/*
	 * The profiles of the URLs recorded so far, again: one added or changed
	 * in mud-dir takes effect with a reload, and the policy file just
	 * loaded (which takes policy rules from the devices it does not name)
	 * does not leave a MUD device without its profile.
	 */
	if (d->conf.mud_dir[0] && !ifn_mactab_load(&u, &ifn_mud_urls_kind, NULL)) {
		for (i = 0; i < u.n; i++)
			apply_profile(d, u.v[i].mac, u.v[i].text, false);
		ifn_mactab_free(&u);
	}
}

static void write_metrics(struct daemon *d)
{
	struct ifn_metrics mx;
	char path[PATH_MAX];
	int err;

	if (!d->conf.metrics_interval_ns || !d->have_maps)
		return;
	ifn_conf_metrics_path(&d->conf, path, sizeof(path));
	err = ifn_metrics_collect(&d->m, d->oui, &mx);
	if (!err) {
		mx.daemon = &d->st;
		err = ifn_metrics_write_file(path, &mx);
		ifn_metrics_free(&mx);
	}
	if (err)
		derr(d, "cannot write the metrics to %s: %s", path, ifn_strerror(err));
}

static int save_state(struct daemon *d)
{
	int lock, err;

	if (!d->have_maps)
		return 0;
	/* No command changes the maps half-way through the snapshot. */
	lock = ifn_lock(false);
	err = ifn_snapshot_save(&d->m, NULL);
	if (lock >= 0)
		ifn_unlock(lock);
	if (err) {
		d->st.snapshot_failures++;
		derr(d, "cannot save the state to %s: %s", ifn_snapshot_path(), ifn_strerror(err));
	} else {
		d->st.snapshot_ok_wall_ns = ifn_now_wall();
	}
	return err;
}

static int open_events(struct daemon *d, bool report_past)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	err = ifn_evstream_open(&d->es, &d->m, on_event, d, report_past);
	if (err) {
		derr(d, "cannot read the event ring: %s", ifn_strerror(err));
		return err;
	}
	d->have_es = true;
	ev.data.fd = ifn_evstream_fd(&d->es);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
		err = -errno;
		derr(d, "cannot wait for events: %s", ifn_strerror(err));
		return err;
	}
	return 0;
}

static void close_events(struct daemon *d)
{
	if (!d->have_es)
		return;
	/* What is in the ring now is still reported. */
	ifn_evstream_drain(&d->es);
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, ifn_evstream_fd(&d->es), NULL);
	ifn_evstream_close(&d->es);
	d->have_es = false;
}

static void set_syslog(struct daemon *d)
{
	if (d->conf.syslog && !d->syslog_open) {
		openlog("iotfence", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		d->syslog_open = true;
	} else if (!d->conf.syslog && d->syslog_open) {
		closelog();
		d->syslog_open = false;
	}
}

static void reload(struct daemon *d, const char *path)
{
	struct ifn_daemon_conf *nc = malloc(sizeof(*nc));
	char err[PATH_MAX + 256];
	int rc;

	d->st.reloads++;
	if (!nc) {
		d->st.reload_failures++;
		derr(d, "reload: out of memory");
		return;
	}
	rc = ifn_conf_load(path, nc, err, sizeof(err));
	if (!rc)
		rc = check_conf(nc, err, sizeof(err));
	if (rc) {
		/* Nothing changes: the daemon goes on with what it had. */
		d->st.reload_failures++;
		derr(d, "reload refused, configuration unchanged: %s", err);
		free(nc);
		return;
	}
	close_events(d);
	rc = setup(d, nc, &d->conf);
	if (rc) {
		d->st.reload_failures++;
		derr(d, "reload failed: %s", ifn_strerror(rc));
	} else {
		if (nc->metrics_interval_ns != d->conf.metrics_interval_ns)
			d->next_metrics = 0;
		if (nc->snapshot_interval_ns != d->conf.snapshot_interval_ns)
			d->next_snapshot =
				nc->snapshot_interval_ns ? mono_ns() + nc->snapshot_interval_ns : 0;
		d->conf = *nc;
		set_syslog(d);
		dinfo(d, "reloaded %s", path);
		watch_dhcp(d);
	}
	free(nc);
	if (d->have_maps)
		open_events(d, false);
}

static void detach_all(struct daemon *d)
{
	unsigned int i;
	int lock, err;

	lock = ifn_lock(false);
	if (lock < 0) {
		derr(d, "cannot lock %s to detach: %s", ifn_pin_dir(), ifn_pin_strerror(lock));
		return;
	}
	for (i = 0; i < d->conf.n_ifaces; i++) {
		err = ifn_detach_iface(d->have_maps ? &d->m : NULL, d->conf.ifaces[i].name);
		if (!err)
			dinfo(d, "detached from %s", d->conf.ifaces[i].name);
		else if (err != -ENOENT)
			derr(d, "cannot detach from %s: %s", d->conf.ifaces[i].name,
			     ifn_strerror(err));
	}
	ifn_prog_unpin_if_unused();
	ifn_unlock(lock);
}

static int loop(struct daemon *d, const char *path)
{
	struct epoll_event evs[4];
	int n, i, timeout;
	__u64 now;

	for (;;) {
		now = mono_ns();
		if (d->conf.metrics_interval_ns && now >= d->next_metrics) {
			write_metrics(d);
			d->next_metrics = now + d->conf.metrics_interval_ns;
		}
		if (d->next_snapshot && now >= d->next_snapshot) {
			save_state(d);
			d->next_snapshot = now + d->conf.snapshot_interval_ns;
		}
		timeout = IDLE_MS;
		if (d->conf.metrics_interval_ns && d->next_metrics - now < (__u64)timeout * 1000000)
			timeout = (d->next_metrics - now) / 1000000 + 1;

		n = epoll_wait(d->epfd, evs, 4, timeout);
		if (n < 0 && errno != EINTR) {
			derr(d, "cannot wait for events: %s", strerror(errno));
			return IFN_EXIT_FAIL;
		}
		/* Events first, then the lost counter, every time round. */
		if (d->have_es)
			ifn_evstream_drain(&d->es);
		for (i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (evs[i].data.fd != d->sfd) {
				ifn_mud_watch_handle(&d->mw, evs[i].data.fd, on_mud_url, d);
				continue;
			}
			while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					reload(d, path);
				else
					return IFN_EXIT_OK;
			}
		}
	}
}

int ifn_daemon_run(const struct ifn_daemon_opts *o)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct daemon *d = calloc(1, sizeof(*d));
	char err[PATH_MAX + 256];
	sigset_t mask;
	int rc;

	if (!d) {
		ifn_err("out of memory");
		return IFN_EXIT_FAIL;
	}
	d->sfd = d->epfd = -1;
	rc = ifn_conf_load(o->config, &d->conf, err, sizeof(err));
	if (!rc)
		rc = check_conf(&d->conf, err, sizeof(err));
	if (rc) {
		ifn_err("%s", err);
		free(d);
		return IFN_EXIT_FAIL;
	}
	if (!d->conf.n_ifaces)
		ifn_warn("%s names no interface: nothing will be attached", o->config);
	d->detach_cli = o->detach_on_exit;
	d->st.start_wall_ns = ifn_now_wall();
	set_syslog(d);

	/* Signals arrive as reads on a descriptor, between two events. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sfd < 0 || d->epfd < 0) {
		ifn_err("cannot set up the event loop: %s", strerror(errno));
		rc = IFN_EXIT_FAIL;
		goto out;
	}
	ev.data.fd = d->sfd;
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sfd, &ev);

	if (setup(d, &d->conf, NULL)) {
		rc = IFN_EXIT_FAIL;
		goto out;
	}
	d->oui = ifn_oui_load(NULL);
	watch_dhcp(d);
	/* Losses from before the daemon started are reported once. */
	if (open_events(d, true)) {
		rc = IFN_EXIT_FAIL;
		goto out;
	}
	if (d->conf.snapshot_interval_ns)
		d->next_snapshot = mono_ns() + d->conf.snapshot_interval_ns;
	dinfo(d, "running: %u interface%s, pins at %s, state in %s", d->conf.n_ifaces,
	      d->conf.n_ifaces == 1 ? "" : "s", ifn_pin_dir(), ifn_state_dir());

	rc = loop(d, o->config);

	ifn_mud_watch_close(&d->mw, d->epfd);
	close_events(d);
	/* The state is lost if the last save fails: not an exit like any other. */
	if (save_state(d) && rc == IFN_EXIT_OK)
		rc = IFN_EXIT_FAIL;
	write_metrics(d);
	if (d->detach_cli || d->conf.detach_on_exit)
		detach_all(d);
	else
		dinfo(d, "exiting; enforcement stays attached");
out:
	if (d->have_maps)
		ifn_maps_close(&d->m);
	if (d->oui)
		ifn_oui_free(d->oui);
	if (d->sfd >= 0)
		close(d->sfd);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->syslog_open)
		closelog();
	free(d);
	return rc;
}

int ifn_cmd_run(const struct ifn_cmd *c, int argc, char **argv)
{
	struct ifn_daemon_opts o = { .config = IFN_CONF_DEFAULT_PATH };
	int opt;

	optind = 1;
	while ((opt = ifn_getopt(c, NULL, argc, argv)) != -1) {
		switch (opt) {
		case 'c':
			o.config = optarg;
			break;
		case 'd':
			o.detach_on_exit = true;
			break;
		default:
			return ifn_opt_error(c, argv);
		}
	}
	if (optind < argc)
		return ifn_usage_error(c, "unexpected '%s'", argv[optind]);
	return ifn_daemon_run(&o);
}
