#define _GNU_SOURCE
#include "csystem.h"
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <errno.h>

int csys_errno(void) { return errno; }
int csys_set_nice(int inc) { return nice(inc); }

int csys_accept_nonblock(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

#include <string.h>

int csys_recv_batch(int fd, csys_datagram *msgs, int n) {
    struct mmsghdr hdr[64];
    struct iovec iov[64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = msgs[i].buf;
        iov[i].iov_len = msgs[i].cap;
        memset(&hdr[i].msg_hdr, 0, sizeof(hdr[i].msg_hdr));
        hdr[i].msg_hdr.msg_iov = &iov[i];
        hdr[i].msg_hdr.msg_iovlen = 1;
        hdr[i].msg_hdr.msg_name = &msgs[i].addr;
        hdr[i].msg_hdr.msg_namelen = sizeof(msgs[i].addr);
    }
    int r = recvmmsg(fd, hdr, (unsigned)n, MSG_DONTWAIT, NULL);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
    for (int i = 0; i < r; i++) {
        msgs[i].len = hdr[i].msg_len;
        msgs[i].addrlen = hdr[i].msg_hdr.msg_namelen;
    }
    return r;
}

int csys_send_batch(int fd, csys_datagram *msgs, int n) {
    struct mmsghdr hdr[64];
    struct iovec iov[64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = msgs[i].buf;
        iov[i].iov_len = msgs[i].len;
        memset(&hdr[i].msg_hdr, 0, sizeof(hdr[i].msg_hdr));
        hdr[i].msg_hdr.msg_iov = &iov[i];
        hdr[i].msg_hdr.msg_iovlen = 1;
        hdr[i].msg_hdr.msg_name = &msgs[i].addr;
        hdr[i].msg_hdr.msg_namelen = msgs[i].addrlen;
    }
    return sendmmsg(fd, hdr, (unsigned)n, MSG_DONTWAIT);
}

void csys_set_socket_buffers(int fd, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}
