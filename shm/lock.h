/*
 * Process-shared robust locks.  A worker killed while holding one does not
 * stall the others: the next locker gets the lock with a flag saying the
 * data it guards may be half-updated, and repairs it.
 */
#ifndef PORTICO_SHM_LOCK_H
#define PORTICO_SHM_LOCK_H

#include <pthread.h>
#include <stdbool.h>

struct shm_lock {
	pthread_mutex_t	m;
};

int	shm_lock_init(struct shm_lock *);
bool	shm_lock(struct shm_lock *);	/* true: the previous owner died */
void	shm_unlock(struct shm_lock *);

#endif
