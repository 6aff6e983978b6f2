/*
 * revoke: body members shared by the revocation routes (api/revocation/revoke.c) and
 * card events (api/revocation/card_events.c).
 */
#ifndef JPKI_REVOKE_H
#define JPKI_REVOKE_H

#include <time.h>

#include <jansson.h>

#define REVOKE_COMMENT_MAX	500	/* characters; CHECK of card_events.comment */

/*
 * The optional RFC 3339 date-time member key of body: 1 and *out when
 * given and valid, 0 when absent or null, -1 with fields[key] set otherwise.
 */
int		 revoke_body_time(json_t *body, const char *key, time_t *out, json_t *fields);
/*
 * The optional "comment" member (1 to REVOKE_COMMENT_MAX characters): its
 * text (borrowed from body), or NULL when absent, null or invalid (then
 * with fields["comment"] set).
 */
const char	*revoke_body_comment(json_t *body, json_t *fields);

#endif
