/*
 * The reload verdict page beside the pid file (verdict.c): the master
 * writes it, `portico -s reload` reads it.
 */
#ifndef PORTICO_VERDICT_H
#define PORTICO_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define VERDICT_ERRORS	4056	/* bytes of error lines a verdict keeps */

struct verdict {
	uint64_t	 done;
	uint32_t	 generation;
	bool		 failed;
	char		 errors[VERDICT_ERRORS];
};

/* master */
int	 verdict_create(const char *pidfile, uint32_t generation);
uint64_t verdict_begin(void);
void	 verdict_publish(uint64_t n, uint32_t generation, bool failed,
	    const char *errors);
void	 verdict_stopping(void);
void	 verdict_remove(void);
void	 verdict_close(void);

/* command line */
int	 verdict_attach(const char *pidfile, pid_t master);
uint64_t verdict_begun(void);
int	 verdict_poll(uint64_t after, struct verdict *);

#endif
