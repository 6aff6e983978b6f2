/*
 * session: the console listener's authentication (api.h,
 * api_session_authenticate). Placeholder of the foundation commit: every
 * route that needs a principal answers 401 until sessions land.
 */
#include <config.h>

#include "api/api.h"

int
api_session_authenticate(struct api_req *req, struct api_resp *resp)
{
	if (req->route_principals == 0)
		return 0;
	api_problem(resp, 401, "unauthenticated", "Unauthorized", NULL, NULL,
	    "log in first (POST /v1/session)");
	return -1;
}
