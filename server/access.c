/*
 * allow/deny: the ordered access list, first match wins, and a list that
 * matches nothing allows (as nginx).
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>

#include "http.h"

static bool
rule_matches(const struct access_rule *r, const unsigned char *addr, int family)
{
	int full, rest;

	if (r->family == 0)
		return true;
	if (r->family != family)
		return false;
	full = r->bits / 8;
	rest = r->bits % 8;
	if (memcmp(r->addr, addr, (size_t)full) != 0)
		return false;
	return rest == 0 ||
	    ((addr[full] ^ r->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

bool
access_allowed(const struct access_list *al, const struct sockaddr_storage *ss)
{
	const unsigned char *addr;
	int family = ss->ss_family;
	size_t i;

	if (family == AF_INET)
		addr = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
	else {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		addr = a6->s6_addr;
		/* An IPv4 client on an IPv6 socket is matched as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			addr += 12;
			family = AF_INET;
		}
	}
	for (i = 0; i < al->n; i++)
		if (rule_matches(&al->v[i], addr, family))
			return al->v[i].allow;
	return true;
}
