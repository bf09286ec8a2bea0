/*
 * allow/deny lists: first match wins, IPv4 and IPv6 prefixes, "all", an
 * IPv4 client on an IPv6 socket matched as IPv4, and an empty list allows.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "conf_int.h"
#include "http.h"
#include "tap.h"

/* Rules as "allow 10.0.0.0/8", parsed with parse_cidr. */
static struct access_list *
list(const char *first, ...)
{
	static struct access_rule rules[16];
	static struct access_list al;
	va_list ap;
	const char *s;
	size_t n = 0;

	memset(rules, 0, sizeof(rules));
	va_start(ap, first);
	for (s = first; s != NULL && n < 16; s = va_arg(ap, const char *)) {
		struct access_rule *r = &rules[n++];
		r->allow = strncmp(s, "allow ", 6) == 0;
		if (parse_cidr(s + (r->allow ? 6 : 5), r) != 0)
			printf("# bad rule in the test: %s\n", s);
	}
	va_end(ap);
	al.v = rules;
	al.n = n;
	return &al;
}

static struct sockaddr_storage *
client(const char *addr)
{
	static struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		printf("# bad address in the test: %s\n", addr);
	return &ss;
}

#define ALLOWED(al, addr, name)	ok(access_allowed(al, client(addr)), "%s", name)
#define DENIED(al, addr, name)	ok(!access_allowed(al, client(addr)), "%s", name)

int
main(void)
{
	struct access_list empty = { NULL, 0 }, *al;

	ALLOWED(&empty, "10.0.0.1", "an empty list allows IPv4");
	ALLOWED(&empty, "::1", "an empty list allows IPv6");

	al = list("deny 10.0.0.1", "allow 10.0.0.0/8", "deny all", NULL);
	DENIED(al, "10.0.0.1", "first rule: denied");
	ALLOWED(al, "10.2.3.4", "second rule: allowed");
	DENIED(al, "11.0.0.1", "no prefix matches: deny all");
	DENIED(al, "::1", "deny all covers IPv6");

	al = list("allow all", "deny 10.0.0.1", NULL);
	ALLOWED(al, "10.0.0.1", "first match wins: allow all before deny");

	al = list("deny 192.168.1.0/24", NULL);
	DENIED(al, "192.168.1.200", "deny /24 matches");
	ALLOWED(al, "192.168.2.1", "deny /24 does not match outside; the default "
	    "is allow");

	al = list("allow 10.0.0.0/12", "deny all", NULL);
	ALLOWED(al, "10.15.255.255", "/12: the last address inside");
	DENIED(al, "10.16.0.0", "/12: the first address outside");
	ALLOWED(al, "10.0.0.0", "/12: the first address inside");
	DENIED(al, "9.255.255.255", "/12: the address before");

	al = list("allow 1.2.3.4/31", "deny all", NULL);
	ALLOWED(al, "1.2.3.5", "/31 includes its pair");
	DENIED(al, "1.2.3.6", "/31 excludes the next");

	al = list("deny 0.0.0.0/0", NULL);
	DENIED(al, "203.0.113.9", "0.0.0.0/0 matches every IPv4 client");
	ALLOWED(al, "2001:db8::1", "0.0.0.0/0 does not match IPv6");

	al = list("allow 2001:db8::/32", "deny all", NULL);
	ALLOWED(al, "2001:db8:ffff::1", "IPv6 /32 inside");
	DENIED(al, "2001:db9::1", "IPv6 /32 outside");
	DENIED(al, "10.0.0.1", "an IPv6 rule does not match IPv4");

	al = list("allow 2001:db8::/33", "deny all", NULL);
	ALLOWED(al, "2001:db8:7fff::1", "IPv6 /33 inside");
	DENIED(al, "2001:db8:8000::1", "IPv6 /33 outside");

	al = list("deny ::1", NULL);
	DENIED(al, "::1", "IPv6 /128 exact");
	ALLOWED(al, "::2", "IPv6 /128 other");

	al = list("deny ::/0", NULL);
	DENIED(al, "fe80::1", "::/0 matches IPv6");
	ALLOWED(al, "127.0.0.1", "::/0 does not match IPv4");

	al = list("deny 127.0.0.1", NULL);
	ALLOWED(al, "::1", "an IPv4 rule does not match IPv6 ::1");

	/* IPv4-mapped IPv6 clients are matched as IPv4 */
	al = list("deny 10.0.0.0/8", NULL);
	DENIED(al, "::ffff:10.1.2.3", "v4-mapped client matched by an IPv4 rule");
	ALLOWED(al, "::ffff:11.1.2.3", "v4-mapped client outside the IPv4 rule");
	al = list("allow 10.0.0.0/8", "deny all", NULL);
	ALLOWED(al, "::ffff:10.0.0.1", "v4-mapped client allowed by an IPv4 rule");
	DENIED(al, "::ffff:192.168.0.1", "v4-mapped client denied by deny all");
	al = list("deny ::ffff:0:0/96", NULL);
	ALLOWED(al, "::ffff:10.0.0.1", "v4-mapped client is not matched by "
	    "IPv6 rules (nginx)");
	al = list("deny 0.0.0.10/32", NULL);
	ALLOWED(al, "::10", "an IPv6 address ending like an IPv4 one is not mapped");
	return done_testing();
}
