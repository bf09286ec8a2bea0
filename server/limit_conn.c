/*
 * nginx's limit_conn, in its preaccess phase: once a location is chosen
 * (and after its return), each limit of the location counts the request
 * under its zone's key; a key at its limit answers limit_conn_status and
 * gives back what this request counted so far.  The counts are held until
 * the request ends (an HTTP/2 stream is a request of its own), and
 * counted once per request, whatever internal redirects follow.  An empty
 * key is not counted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "conn_zone.h"
#include "http.h"
#include "limit_conn.h"
#include "log.h"
#include "request.h"
#include "shm.h"
#include "tmpl.h"

struct limit_hold {
	struct conn_zone	*zone;
	uint32_t		 node;
};

/* Give every limit_conn_zone its shared zone, kept across reloads while
 * its name and size stay (master only). */
int
limit_conn_bind(struct config *cf, uint32_t gen)
{
	const struct limit_zones *zs = &cf->main.limit_zones;
	struct limit_zone *z;
	char name[80];
	bool fresh;
	size_t i;

	for (i = 0; i < zs->n; i++) {
		z = &zs->v[i];
		snprintf(name, sizeof(name), "limit_conn:%s", z->name);
		if ((z->shm = shm_zone(name, (size_t)z->size, gen, &fresh)) == NULL)
			return -1;
		if (fresh && cz_init(z->shm, (size_t)z->size, z->key->src) != 0) {
			logmsg(LV_EMERG, "limit_conn_zone \"%s\" could not be set up",
			    z->name);
			return -1;
		}
		if (!fresh && strncmp(z->shm->text, z->key->src, CZ_TEXT_MAX - 1) != 0) {
			logmsg(LV_EMERG, "limit_conn_zone \"%s\" uses the \"%s\" key "
			    "while previously it used the \"%s\" key", z->name,
			    z->key->src, z->shm->text);
			return -1;
		}
	}
	return 0;
}

static void
log_refusal(struct request *r, const struct limit_conn *l, enum cz_result rc)
{
	switch (rc) {
	case CZ_REJECTED:
		req_log(r, r->sc->limit_conn_log_level, 0,
		    "limiting connections by zone \"%s\"", l->zone->name);
		break;
	case CZ_FULL:
		req_log(r, LV_CRIT, 0, "could not allocate node in limit_conn_zone "
		    "\"%s\"", l->zone->name);
		break;
	default:
		req_log(r, LV_ERROR, 0, "too many limit_conn keys counted by one "
		    "worker for zone \"%s\"", l->zone->name);
	}
}

/* 0 when every limit of the location lets the request in, else the
 * status to answer with. */
int
limit_conn_check(struct request *r)
{
	const struct limit_conns *lc = &r->sc->limit_conn;
	const struct limit_conn *l;
	enum cz_result rc;
	uint32_t node;
	size_t i, len;
	char *key;

	if (r->limit_conn_done || lc->n == 0)
		return 0;
	r->limit_holds = pool_alloc(r->pool, sizeof(*r->limit_holds) * lc->n);
	for (i = 0; i < lc->n; i++) {
		l = &lc->v[i];
		key = tmpl_eval_str(l->zone->key, r, &len);
		if (len == 0)
			continue;
		if (len > CZ_KEY_MAX) {
			req_log(r, LV_ERROR, 0, "the value of the \"%s\" key is more than "
			    "%d bytes: \"%s\"", l->zone->key->src, CZ_KEY_MAX,
			    req_escape(r, key, len));
			continue;
		}
		r->limit_conn_done = true;
		rc = cz_acquire(l->zone->shm, key, len, l->conn, &node);
		if (rc == CZ_PASSED) {
			r->limit_holds[r->nlimit_holds++] =
			    (struct limit_hold){ l->zone->shm, node };
			continue;
		}
		log_refusal(r, l, rc);
		limit_conn_release(r);
		return (int)r->sc->limit_conn_status;
	}
	return 0;
}

/* The request ended: give back its counts. */
void
limit_conn_release(struct request *r)
{
	struct limit_hold *h;

	while (r->nlimit_holds > 0) {
		h = &r->limit_holds[--r->nlimit_holds];
		cz_release(h->zone, h->node);
	}
}
