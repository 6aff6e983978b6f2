/* Shared helpers for the Check unit suites. */
#ifndef JPKI_TESTLIB_H
#define JPKI_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <check.h>

/* automake: a test exiting 77 is reported as SKIP. */
#define TEST_SKIP 77

/* Conninfo of a throwaway database, or NULL (then DB suites skip). */
static inline const char *
testlib_db(void)
{
	const char *s = getenv("JPKID_TEST_DB");
	return (s != NULL && *s != '\0') ? s : NULL;
}

/* Run one suite; returns the process exit status (0 = all passed). */
static inline int
testlib_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
