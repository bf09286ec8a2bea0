/*
 * A spool: a FIFO of response bytes between an upstream and a client, in
 * memory up to a bound, then (when buffering) in an unlinked temporary
 * file, so a slow client never holds an upstream and a large response
 * never grows a worker's memory.
 */
#ifndef PORTICO_SPOOL_H
#define PORTICO_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

struct spool {
	char		*mem;
	size_t		 r;		/* unread bytes are mem[r, w) */
	size_t		 w;
	bool		 buffering;	/* may spill to a file */
	int		 fd;		/* the temporary file, -1 none */
	long long	 fr;		/* unread file bytes are [fr, fw) */
	long long	 fw;
	bool		 failed;	/* the file could not be written */
};

void	spool_init(struct spool *, bool buffering);
size_t	spool_room(const struct spool *);
void	spool_put(struct spool *, const char *, size_t);
size_t	spool_get(struct spool *, const char **);
void	spool_take(struct spool *, size_t);
bool	spool_empty(const struct spool *);
void	spool_free(struct spool *);

#endif
