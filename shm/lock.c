/*
 * Robust, process-shared pthread mutexes (PTHREAD_MUTEX_ROBUST): the kernel
 * hands a dead owner's lock to the next waiter with EOWNERDEAD, and
 * pthread_mutex_consistent makes it usable again.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "lock.h"
#include "log.h"

int
shm_lock_init(struct shm_lock *l)
{
	pthread_mutexattr_t a;
	int rc;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	rc = pthread_mutex_init(&l->m, &a);
	pthread_mutexattr_destroy(&a);
	return rc;
}

bool
shm_lock(struct shm_lock *l)
{
	int rc = pthread_mutex_lock(&l->m);

	if (rc == 0)
		return false;
	if (rc == EOWNERDEAD) {
		logmsg(LV_WARN, "a shared lock's owner died holding it; recovered");
		pthread_mutex_consistent(&l->m);
		return true;
	}
	fatal("pthread_mutex_lock() on a shared lock failed: %s", strerror(rc));
}

void
shm_unlock(struct shm_lock *l)
{
	pthread_mutex_unlock(&l->m);
}
