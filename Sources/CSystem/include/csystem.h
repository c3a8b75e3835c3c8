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

/// The local end of a datagram: the address it arrived on (IP_PKTINFO /
/// IPV6_PKTINFO) and the interface. family 0 means "unknown: let the kernel
/// choose the source". IPv4 addresses on a dual-stack socket are stored
/// v4-mapped (::ffff:a.b.c.d), as the socket reports them.
typedef struct csys_local {
    uint32_t family;   /* 0, AF_INET or AF_INET6 */
    int32_t ifindex;
    uint8_t addr[16];  /* 4 bytes used for AF_INET */
} csys_local;

/// One datagram of a batch: a caller-owned buffer, the peer address and the
/// local address (received: where it arrived; sent: the source to use).
typedef struct csys_datagram {
    void *buf;
    uint32_t len;      /* bytes received / to send */
    uint32_t cap;      /* capacity of buf (receive) */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    csys_local local;
} csys_datagram;

/// recvmmsg(2) into up to n datagrams (n <= 64); returns the count, 0 when
/// nothing is pending, or -1 with errno. Fills `local` from the packet-info
/// control message when the socket has it enabled (csys_enable_pktinfo).
int csys_recv_batch(int fd, csys_datagram *msgs, int n);
/// sendmmsg(2) of up to n datagrams (n <= 64) to their addresses; returns
/// how many were sent or -1 with errno. A datagram whose `local.family` is
/// set leaves from that address (one IP_PKTINFO/IPV6_PKTINFO control
/// message each, built on the stack: no allocation).
int csys_send_batch(int fd, csys_datagram *msgs, int n);
/// Asks for the local address of every received datagram: IP_PKTINFO on
/// IPv4 sockets, IPV6_RECVPKTINFO (and IP_PKTINFO for v4-mapped peers) on
/// IPv6 ones. Returns 0 or -1 with errno.
int csys_enable_pktinfo(int fd, int family);
/// Sets SO_RCVBUF/SO_SNDBUF, trying the privileged FORCE variants first.
void csys_set_socket_buffers(int fd, int bytes);
#endif
