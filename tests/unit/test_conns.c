/*
 * test_conns: the pure parts of daemon/conns.c (docs/network.md): which
 * connection a newcomer evicts at the per-address and total limits, when
 * the head deadline and the minimum body rate close a connection, and how
 * addresses are keyed.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "daemon/conns.h"
#include "tests/unit/testlib.h"

static unsigned char A[CONNS_ADDR_KEY], B[CONNS_ADDR_KEY];

static void
keys(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, b = { .sin_family = AF_INET };

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	inet_pton(AF_INET, "192.0.2.7", &b.sin_addr);
	conns_addr_key((struct sockaddr *)&a, sizeof(a), A);
	conns_addr_key((struct sockaddr *)&b, sizeof(b), B);
}

/* An idle flood from one address: the newcomer evicts that address's oldest waiting connection. */
START_TEST(test_per_address_limit_evicts_oldest_waiting)
{
	struct conns_view v[4] = {
		{ A, CONNS_WAITING, 300, 0 },
		{ A, CONNS_WAITING, 100, 0 },	/* oldest waiting of A */
		{ B, CONNS_WAITING, 50, 0 },	/* older, but another address */
		{ A, CONNS_BUSY, 10, 0 },	/* busy: never evicted */
	};

	keys();
	ck_assert_int_eq(conns_pick_victim(v, 4, A, 3, 100), 1);
	ck_assert_int_eq(conns_pick_victim(v, 4, B, 3, 100), -2);	/* B has room */
	ck_assert_int_eq(conns_pick_victim(v, 4, A, 4, 100), -2);	/* A has room */
	ck_assert_int_eq(conns_pick_victim(v, 4, A, 0, 100), -2);	/* 0: no per-address limit */
}
END_TEST

/* Every connection of the address has a request in flight: refused (-1). */
START_TEST(test_per_address_limit_all_busy_refused)
{
	struct conns_view v[3] = {
		{ A, CONNS_BUSY, 1, 0 },
		{ A, CONNS_BODY, 2, 0 },
		{ B, CONNS_WAITING, 3, 0 },
	};

	keys();
	ck_assert_int_eq(conns_pick_victim(v, 3, A, 2, 100), -1);
}
END_TEST

/* The total limit evicts the oldest waiting connection of any address; cut ones do not count. */
START_TEST(test_total_limit_and_cut_entries)
{
	struct conns_view v[4] = {
		{ A, CONNS_WAITING, 30, 0 },
		{ B, CONNS_WAITING, 20, 0 },
		{ B, CONNS_WAITING, 5, 1 },	/* already being closed */
		{ NULL, CONNS_WAITING, 0, 0 },	/* free slot */
	};

	keys();
	ck_assert_int_eq(conns_pick_victim(v, 4, A, 10, 2), 1);
	ck_assert_int_eq(conns_pick_victim(v, 4, A, 10, 3), -2);
	v[0].state = v[1].state = CONNS_BUSY;
	ck_assert_int_eq(conns_pick_victim(v, 4, A, 10, 2), -1);
}
END_TEST

/* The head deadline counts from accept (or the last answer); 0 is no deadline. */
START_TEST(test_head_deadline)
{
	struct conns_limits lim = { 100, 10, 3000, 100, 2000 };
	uint64_t ws = 0;
	unsigned long long wb = 0;

	ck_assert_int_eq(conns_verdict(CONNS_WAITING, 1000, &ws, &wb, 3999, &lim), 0);
	ck_assert_int_eq(conns_verdict(CONNS_WAITING, 1000, &ws, &wb, 4000, &lim), 1);
	ck_assert_int_eq(conns_verdict(CONNS_BUSY, 1000, &ws, &wb, 99999, &lim), 0);
	lim.head_timeout_ms = 0;
	ck_assert_int_eq(conns_verdict(CONNS_WAITING, 1000, &ws, &wb, 99999, &lim), 0);
}
END_TEST

/* The body rate is checked over each window: fast enough restarts it, too slow closes. */
START_TEST(test_body_rate_windows)
{
	struct conns_limits lim = { 100, 10, 3000, 100, 2000 };
	uint64_t ws = 1000;
	unsigned long long wb = 150;

	ck_assert_int_eq(conns_verdict(CONNS_BODY, 0, &ws, &wb, 2999, &lim), 0);	/* grace */
	ck_assert_int_eq(conns_verdict(CONNS_BODY, 0, &ws, &wb, 3000, &lim), 2);	/* 75 B/s */
	wb = 250;
	ck_assert_int_eq(conns_verdict(CONNS_BODY, 0, &ws, &wb, 3000, &lim), 0);	/* 125 B/s */
	ck_assert_uint_eq(ws, 3000);	/* the next window starts */
	ck_assert_uint_eq(wb, 0);
	wb = 10;	/* fast, then a stall: the next window catches it */
	ck_assert_int_eq(conns_verdict(CONNS_BODY, 0, &ws, &wb, 5000, &lim), 2);
	lim.min_body_rate = 0;
	ck_assert_int_eq(conns_verdict(CONNS_BODY, 0, &ws, &wb, 9000, &lim), 0);
}
END_TEST

/* IPv4-mapped IPv6 is the IPv4 address; the port is ignored. */
START_TEST(test_addr_key)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct sockaddr_in6 m = { .sin6_family = AF_INET6, .sin6_port = htons(2) };
	struct sockaddr_in6 o = { .sin6_family = AF_INET6 };
	unsigned char ka[CONNS_ADDR_KEY], km[CONNS_ADDR_KEY], ko[CONNS_ADDR_KEY];

	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &m.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::1", &o.sin6_addr);
	conns_addr_key((struct sockaddr *)&a, sizeof(a), ka);
	conns_addr_key((struct sockaddr *)&m, sizeof(m), km);
	conns_addr_key((struct sockaddr *)&o, sizeof(o), ko);
	ck_assert_mem_eq(ka, km, CONNS_ADDR_KEY);
	ck_assert_int_ne(memcmp(ka, ko, CONNS_ADDR_KEY), 0);
	ck_assert_int_eq(ko[0], 6);
}
END_TEST

/* A table starts its sweeper and stops and frees cleanly (valgrind, LSan). */
START_TEST(test_new_stop_free)
{
	struct conns_limits lim = { 10, 2, 1000, 0, 1000 };
	struct conns *cs = conns_new("test", &lim);

	ck_assert_ptr_nonnull(cs);
	ck_assert_uint_eq(conns_capacity(cs), 10 * 2 + 64);
	conns_stop(cs);
	conns_free(cs);
	conns_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conns");
	TCase *tc = tcase_create("conns");

	tcase_add_test(tc, test_per_address_limit_evicts_oldest_waiting);
	tcase_add_test(tc, test_per_address_limit_all_busy_refused);
	tcase_add_test(tc, test_total_limit_and_cut_entries);
	tcase_add_test(tc, test_head_deadline);
	tcase_add_test(tc, test_body_rate_windows);
	tcase_add_test(tc, test_addr_key);
	tcase_add_test(tc, test_new_stop_free);
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
