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

#include <netinet/in.h>

/* Room for one IP_PKTINFO or IPV6_PKTINFO message (and an IP_PKTINFO one
 * next to it on dual-stack sockets). */
#define CSYS_CMSG_SPACE (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)))

static void read_local(struct msghdr *h, csys_local *out) {
    out->family = 0;
    out->ifindex = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            out->family = AF_INET6;
            out->ifindex = (int32_t)info.ipi6_ifindex;
            memcpy(out->addr, &info.ipi6_addr, 16);
            return; /* preferred: on a dual-stack socket it is v4-mapped for IPv4 peers */
        }
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            out->family = AF_INET;
            out->ifindex = (int32_t)info.ipi_ifindex;
            memset(out->addr, 0, 16);
            memcpy(out->addr, &info.ipi_addr, 4);
        }
    }
}

int csys_recv_batch(int fd, csys_datagram *msgs, int n) {
    struct mmsghdr hdr[64];
    struct iovec iov[64];
    union { char buf[CSYS_CMSG_SPACE]; struct cmsghdr align; } ctrl[64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = msgs[i].buf;
        iov[i].iov_len = msgs[i].cap;
        memset(&hdr[i].msg_hdr, 0, sizeof(hdr[i].msg_hdr));
        hdr[i].msg_hdr.msg_iov = &iov[i];
        hdr[i].msg_hdr.msg_iovlen = 1;
        hdr[i].msg_hdr.msg_name = &msgs[i].addr;
        hdr[i].msg_hdr.msg_namelen = sizeof(msgs[i].addr);
        hdr[i].msg_hdr.msg_control = ctrl[i].buf;
        hdr[i].msg_hdr.msg_controllen = sizeof(ctrl[i].buf);
    }
    int r = recvmmsg(fd, hdr, (unsigned)n, MSG_DONTWAIT, NULL);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
    for (int i = 0; i < r; i++) {
        msgs[i].len = hdr[i].msg_len;
        msgs[i].addrlen = hdr[i].msg_hdr.msg_namelen;
        read_local(&hdr[i].msg_hdr, &msgs[i].local);
    }
    return r;
}

static int is_v4_mapped(const uint8_t *a) {
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, 12) == 0;
}

/* Writes the source-address control message of `local` for a socket whose
 * peer address has family `peer_family`; returns its length (0: none). */
static size_t write_source(char *buf, const csys_local *local, sa_family_t peer_family) {
    struct msghdr h;
    memset(&h, 0, sizeof(h));
    h.msg_control = buf;
    h.msg_controllen = CSYS_CMSG_SPACE;
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    if (peer_family == AF_INET6) {
        /* Dual-stack socket: IPV6_PKTINFO with a v4-mapped source works for IPv4 peers too. */
        struct in6_pktinfo info;
        memset(&info, 0, sizeof(info));
        if (local->family == AF_INET6) {
            memcpy(&info.ipi6_addr, local->addr, 16);
        } else {
            info.ipi6_addr.s6_addr[10] = 0xff;
            info.ipi6_addr.s6_addr[11] = 0xff;
            memcpy(&info.ipi6_addr.s6_addr[12], local->addr, 4);
        }
        /* The interface matters only for link-local sources (fe80::/10). */
        if (info.ipi6_addr.s6_addr[0] == 0xfe && (info.ipi6_addr.s6_addr[1] & 0xc0) == 0x80)
            info.ipi6_ifindex = (unsigned)local->ifindex;
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(info));
        memcpy(CMSG_DATA(c), &info, sizeof(info));
        return CMSG_SPACE(sizeof(info));
    }
    struct in_pktinfo info;
    memset(&info, 0, sizeof(info));
    if (local->family == AF_INET6) {
        if (!is_v4_mapped(local->addr)) return 0;
        memcpy(&info.ipi_spec_dst, local->addr + 12, 4);
    } else {
        memcpy(&info.ipi_spec_dst, local->addr, 4);
    }
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    memcpy(CMSG_DATA(c), &info, sizeof(info));
    return CMSG_SPACE(sizeof(info));
}

int csys_send_batch(int fd, csys_datagram *msgs, int n) {
    struct mmsghdr hdr[64];
    struct iovec iov[64];
    union { char buf[CSYS_CMSG_SPACE]; struct cmsghdr align; } ctrl[64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = msgs[i].buf;
        iov[i].iov_len = msgs[i].len;
        memset(&hdr[i].msg_hdr, 0, sizeof(hdr[i].msg_hdr));
        hdr[i].msg_hdr.msg_iov = &iov[i];
        hdr[i].msg_hdr.msg_iovlen = 1;
        hdr[i].msg_hdr.msg_name = &msgs[i].addr;
        hdr[i].msg_hdr.msg_namelen = msgs[i].addrlen;
        if (msgs[i].local.family != 0) {
            size_t len = write_source(ctrl[i].buf, &msgs[i].local, msgs[i].addr.ss_family);
            if (len > 0) {
                hdr[i].msg_hdr.msg_control = ctrl[i].buf;
                hdr[i].msg_hdr.msg_controllen = len;
            }
        }
    }
    return sendmmsg(fd, hdr, (unsigned)n, MSG_DONTWAIT);
}

int csys_enable_pktinfo(int fd, int family) {
    int one = 1;
    if (family == AF_INET6) {
        /* On a dual-stack socket this also reports IPv4 arrivals, v4-mapped. */
        return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    }
    return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
}

void csys_set_socket_buffers(int fd, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}
