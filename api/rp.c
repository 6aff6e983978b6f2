/*
 * rp: placeholder (open mode, nothing counted) until relying parties land.
 */
#include <config.h>

#include <stdlib.h>

#include "api/rp.h"

enum rp_gate_result
rp_gate(struct api_req *req, long long *rp_id, unsigned *types)
{
	(void)req;
	*rp_id = 0;
	*types = RP_TYPE_SIGN | RP_TYPE_AUTH;
	return RP_GATE_OK;
}

void
rp_count(struct app *app, long long rp_id, const char *issuer, unsigned n)
{
	(void)app; (void)rp_id; (void)issuer; (void)n;
}

struct rp_usage *
rp_usage_new(void)
{
	return NULL;
}

void
rp_usage_free(struct rp_usage *u)
{
	(void)u;
}

int
rp_usage_flush(struct app *app)
{
	(void)app;
	return 0;
}
