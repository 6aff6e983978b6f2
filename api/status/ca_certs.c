/*
 * ca_certs: GET /ca/{file} ("sign.crt" or "auth.crt", status listener,
 * open): the issuing CA certificate in DER, the caIssuers URL of every
 * certificate (R24 authorityInfoAccess). Served from the loaded keyring, so
 * it is the certificate jpkid signs with, also after a SIGHUP reload.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api/api.h"
#include "common/util.h"

void
api_ca_cert_get(struct api_req *req, struct api_resp *resp)
{
	struct app *app = req->app;
	const char *file = req->params[0], *inm;
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], etag[2 * EVP_MAX_MD_SIZE + 4], *body;
	X509 *cert;
	int len;

	if (strcmp(file, "sign.crt") != 0 && strcmp(file, "auth.crt") != 0) {
		api_problem(resp, 404, "not-found", "Not Found", NULL, NULL,
		    "CA certificates are /ca/sign.crt and /ca/auth.crt");
		return;
	}
	pthread_rwlock_rdlock(&app->keys_lock);
	cert = file[0] == 's' ? app->keys->sign_ca.cert : app->keys->auth_ca.cert;
	len = i2d_X509(cert, &der);
	pthread_rwlock_unlock(&app->keys_lock);
	if (len <= 0)
		abort();	/* a loaded certificate always encodes */
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) != 1)
		abort();
	util_hex(md, 8, hex);	/* 64 bits of the hash name this certificate */
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	inm = req->header(req->hctx, "If-None-Match");
	if (inm != NULL && api_etag_match(inm, etag)) {
		api_text(resp, 304, NULL, NULL, 0);
	} else {
		if ((body = malloc((size_t)len)) == NULL)
			abort();
		memcpy(body, der, (size_t)len);
		api_text(resp, 200, "application/pkix-cert", body, (size_t)len);
	}
	OPENSSL_free(der);
	api_add_header(resp, "ETag", "%s", etag);
	api_add_header(resp, "Cache-Control", "public, max-age=86400");
}
