/*
 * Creating the shared segment and allocating named zones in it.  The arena
 * is a first-fit free list of page-aligned blocks kept sorted by offset so
 * that freed neighbours merge.  A freed block's pages are handed back to the
 * kernel (MADV_REMOVE), so a new zone starts zeroed without a memset that
 * would touch every page.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "shm.h"

struct shm_header *shm;

struct free_block {
	size_t	size;
	size_t	next;		/* offset of the next free block, 0 = end */
};

#define AT(off)		((void *)((char *)shm + (off)))
#define ROUND(n)	(((n) + SHM_PAGE - 1) & ~(size_t)(SHM_PAGE - 1))

int
shm_create(size_t arena_size)
{
	size_t head = ROUND(sizeof(struct shm_header));
	size_t size = head + ROUND(arena_size);
	struct free_block *fb;
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		log_errno(LV_EMERG, errno, "mmap() of a %zu byte shared segment failed",
		    size);
		return -1;
	}
	shm = p;
	shm->magic = SHM_MAGIC;
	shm->size = size;
	shm->arena = head;
	shm->free_head = head;
	fb = AT(head);
	fb->size = size - head;
	fb->next = 0;
	if (shm_lock_init(&shm->lock) != 0) {
		shm_destroy();
		return -1;
	}
	return 0;
}

void
shm_destroy(void)
{
	if (shm != NULL)
		munmap(shm, shm->size);
	shm = NULL;
}

static size_t
arena_alloc(size_t size)
{
	size_t *link = &shm->free_head, off;
	struct free_block *fb, *rest;

	size = ROUND(size);
	for (; *link != 0; link = &fb->next) {
		fb = AT(*link);
		if (fb->size < size)
			continue;
		off = *link;
		if (fb->size == size) {
			*link = fb->next;
		} else {
			rest = AT(off + size);
			rest->size = fb->size - size;
			rest->next = fb->next;
			*link = off + size;
		}
		/* The free-list header sat in the zone's first page. */
		memset(AT(off), 0, sizeof(struct free_block));
		return off;
	}
	return 0;
}

static void
arena_free(size_t off, size_t size)
{
	size_t *link = &shm->free_head;
	struct free_block *fb, *prev = NULL, *nb;

	size = ROUND(size);
	madvise(AT(off), size, MADV_REMOVE);
	while (*link != 0 && *link < off) {
		prev = AT(*link);
		link = &prev->next;
	}
	nb = AT(off);
	nb->size = size;
	nb->next = *link;
	*link = off;
	if (nb->next != 0 && off + size == nb->next) {	/* merge with next */
		fb = AT(nb->next);
		nb->size += fb->size;
		nb->next = fb->next;
		madvise(fb, sizeof(*fb), MADV_REMOVE);
	}
	if (prev != NULL && (size_t)((char *)prev - (char *)shm) + prev->size == off) {
		prev->size += nb->size;
		prev->next = nb->next;
		madvise(nb, sizeof(*nb), MADV_REMOVE);
	}
}

static struct shm_zone *
zone_lookup(const char *name)
{
	int i;

	for (i = 0; i < SHM_ZONES_MAX; i++)
		if (shm->zones[i].size != 0 && strcmp(shm->zones[i].name, name) == 0)
			return &shm->zones[i];
	return NULL;
}

static struct shm_zone *
zone_unused(void)
{
	int i;

	for (i = 0; i < SHM_ZONES_MAX; i++)
		if (shm->zones[i].size == 0)
			return &shm->zones[i];
	return NULL;
}

/*
 * The zone called name, of size bytes, for configuration generation gen.
 * An existing zone of the same name and size is kept (*fresh = false);
 * one whose size changed is replaced by a new, zeroed zone.
 */
void *
shm_zone(const char *name, size_t size, uint32_t gen, bool *fresh)
{
	struct shm_zone *z = zone_lookup(name), *slot;
	size_t off;

	if (z != NULL && z->size == ROUND(size)) {
		z->gen = gen;
		if (fresh != NULL)
			*fresh = false;
		return AT(z->off);
	}
	slot = zone_unused();
	if (size == 0 || slot == NULL || strlen(name) >= sizeof(slot->name) ||
	    (off = arena_alloc(size)) == 0) {
		logmsg(LV_EMERG, "shared memory: no room for zone \"%s\" of %zu bytes",
		    name, size);
		return NULL;
	}
	/* A zone whose size changed is renamed away: old workers may still use
	 * it, so it is freed with its generation. */
	if (z != NULL)
		snprintf(z->name, sizeof(z->name), "(retired)");
	snprintf(slot->name, sizeof(slot->name), "%s", name);
	slot->off = off;
	slot->size = ROUND(size);
	slot->gen = gen;
	if (fresh != NULL)
		*fresh = true;
	return AT(off);
}

void *
shm_zone_find(const char *name)
{
	struct shm_zone *z = zone_lookup(name);

	return z != NULL ? AT(z->off) : NULL;
}

/* The zone table entry of the zone at p, -1 if none: a name for a zone
 * that stays the same while the zone lives (a retired zone keeps it). */
int
shm_zone_id(const void *p)
{
	size_t off = (size_t)((const char *)p - (const char *)shm);
	int i;

	for (i = 0; i < SHM_ZONES_MAX; i++)
		if (shm->zones[i].size != 0 && shm->zones[i].off == off)
			return i;
	return -1;
}

void *
shm_zone_at(int id)
{
	if (id < 0 || id >= SHM_ZONES_MAX || shm->zones[id].size == 0)
		return NULL;
	return AT(shm->zones[id].off);
}

/* Free zones no live configuration uses any more (and renamed-away ones
 * once their generation is gone). */
void
shm_zones_sweep(uint32_t oldest_live_gen)
{
	int i;
	struct shm_zone *z;

	for (i = 0; i < SHM_ZONES_MAX; i++) {
		z = &shm->zones[i];
		if (z->size == 0 || z->gen >= oldest_live_gen)
			continue;
		arena_free(z->off, z->size);
		memset(z, 0, sizeof(*z));
	}
}

/* The zones in use, and their bytes in *bytes: from the zone table only,
 * which a worker may read while the master changes it (the free list it
 * may not). */
int
shm_zone_count(size_t *bytes)
{
	int i, n = 0;
	size_t size;

	*bytes = 0;
	for (i = 0; i < SHM_ZONES_MAX; i++)
		if ((size = __atomic_load_n(&shm->zones[i].size, __ATOMIC_RELAXED)) != 0) {
			n++;
			*bytes += size;
		}
	return n;
}

size_t
shm_free_bytes(void)
{
	size_t off, total = 0;
	struct free_block *fb;

	for (off = shm->free_head; off != 0; off = fb->next) {
		fb = AT(off);
		total += fb->size;
	}
	return total;
}
