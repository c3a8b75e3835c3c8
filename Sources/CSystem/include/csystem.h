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

/// One datagram of a batch: a caller-owned buffer and the peer address.
typedef struct csys_datagram {
    void *buf;
    uint32_t len;      /* bytes received / to send */
    uint32_t cap;      /* capacity of buf (receive) */
    struct sockaddr_storage addr;
    socklen_t addrlen;
} csys_datagram;

/// recvmmsg(2) into up to n datagrams (n <= 64); returns the count, 0 when
/// nothing is pending, or -1 with errno.
int csys_recv_batch(int fd, csys_datagram *msgs, int n);
/// sendmmsg(2) of up to n datagrams (n <= 64) to their addresses; returns
/// how many were sent or -1 with errno.
int csys_send_batch(int fd, csys_datagram *msgs, int n);
/// Sets SO_RCVBUF/SO_SNDBUF, trying the privileged FORCE variants first.
void csys_set_socket_buffers(int fd, int bytes);
#endif
