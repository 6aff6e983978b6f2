-- 0009_idempotency_secrets (issue 13): what older versions left in
-- idempotency that this one does not.
--
-- 1. R16a: a stored POST /v1/pin-resets response held the authorization
--    token (a live JWS) in clear. Now the stored response leaves it out and
--    a replay signs the recorded claims again (api/counter/pin_reset_token.c),
--    so drop the member from the rows already there.
UPDATE idempotency
   SET response = convert_to((convert_from(response, 'UTF8')::jsonb - 'authorization')::text,
       'UTF8')
 WHERE status = 201
   AND CASE WHEN position(convert_to('eyJhbGciOi', 'UTF8') IN response) > 0
       THEN convert_from(response, 'UTF8')::jsonb ? 'authorization' ELSE false END;

-- 2. R13: a refused inquiry answer committed its key without a response, so
--    every retry with it got 503. Now the refusal is stored
--    (idem_finish_refusal); forget the keys left without one, so a retry is
--    evaluated again instead.
DELETE FROM idempotency WHERE status IS NULL;
