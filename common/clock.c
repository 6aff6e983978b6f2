/*
 * clock: the one "now". With --enable-test-clock, JPKID_TEST_CLOCK pins it:
 * "<unix seconds>" for an absolute instant, "+N"/"-N" for an offset from the
 * real clock; "@/path" reads one of those forms from the file at every call,
 * so a test can move a running daemon's clock (next day for R13's second
 * visit, the R8 renewal window) by rewriting the file. A normal build has
 * none of this.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

time_t
clock_now(void)
{
	time_t now = time(NULL);
#ifdef JPKID_TEST_CLOCK
	const char *s = getenv("JPKID_TEST_CLOCK");
	char *end, buf[64];
	long long v;
	FILE *f;

	if (s != NULL && *s == '@') {
		buf[0] = '\0';
		if ((f = fopen(s + 1, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) == NULL)
				buf[0] = '\0';
			fclose(f);
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		s = buf;
	}
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
