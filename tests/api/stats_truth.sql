-- Ground truth for tests/api/stats.sh and tests/bench/stats.sh: the
-- database part of GET /v1/stats counted straight from certificates (the
-- handler never does this; the test may). Same JSON shape as stats_report.
CREATE OR REPLACE FUNCTION pg_temp.stats_truth(p_now timestamptz, p_muni text) RETURNS json
LANGUAGE sql STABLE AS $$
WITH
k AS (SELECT (p_now AT TIME ZONE 'Asia/Tokyo')::date AS today,
	date_trunc('month', p_now AT TIME ZONE 'Asia/Tokyo')::date AS m0),
c AS (SELECT crl_shard::text AS muni, type, status, reason, not_after, issued_at, revoked_at,
	CASE WHEN status = 'valid' AND not_after < p_now THEN 'expired' ELSE status END AS cls
	FROM certificates WHERE p_muni IS NULL OR crl_shard = p_muni),
vec AS (SELECT muni, json_build_object(
	'sign', json_build_object('valid', count(*) FILTER (WHERE type = 'sign' AND cls = 'valid'),
	    'expired', count(*) FILTER (WHERE type = 'sign' AND cls = 'expired'),
	    'revoked', count(*) FILTER (WHERE type = 'sign' AND cls = 'revoked')),
	'auth', json_build_object('valid', count(*) FILTER (WHERE type = 'auth' AND cls = 'valid'),
	    'expired', count(*) FILTER (WHERE type = 'auth' AND cls = 'expired'),
	    'revoked', count(*) FILTER (WHERE type = 'auth' AND cls = 'revoked'))) AS v
	FROM c GROUP BY GROUPING SETS ((muni), ())),
days AS (SELECT d::date AS day FROM k, generate_series(k.today - 89, k.today, interval '1 day') d),
reasons (ord, reason) AS (VALUES (1, 'unspecified'), (2, 'keyCompromise'), (3, 'cACompromise'),
	(4, 'affiliationChanged'), (5, 'superseded'), (6, 'cessationOfOperation')),
months AS (SELECT i, (k.m0 + make_interval(months => i))::date AS m FROM k, generate_series(0, 2) i)
SELECT json_build_object(
    'certificates', coalesce((SELECT v FROM vec WHERE muni IS NULL), json_build_object(
	'sign', json_build_object('valid', 0, 'expired', 0, 'revoked', 0),
	'auth', json_build_object('valid', 0, 'expired', 0, 'revoked', 0))),
    'municipalities', coalesce((SELECT json_agg(json_build_object('code', muni,
	'sign', v -> 'sign', 'auth', v -> 'auth') ORDER BY muni) FROM vec WHERE muni IS NOT NULL), '[]'),
    'daily', (SELECT json_agg(json_build_object('day', to_char(days.day, 'YYYY-MM-DD'),
	'sign', json_build_object(
	    'issued', (SELECT count(*) FROM c WHERE type = 'sign' AND (issued_at AT TIME ZONE 'Asia/Tokyo')::date = days.day),
	    'revoked', (SELECT count(*) FROM c WHERE type = 'sign' AND (revoked_at AT TIME ZONE 'Asia/Tokyo')::date = days.day)),
	'auth', json_build_object(
	    'issued', (SELECT count(*) FROM c WHERE type = 'auth' AND (issued_at AT TIME ZONE 'Asia/Tokyo')::date = days.day),
	    'revoked', (SELECT count(*) FROM c WHERE type = 'auth' AND (revoked_at AT TIME ZONE 'Asia/Tokyo')::date = days.day)))
	ORDER BY days.day) FROM days),
    'revocation_reasons', json_build_object(
	'sign', (SELECT json_object_agg(r.reason, (SELECT count(*) FROM c WHERE type = 'sign'
	    AND status = 'revoked' AND c.reason = r.reason) ORDER BY r.ord) FROM reasons r),
	'auth', (SELECT json_object_agg(r.reason, (SELECT count(*) FROM c WHERE type = 'auth'
	    AND status = 'revoked' AND c.reason = r.reason) ORDER BY r.ord) FROM reasons r)),
    'renewals_due', (SELECT json_agg(json_build_object('month', to_char(months.m, 'YYYY-MM'),
	'sign', (SELECT count(*) FROM c WHERE type = 'sign' AND cls = 'valid'
	    AND date_trunc('month', not_after AT TIME ZONE 'Asia/Tokyo')::date = months.m),
	'auth', (SELECT count(*) FROM c WHERE type = 'auth' AND cls = 'valid'
	    AND date_trunc('month', not_after AT TIME ZONE 'Asia/Tokyo')::date = months.m))
	ORDER BY months.i) FROM months),
    'relying_party_checks', (SELECT json_build_object('month', to_char(k.m0, 'YYYY-MM'),
	'sign', (SELECT coalesce(sum(checks), 0) FROM relying_party_usage WHERE issuer = 'sign'
	    AND day >= k.m0 AND day < (k.m0 + interval '1 month')::date),
	'auth', (SELECT coalesce(sum(checks), 0) FROM relying_party_usage WHERE issuer = 'auth'
	    AND day >= k.m0 AND day < (k.m0 + interval '1 month')::date)) FROM k))
$$;
