/*
 * A worker process: accepts one connection at a time on the listening
 * sockets it inherited and serves it to the end.
 */
#ifndef PORTICO_WORKER_H
#define PORTICO_WORKER_H

struct config;

void	worker_main(struct config *, int slot, int notify_fd)
	    __attribute__((noreturn));

#endif
