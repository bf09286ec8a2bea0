/*
 * A proxy cache's files (cache_file.c).  Each entry is one file under the
 * cache directory, named by the hex of its key hash in nginx's levels
 * (levels=1:2: c/29/b7f5...029c), holding a header block and the body:
 *
 *   struct cache_file_head   magic, freshness, hashes, lengths, checksum
 *   key                      the cache key as evaluated
 *   vary                     the answer's Vary names ("" = none)
 *   head                     the upstream's response head, as received
 *   body                     the response body, decoded
 *
 * A file is written without a name (O_TMPFILE in its own directory) and
 * named by a rename only when complete, so a reader never sees half an
 * entry and a writer that dies leaves nothing behind.  A file that is not
 * exactly what its header says (magic, checksum, length) is corrupt: the
 * caller treats it as a miss.
 */
#ifndef PORTICO_CACHE_FILE_H
#define PORTICO_CACHE_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache_index.h"
#include "str.h"

struct cache_path;

#define CACHE_FILE_MAGIC	0x31656370u	/* "pce1" */

struct cache_file_head {
	uint32_t	 magic;
	uint32_t	 crc;		/* of the block after this field */
	int64_t		 valid_until;	/* wall ms, as stored */
	int64_t		 stored;	/* wall ms */
	uint8_t		 key[CI_KEY];	/* the index key: the key's hash or a variant */
	uint8_t		 variant[CI_KEY];	/* with vary: the variant it answers */
	uint64_t	 body_len;
	uint32_t	 head_len;
	uint16_t	 key_len;
	uint16_t	 vary_len;
};

/* An entry file opened for reading.  fd belongs to the worker's table of
 * open entries: the caller must not close it.  mem is the whole file when
 * it is no larger than file_memory_max, so a hit goes out in one write;
 * else NULL. */
struct cache_entry {
	int			 fd;
	struct cache_file_head	 h;
	struct str		 key;
	struct str		 vary;
	struct str		 head;
	long long		 body_start;
	const char		*mem;
};

/* A file being written. */
struct cache_writer {
	int		 fd;		/* -1: none */
	char		 path[PATH_MAX];	/* its name once complete */
	long long	 off;		/* where the next body byte goes */
	bool		 failed;	/* a write failed: it will not be kept */
};

/* configuration time */
int	cache_dir_prepare(const char *path, uid_t, gid_t, const gid_t *groups,
	    int ngroups, char *why, size_t);

/* the block before the body */
size_t	cache_block_size(size_t key_len, size_t vary_len, size_t head_len);
void	cache_block_fill(char *block, struct cache_file_head *, struct str key,
	    struct str vary, struct str head);

/* reading */
void	cache_file_name(const struct cache_path *, const uint8_t *key, char *out,
	    size_t);
void	cache_entries_setup(size_t memory_max);
int	cache_entry_open(const struct cache_path *, const uint8_t *key,
	    const struct ci_view *, struct cache_entry *);
int	cache_entry_stat(const struct cache_path *, const uint8_t *key,
	    struct ci_entry *);
bool	cache_entries_expire(void);
void	cache_file_delete(const struct cache_path *, const uint8_t *key);

/* writing */
int	cache_writer_open(struct cache_writer *, const struct cache_path *,
	    const uint8_t *key, size_t block_len);
void	cache_writer_body(struct cache_writer *, const char *, size_t);
int	cache_writer_commit(struct cache_writer *, char *block, size_t len,
	    uint64_t body_len, struct ci_entry *);
void	cache_writer_abort(struct cache_writer *);

/* the loader: fn returns non-zero to stop the walk */
typedef int (*cache_file_fn)(void *arg, const uint8_t *key, const char *path);
int	cache_dir_walk(const struct cache_path *, cache_file_fn, void *arg);

#endif
