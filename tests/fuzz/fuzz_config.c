/* Fuzz the config file (daemon/config.c, inih) and its listen addresses. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "daemon/config.h"
#include "tests/fuzz/fuzzlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_quiet_logs();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char err[512], host[256], *s;
	int port;

	if ((c = config_load(fuzz_file(data, size), err, sizeof(err))) != NULL)
		config_free(c);
	s = fuzz_cstr(data, size);
	(void)config_split_listen(s, host, sizeof(host), &port);
	free(s);
	return 0;
}
