/*
 * A client connection's byte I/O, plain or over TLS.  Every function is
 * non-blocking: on EAGAIN, c->want says which poll event to wait for (TLS
 * may need to write in order to read, and the other way round).
 */
#ifndef PORTICO_IO_H
#define PORTICO_IO_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "wait.h"

struct conn;

ssize_t	io_read(struct conn *, void *, size_t);
ssize_t	io_write(struct conn *, const void *, size_t);
ssize_t	io_writev(struct conn *, struct iovec *, int, int flags);
ssize_t	io_sendfile(struct conn *, int fd, off_t *off, size_t);
bool	io_buffered(const struct conn *);
bool	io_closed(struct conn *);
bool	io_quiet(struct conn *);
enum wait_result io_wait(struct conn *, long long timeout, enum wait_mode);
void	io_linger(struct conn *);
void	io_close(struct conn *);

#endif
