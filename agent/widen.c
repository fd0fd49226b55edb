// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * widen.c - sibling names (iotfence.8, GENERALISATION). Devices move
 * between numbered servers of one service (a relay r0801 today, r0802
 * next week; NTP 1.pool one day, 2.pool the next) and a name rule for one
 * does not admit the next. *.parent does, and opens the parent's whole
 * zone: safe only where that zone is one vendor's service, never where
 * anyone may put a name (a cloud's customer zone, a dynamic DNS), so the
 * parent must lie below the registered domain and outside
 * ifn_widen_shared_zones.
 */
#include <stdio.h>
#include <string.h>

#include "dnsname.h"
#include "widen.h"

/*
 * Zones where any customer of a cloud, CDN or dynamic DNS service gets a
 * name: a device's peer there says nothing of the next name there (anyone
 * can get an AWS IoT endpoint under iot.eu-west-1.amazonaws.com). A parent
 * that is one of these, lies under one, or holds one is never widened to.
 * The list is for iotfence.8 (GENERALISATION) as well: keep them in step.
 */
const char *const ifn_widen_shared_zones[] = {
	/* Amazon: IoT Core, EC2, S3, ELB, API Gateway; CloudFront; Beanstalk. */
	"amazonaws.com",
	"amazonaws.com.cn",
	"cloudfront.net",
	"elasticbeanstalk.com",
	"awsglobalaccelerator.com",
	/* Akamai. */
	"akamai.net",
	"akamaiedge.net",
	"akamaihd.net",
	"akamaized.net",
	"akamaitechnologies.com",
	"akadns.net",
	"edgekey.net",
	"edgesuite.net",
	/* Microsoft Azure: IoT Hub, web apps, storage, service bus, CDN. */
	"azure.com",
	"azure-devices.net",
	"azure-api.net",
	"azureedge.net",
	"azurefd.net",
	"azurewebsites.net",
	"cloudapp.net",
	"windows.net",
	"trafficmanager.net",
	/* Google Cloud and Firebase. */
	"googleapis.com",
	"googleusercontent.com",
	"appspot.com",
	"cloudfunctions.net",
	"firebaseio.com",
	"firebaseapp.com",
	"run.app",
	"web.app",
	/* Other clouds, CDNs and hosting. */
	"aliyuncs.com",
	"myqcloud.com",
	"herokuapp.com",
	"herokudns.com",
	"fastly.net",
	"fastlylb.net",
	"cloudflare.net",
	"workers.dev",
	"pages.dev",
	"github.io",
	"netlify.app",
	"vercel.app",
	"digitaloceanspaces.com",
	"ondigitalocean.app",
	"b-cdn.net",
	"cdn77.org",
	"llnwd.net",
	"edgecastcdn.net",
	/* Dynamic DNS: anyone names their own address. */
	"dyndns.org",
	"no-ip.com",
	"ddns.net",
	"duckdns.org",
	"afraid.org",
	"dlinkddns.com",
	"tplinkdns.com",
	"myfritz.net",
	"synology.me",
	"asuscomm.com",
	/* Reverse lookups: no service's name. */
	"arpa",
	NULL,
};

/*
 * Second labels under which a country's registry hands out domains
 * (example.co.uk, example.com.cn): below one of them the registered domain
 * has a label more.
 */
static const char *const second_levels[] = {
	"ac", "co", "com", "edu", "go", "gob", "gov", "ne", "net", "or", "org",
};

/* Does @name equal @zone or lie under it (a label boundary)? */
static bool under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n == z)
		return !strcmp(name, zone);
	return n > z && name[n - z - 1] == '.' && !strcmp(name + n - z, zone);
}

const char *ifn_widen_shared(const char *name)
{
	size_t i;

	for (i = 0; ifn_widen_shared_zones[i]; i++)
		if (under(name, ifn_widen_shared_zones[i]) ||
		    under(ifn_widen_shared_zones[i], name))
			return ifn_widen_shared_zones[i];
	return NULL;
}

static unsigned int labels(const char *name)
{
	unsigned int n = 1;

	for (; *name; name++)
		n += *name == '.';
	return n;
}

/* A parent with at least one label below its registered domain. */
static bool below_registered(const char *parent)
{
	unsigned int n = labels(parent);
	const char *tld = strrchr(parent, '.'), *sld;
	size_t i, len;

	if (n < IFN_WIDEN_MIN_LABELS)
		return false;
	if (!tld || strlen(tld + 1) != 2)
		return true; /* a generic TLD: the registered domain has 2 labels */
	for (sld = tld; sld > parent && sld[-1] != '.'; sld--)
		;
	len = tld - sld;
	for (i = 0; i < sizeof(second_levels) / sizeof(second_levels[0]); i++)
		if (strlen(second_levels[i]) == len && !strncmp(sld, second_levels[i], len))
			return n >= IFN_WIDEN_MIN_LABELS + 1;
	return true;
}

bool ifn_widen_numbered(const char *name)
{
	const char *dot = strchr(name, '.');
	size_t len = dot ? (size_t)(dot - name) : strlen(name), i;

	/* An IDN label in ACE form carries digits that are letters, not a counter. */
	if (len >= 4 && !strncmp(name, "xn--", 4))
		return false;
	for (i = 0; i < len; i++)
		if (name[i] >= '0' && name[i] <= '9')
			return true;
	return false;
}

enum ifn_widen ifn_widen_name(const char *name, bool sibling, const char **parent)
{
	char canon[IFN_DNS_NAME_MAX], err[80];
	const char *p = strchr(name, '.');
	bool numbered = ifn_widen_numbered(name), wild;

	*parent = NULL;
	if (!numbered && !sibling)
		return IFN_WIDEN_NONE;
	/* What a policy file could not load back, no rule is made from. */
	if (strlen(name) >= sizeof(canon) ||
	    ifn_dns_name_parse(name, canon, &wild, err, sizeof(err)) || wild || strcmp(canon, name))
		return IFN_WIDEN_ODD;
	if (!p || !below_registered(p + 1))
		return IFN_WIDEN_SHORT;
	if (labels(p + 1) > IFN_DNS_SUFFIXES)
		return IFN_WIDEN_DEEP;
	if (ifn_widen_shared(p + 1))
		return IFN_WIDEN_SHARED;
	*parent = p + 1;
	return numbered ? IFN_WIDEN_NUMBERED : IFN_WIDEN_SIBLINGS;
}

const char *ifn_widen_str(enum ifn_widen w)
{
	switch (w) {
	case IFN_WIDEN_NONE:
		return "no numbered label, no sibling";
	case IFN_WIDEN_NUMBERED:
		return "a numbered label";
	case IFN_WIDEN_SIBLINGS:
		return "siblings learned";
	case IFN_WIDEN_SHORT:
		return "the parent is a registered domain";
	case IFN_WIDEN_SHARED:
		return "the parent is in a shared cloud zone";
	case IFN_WIDEN_DEEP:
		return "the parent has too many labels";
	case IFN_WIDEN_ODD:
		return "a label a policy cannot hold";
	}
	return "?";
}
