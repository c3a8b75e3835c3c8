#ifndef SFU_CSRTP_SHIM_H
#define SFU_CSRTP_SHIM_H
// libsrtp2 (Debian's build, NSS crypto backend). See ../shared/notes/swift-c-interop.md.
#include <srtp2/srtp.h>
#endif
