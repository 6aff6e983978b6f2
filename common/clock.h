/*
 * clock: the one source of "now" for the daemon and tools. Rules never call
 * it; they take now as an argument. A build configured with
 * --enable-test-clock honours JPKID_TEST_CLOCK=<unix seconds> (or an offset
 * "+N"/"-N" seconds) so tests can pin it; a normal build has no such switch.
 */
#ifndef JPKI_CLOCK_H
#define JPKI_CLOCK_H

#include <stdint.h>
#include <time.h>

time_t		clock_now(void);
/* Monotonic milliseconds, for latencies and deadlines only. */
uint64_t	clock_mono_ms(void);
/* Monotonic microseconds. */
uint64_t	clock_mono_us(void);

#endif
