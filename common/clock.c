/*
 * clock: the one "now". With --enable-test-clock, JPKID_TEST_CLOCK pins it:
 * "<unix seconds>" for an absolute instant, "+N"/"-N" for an offset from the
 * real clock. Read on every call so a test can change it between requests
 * (through the environment of a restarted daemon or of a test process).
 */
#include <config.h>

#include <stdlib.h>
#include <time.h>

#include "common/clock.h"

time_t
clock_now(void)
{
	time_t now = time(NULL);
#ifdef JPKID_TEST_CLOCK
	const char *s = getenv("JPKID_TEST_CLOCK");
	char *end;
	long long v;

	if (s != NULL && *s != '\0') {
		v = strtoll(s, &end, 10);
		if (*end == '\0')
			return (*s == '+' || *s == '-') ? now + (time_t)v : (time_t)v;
	}
#endif
	return now;
}

uint64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
clock_mono_ms(void)
{
	return clock_mono_us() / 1000u;
}
