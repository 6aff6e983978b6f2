/*
 * pin_reset_token: the R16a authorization token of api/counter/pin_resets.c
 * as answered and as replayed (issue 13). The token is returned to the
 * client only; the database keeps its SHA-256, and the response stored for
 * an Idempotency-Key leaves it out: a replay signs the recorded claims
 * again (RS256 over the same bytes gives the same token, checked against
 * the recorded SHA-256), so no live authorization rests in idempotency.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "api/counter/counter.h"
#include "api/counter/pin_resets.h"
#include "common/util.h"

/* The 201 body of an authorization; token NULL: as stored for a replay. */
json_t *
pin_reset_authz_json(const struct pinreset_claims *cl, const char *token)
{
	char tbuf[24];
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", cl->id, "card_number",
	    cl->card_number, "key_type", cl->key_type, "channel", cl->channel,
	    "expires_at", counter_rfc3339(cl->exp, tbuf, sizeof(tbuf)));
	if (o == NULL)
		abort();
	if (token != NULL)
		json_object_set_new(o, "authorization", json_string(token));
	return o;
}

/* Sign cl with the PIN reset authority: 0 and *token (malloc'd), or -1. */
int
pin_reset_authz_sign(struct app *app, const struct pinreset_claims *cl, char **token)
{
	int k;

	pthread_rwlock_rdlock(&app->keys_lock);
	k = app->keys->pinreset.key == NULL ? -1 :
	    pinreset_authz_build(app->keys->pinreset.key, app->keys->pinreset.cert, cl, token);
	pthread_rwlock_unlock(&app->keys_lock);
	return k;
}

void
pin_reset_token_free(char *token)
{
	if (token != NULL) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
}

/*
 * An Idempotency-Key replay of a 201 (resp, as stored: no token): sign the
 * recorded claims again and answer the first response, token included. The
 * token must hash to the recorded SHA-256 (it does unless the PIN reset
 * authority changed since: then 409, the authorization cannot be shown
 * again). 0 (resp set), or -1 with err.
 */
int
pin_reset_replay(struct store_conn *c, struct api_req *req, struct api_resp *resp,
    struct store_err *err)
{
	struct pinreset_claims cl;
	unsigned char th[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *token = NULL;
	const char *v[1], *id;
	json_t *stored, *o;
	PGresult *res;
	int i;

	if (resp->status != 201 || (stored = json_loadb(resp->body, resp->body_len, 0,
	    NULL)) == NULL)
		return 0;
	id = json_string_value(json_object_get(stored, "id"));
	if (id == NULL || json_object_get(stored, "authorization") != NULL) {
		json_decref(stored);
		return 0;	/* not one of ours, or stored before tokens were left out */
	}
	memset(&cl, 0, sizeof(cl));
	snprintf(cl.id, sizeof(cl.id), "%s", id);
	json_decref(stored);
	v[0] = cl.id;
	if ((res = store_exec(c, Q_PIN_AUTHZ_CLAIMS, 1, v, NULL, NULL, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		snprintf(cl.card_number, sizeof(cl.card_number), "%s", PQgetvalue(res, 0, 0));
		snprintf(cl.key_type, sizeof(cl.key_type), "%s", PQgetvalue(res, 0, 1));
		snprintf(cl.channel, sizeof(cl.channel), "%s", PQgetvalue(res, 0, 2));
		cl.iat = (time_t)strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		cl.exp = (time_t)strtoll(PQgetvalue(res, 0, 4), NULL, 10);
		if (pin_reset_authz_sign(req->app, &cl, &token) == 0) {
			SHA256((const unsigned char *)token, strlen(token), th);
			for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
				snprintf(hex + 2 * i, 3, "%02x", th[i]);
			if (PQgetlength(res, 0, 5) != (int)sizeof(hex) - 1 ||
			    !util_ct_equal(hex, PQgetvalue(res, 0, 5), sizeof(hex) - 1)) {
				pin_reset_token_free(token);
				token = NULL;
			}
		}
	}
	PQclear(res);
	api_resp_free(resp);
	if (token == NULL) {
		api_problem(resp, 409, "authorization-not-replayable", "Conflict", "R16a", NULL,
		    "R16a: authorization %s cannot be shown again (the PIN reset authority "
		    "changed since); complete it or let it expire, then ask for a new one",
		    cl.id);
		return 0;
	}
	o = pin_reset_authz_json(&cl, token);	/* the first answer's members, in its order */
	api_json(resp, 201, o);
	api_add_header(resp, "Idempotent-Replayed", "true");
	pin_reset_token_free(token);
	return 0;
}
