#define _GNU_SOURCE
#include "csystem.h"
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>

int csys_errno(void) { return errno; }
int csys_set_nice(int inc) { return nice(inc); }

int csys_accept_nonblock(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
