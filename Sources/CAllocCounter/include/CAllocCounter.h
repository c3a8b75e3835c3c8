// Counts heap allocations made by the calling thread, for tests that prove
// a code path allocates nothing (issue 6: no allocation per forwarded packet).
//
// Linking this target into a binary interposes malloc, calloc, realloc,
// posix_memalign, aligned_alloc, memalign and valloc (glibc documents this
// as "Replacing malloc"); every call is forwarded to glibc's own
// implementation (__libc_malloc and friends), and counted only while the
// calling thread has counting enabled. free is not replaced.
#ifndef C_ALLOC_COUNTER_H
#define C_ALLOC_COUNTER_H
#include <stdint.h>

/// Starts counting this thread's allocations from zero.
void alloc_counter_start(void);
/// Stops counting and returns the number of allocations since the start.
uint64_t alloc_counter_stop(void);
#endif
