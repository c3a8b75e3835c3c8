#ifndef SFU_CSYSTEM_H
#define SFU_CSYSTEM_H
// System calls that Glibc's Swift module does not expose (epoll, eventfd,
// timerfd). Never define _GNU_SOURCE here: see ../shared/notes/swift-c-interop.md.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>

/// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC (accept4 needs _GNU_SOURCE, which lives in the .c file).
int csys_accept_nonblock(int fd, struct sockaddr *addr, socklen_t *len);
/// errno of the calling thread (Swift cannot read the errno macro portably).
int csys_errno(void);
/// Raises this thread's scheduling niceness (low-priority background work).
int csys_set_nice(int inc);
#endif
