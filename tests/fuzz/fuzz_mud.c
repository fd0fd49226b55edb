// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for what iotfence reads from others: MUD files (the
 * validator and the translator, on whatever jansson parses) and DHCP
 * client frames (the MUD URL option parser). Beyond "no crash, no leak, no
 * undefined behaviour", it checks that every statement made is bounded
 * text and every URL found is a valid one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mud.h"
#include "mud_url.h"
#include "mud_xlat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ifn_mud_map_entry map[] = {
		{ IFN_MUD_MY_CONTROLLER, "", "192.168.1.10" },
		{ IFN_MUD_SAME_MANUFACTURER, "", "name peer.example.com" },
	};
	struct ifn_mud_opts o = { .map = map, .n_map = 2 };
	char url[IFN_MUD_URL_MAX + 1];
	struct ifn_mud_xlat x;
	json_error_t je;
	__u8 mac[6];
	json_t *j;
	size_t i;

	if (!ifn_dhcp_mud_url(data, size, mac, url, sizeof(url)) && !ifn_mud_url_valid(url)) {
		fprintf(stderr, "an invalid URL was taken: %s\n", url);
		abort();
	}
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return 0;
	/* Refused or not, what was made is freed by ifn_mud_xlat_free. */
	if (!ifn_mud_validate(j, NULL, NULL) && ifn_mud_translate(j, &o, &x, NULL, NULL) >= 0) {
		for (i = 0; i < x.n; i++) {
			if (strnlen(x.v[i].text, sizeof(x.v[i].text)) == sizeof(x.v[i].text) ||
			    strchr(x.v[i].text, '\n')) {
				fprintf(stderr, "a statement is not one bounded line\n");
				abort();
			}
		}
		ifn_mud_xlat_free(&x);
	}
	json_decref(j);
	return 0;
}
