/*
 * A least-recently-used list threaded by index through an array of nodes
 * in a shared zone, most recent at the head: the TLS session cache's slots
 * and the proxy cache's index.  Indexes, not pointers, keep the nodes
 * small; LRU_NIL ends the list.
 */
#ifndef PORTICO_LRU_H
#define PORTICO_LRU_H

#include <stddef.h>
#include <stdint.h>

#define LRU_NIL		UINT32_MAX

struct lru {
	uint32_t	 head;		/* most recently used */
	uint32_t	 tail;
};

struct lru_link {
	uint32_t	 prev;
	uint32_t	 next;
};

/* The nodes: node i's link is at base + i * stride. */
struct lru_nodes {
	char		*base;
	size_t		 stride;
};

/* The lru_nodes of array a whose elements hold their link in member m. */
#define LRU_NODES(a, m)	\
	((struct lru_nodes){ (char *)&(a)[0].m, sizeof((a)[0]) })

static inline struct lru_link *
lru_at(struct lru_nodes n, uint32_t i)
{
	return (struct lru_link *)(void *)(n.base + (size_t)i * n.stride);
}

static inline void
lru_init(struct lru *l)
{
	l->head = l->tail = LRU_NIL;
}

static inline void
lru_unlink(struct lru *l, struct lru_nodes n, uint32_t i)
{
	struct lru_link *k = lru_at(n, i);

	if (k->prev != LRU_NIL)
		lru_at(n, k->prev)->next = k->next;
	else
		l->head = k->next;
	if (k->next != LRU_NIL)
		lru_at(n, k->next)->prev = k->prev;
	else
		l->tail = k->prev;
}

static inline void
lru_front(struct lru *l, struct lru_nodes n, uint32_t i)
{
	struct lru_link *k = lru_at(n, i);

	k->prev = LRU_NIL;
	k->next = l->head;
	if (l->head != LRU_NIL)
		lru_at(n, l->head)->prev = i;
	l->head = i;
	if (l->tail == LRU_NIL)
		l->tail = i;
}

#endif
