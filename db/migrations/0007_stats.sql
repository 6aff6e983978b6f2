-- 0007_stats (issue 11): rollups behind GET /v1/stats (api/stats.c).
--
-- The request never counts certificates. Every write to certificates,
-- whatever path made it (API, register sweep, plain SQL), appends row
-- images to stats_deltas from a trigger: +1 for the new row, -1 for the old
-- one. Insert-only, so concurrent issuance never contends on a counter row.
-- The fold job (stats_fold, every [stats] fold_interval, one instance at a
-- time under an advisory lock) moves the deltas into the rollups in one
-- transaction; a request reads the rollups plus the few unfolded deltas in
-- one snapshot (stats_report is STABLE), so every number is exact when read.
--
-- Rollups ('' in muni = all municipalities; otherwise the crl_shard):
--  stats_counts	(muni, type, status, reason) -> n: stored status.
--			status 'lapsed': the stored-valid certificates whose
--			not_after is before stats_state.compacted_until (a
--			subset of 'valid', counted as expired in the answer).
--  stats_expiry	(muni, type, not_after) -> n: stored-valid certificates
--			by exact not_after, not_after >= compacted_until. R6/R7
--			put every notAfter at the end of a JST day, so this is
--			one row per day and type, per municipality and for all.
--			The request adds the rows between compacted_until and
--			now to "expired", and reads renewals due from it.
--  stats_daily		(muni, type, JST day) -> issued, revoked: days on or
--			after stats_state.daily_from (about 100 days back).
-- Compaction (in the fold) moves stats_expiry rows older than a day into
-- 'lapsed' and drops old stats_daily rows, so the rollups stay small.

CREATE TABLE stats_deltas (
	id			bigserial PRIMARY KEY,
	d			smallint NOT NULL CONSTRAINT stats_deltas_d_check CHECK (d IN (-1, 1)),
	type			text NOT NULL,
	crl_shard		char(6) NOT NULL,
	status			text NOT NULL,
	reason			text,
	not_after		timestamptz NOT NULL,
	issued_at		timestamptz NOT NULL,
	revoked_at		timestamptz
);

CREATE TABLE stats_counts (
	muni			text NOT NULL,
	type			text NOT NULL,
	status			text NOT NULL
				CONSTRAINT stats_counts_status_check
				CHECK (status IN ('valid', 'expired', 'revoked', 'lapsed')),
	reason			text NOT NULL DEFAULT '',
	n			bigint NOT NULL,
	PRIMARY KEY (muni, type, status, reason)
);

CREATE TABLE stats_expiry (
	muni			text NOT NULL,
	type			text NOT NULL,
	not_after		timestamptz NOT NULL,
	n			bigint NOT NULL,
	PRIMARY KEY (muni, type, not_after)
);
CREATE INDEX stats_expiry_not_after_idx ON stats_expiry (not_after);

CREATE TABLE stats_daily (
	muni			text NOT NULL,
	type			text NOT NULL,
	day			date NOT NULL,
	issued			bigint NOT NULL,
	revoked			bigint NOT NULL,
	PRIMARY KEY (muni, day, type)
);
CREATE INDEX stats_daily_day_idx ON stats_daily (day);

CREATE TABLE stats_state (
	one			boolean PRIMARY KEY DEFAULT true CONSTRAINT stats_state_one_check CHECK (one),
	folded_at		timestamptz,
	compacted_until		timestamptz NOT NULL,
	daily_from		date NOT NULL
);

-- This month's relying-party checks (GET /v1/stats) by day, not by party.
CREATE INDEX relying_party_usage_day_idx ON relying_party_usage (day);

CREATE FUNCTION stats_certificates_delta() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		INSERT INTO stats_deltas (d, type, crl_shard, status, reason, not_after,
		    issued_at, revoked_at)
		VALUES (-1, OLD.type, OLD.crl_shard, OLD.status, OLD.reason, OLD.not_after,
		    OLD.issued_at, OLD.revoked_at);
	END IF;
	IF TG_OP IN ('UPDATE', 'INSERT') THEN
		INSERT INTO stats_deltas (d, type, crl_shard, status, reason, not_after,
		    issued_at, revoked_at)
		VALUES (1, NEW.type, NEW.crl_shard, NEW.status, NEW.reason, NEW.not_after,
		    NEW.issued_at, NEW.revoked_at);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER certificates_stats_insert AFTER INSERT ON certificates
	FOR EACH ROW EXECUTE FUNCTION stats_certificates_delta();
-- Only these columns may change (certificates_guard); a no-op UPDATE adds nothing.
CREATE TRIGGER certificates_stats_update AFTER UPDATE OF status, revoked_at, reason ON certificates
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR
	    OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.reason IS DISTINCT FROM NEW.reason)
	EXECUTE FUNCTION stats_certificates_delta();
CREATE TRIGGER certificates_stats_delete AFTER DELETE ON certificates
	FOR EACH ROW EXECUTE FUNCTION stats_certificates_delta();

-- Where compaction may go: a day behind the earlier of the caller's clock
-- and the database's, so a reader whose clock is up to a day behind still
-- gets exact numbers (the test clock), and a clock ahead never compacts
-- what the present still reads.
CREATE FUNCTION stats_compact_point(p_now timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT least(p_now, now()) - interval '1 day'
$$;
CREATE FUNCTION stats_daily_point(p_now timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
	SELECT (least(p_now, now()) AT TIME ZONE 'Asia/Tokyo')::date - 100
$$;

-- Fold every visible delta into the rollups, then compact. One transaction
-- (the caller's); advisory transaction lock "jpkistat" so one instance
-- folds. Returns the number of deltas folded, or -1 when another instance
-- holds the lock.
CREATE FUNCTION stats_fold(p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
	st	stats_state;
	v_n	bigint;
	v_t	timestamptz;
	v_df	date;
BEGIN
	IF NOT pg_try_advisory_xact_lock(7669748266064699764) THEN
		RETURN -1;
	END IF;
	SELECT * INTO STRICT st FROM stats_state;
	-- One statement: the deltas it deletes are exactly the ones it adds.
	WITH del AS (
		DELETE FROM stats_deltas
		RETURNING d, type, crl_shard, status, reason, not_after, issued_at, revoked_at
	), x AS (
		SELECT m.muni, del.* FROM del,
		    LATERAL (VALUES (del.crl_shard::text), ('')) AS m (muni)
	), c AS (
		INSERT INTO stats_counts AS s (muni, type, status, reason, n)
		SELECT x.muni, x.type, x.status, coalesce(x.reason, ''), sum(x.d) FROM x
		    GROUP BY 1, 2, 3, 4
		UNION ALL
		SELECT x.muni, x.type, 'lapsed', '', sum(x.d) FROM x
		    WHERE x.status = 'valid' AND x.not_after < st.compacted_until GROUP BY 1, 2
		ON CONFLICT (muni, type, status, reason) DO UPDATE SET n = s.n + EXCLUDED.n
		RETURNING 1
	), e AS (
		INSERT INTO stats_expiry AS s (muni, type, not_after, n)
		SELECT x.muni, x.type, x.not_after, sum(x.d) FROM x
		    WHERE x.status = 'valid' AND x.not_after >= st.compacted_until GROUP BY 1, 2, 3
		ON CONFLICT (muni, type, not_after) DO UPDATE SET n = s.n + EXCLUDED.n
		RETURNING 1
	), dy AS (
		INSERT INTO stats_daily AS s (muni, type, day, issued, revoked)
		SELECT y.muni, y.type, y.day, sum(y.i), sum(y.r) FROM (
			SELECT x.muni, x.type, (x.issued_at AT TIME ZONE 'Asia/Tokyo')::date AS day,
			    x.d AS i, 0 AS r FROM x
			UNION ALL
			SELECT x.muni, x.type, (x.revoked_at AT TIME ZONE 'Asia/Tokyo')::date, 0, x.d
			    FROM x WHERE x.revoked_at IS NOT NULL
		) y WHERE y.day >= st.daily_from GROUP BY 1, 2, 3
		ON CONFLICT (muni, day, type) DO UPDATE SET issued = s.issued + EXCLUDED.issued,
		    revoked = s.revoked + EXCLUDED.revoked
		RETURNING 1
	)
	SELECT count(*) INTO v_n FROM del;

	v_t := greatest(st.compacted_until, stats_compact_point(p_now));
	IF v_t > st.compacted_until THEN
		WITH m AS (
			DELETE FROM stats_expiry WHERE not_after < v_t RETURNING muni, type, n
		)
		INSERT INTO stats_counts AS s (muni, type, status, reason, n)
		SELECT m.muni, m.type, 'lapsed', '', sum(m.n) FROM m GROUP BY 1, 2
		ON CONFLICT (muni, type, status, reason) DO UPDATE SET n = s.n + EXCLUDED.n;
	END IF;
	v_df := greatest(st.daily_from, stats_daily_point(p_now));
	IF v_df > st.daily_from THEN
		DELETE FROM stats_daily WHERE day < v_df;
	END IF;
	UPDATE stats_state SET folded_at = p_now, compacted_until = v_t, daily_from = v_df;
	RETURN v_n;
END
$$;

-- Recompute every rollup from certificates (this migration; after a bulk
-- load that bypassed the triggers). Writers to certificates wait for it.
CREATE FUNCTION stats_rebuild(p_now timestamptz DEFAULT now()) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_t	timestamptz := stats_compact_point(p_now);
	v_df	date := stats_daily_point(p_now);
BEGIN
	PERFORM pg_advisory_xact_lock(7669748266064699764);
	LOCK TABLE certificates IN SHARE MODE;
	DELETE FROM stats_deltas;
	DELETE FROM stats_counts;
	DELETE FROM stats_expiry;
	DELETE FROM stats_daily;
	DELETE FROM stats_state;
	INSERT INTO stats_state (folded_at, compacted_until, daily_from) VALUES (p_now, v_t, v_df);
	INSERT INTO stats_counts (muni, type, status, reason, n)
	SELECT CASE WHEN grouping(c.crl_shard) = 0 THEN c.crl_shard::text ELSE '' END,
	    c.type, c.status, coalesce(c.reason, ''), count(*)
	    FROM certificates c
	    GROUP BY GROUPING SETS ((c.crl_shard, c.type, c.status, c.reason),
		(c.type, c.status, c.reason))
	UNION ALL
	SELECT CASE WHEN grouping(c.crl_shard) = 0 THEN c.crl_shard::text ELSE '' END,
	    c.type, 'lapsed', '', count(*)
	    FROM certificates c WHERE c.status = 'valid' AND c.not_after < v_t
	    GROUP BY GROUPING SETS ((c.crl_shard, c.type), (c.type));
	INSERT INTO stats_expiry (muni, type, not_after, n)
	SELECT CASE WHEN grouping(c.crl_shard) = 0 THEN c.crl_shard::text ELSE '' END,
	    c.type, c.not_after, count(*)
	    FROM certificates c WHERE c.status = 'valid' AND c.not_after >= v_t
	    GROUP BY GROUPING SETS ((c.crl_shard, c.type, c.not_after), (c.type, c.not_after));
	INSERT INTO stats_daily (muni, type, day, issued, revoked)
	SELECT CASE WHEN grouping(y.crl_shard) = 0 THEN y.crl_shard::text ELSE '' END,
	    y.type, y.day, sum(y.i), sum(y.r)
	    FROM (SELECT c.crl_shard, c.type, (c.issued_at AT TIME ZONE 'Asia/Tokyo')::date AS day,
		1 AS i, 0 AS r FROM certificates c
		WHERE c.issued_at >= (v_df::timestamp AT TIME ZONE 'Asia/Tokyo')
		UNION ALL
		SELECT c.crl_shard, c.type, (c.revoked_at AT TIME ZONE 'Asia/Tokyo')::date, 0, 1
		FROM certificates c
		WHERE c.revoked_at >= (v_df::timestamp AT TIME ZONE 'Asia/Tokyo')) y
	    GROUP BY GROUPING SETS ((y.crl_shard, y.type, y.day), (y.type, y.day));
END
$$;

-- The database part of GET /v1/stats as JSON (api/stats.c adds the
-- in-memory counters). p_muni: a municipality code, or NULL for all; NULL
-- is returned when p_muni names no municipality. STABLE: every statement
-- sees the caller's one snapshot, so rollups and unfolded deltas agree.
-- jit = off: the estimates of this many small CTEs pass jit_above_cost, and
-- compiling them costs seconds for a query that runs in milliseconds.
-- Three parts: the report without its per-municipality list; that list,
-- which jpkid passes through as text (api/operators/stats.c); and the code
-- the next page starts after. Nationally the list is a page: p_limit
-- municipalities (those with certificates, code order) after p_after, so a
-- request never builds all 1,741 entries (measured: ~25 ms of JSON in
-- PostgreSQL and as much again in jansson, for ~250 KB). With p_muni the
-- list is that one municipality. All NULL: no such municipality.
CREATE FUNCTION stats_report(p_now timestamptz, p_muni text, p_after text, p_limit int,
    OUT report json, OUT munis json, OUT next_muni text)
LANGUAGE plpgsql STABLE SET jit = off AS $f$
DECLARE
	v_page		text[];
	v_compact	timestamptz;
BEGIN
	IF p_muni IS NOT NULL AND NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.code = p_muni) THEN
		RETURN;
	END IF;
	-- A constant for the planner: with it the lapsed rows are one day's
	-- range of stats_expiry_not_after_idx, not every expiry row of the
	-- page's municipalities (~3,300 each at 10 M certificates).
	SELECT s.compacted_until INTO v_compact FROM stats_state s;
	IF p_muni IS NULL THEN
		-- This page's municipalities: with rollup rows or unfolded changes.
		SELECT array_agg(u.muni ORDER BY u.muni) INTO v_page FROM (
		    SELECT DISTINCT a.muni FROM (
			SELECT c.muni FROM stats_counts c WHERE c.muni > coalesce(p_after, '')
			UNION ALL
			SELECT x.crl_shard::text FROM stats_deltas x
			    WHERE x.crl_shard::text > coalesce(p_after, '')) a
		    ORDER BY a.muni LIMIT p_limit + 1) u;
		v_page := coalesce(v_page, '{}');
		IF cardinality(v_page) > p_limit THEN
			next_muni := v_page[p_limit];
			v_page := v_page[1:p_limit];
		END IF;
	END IF;
	-- EXECUTE ... USING: planned for these values each time, with the keys
	-- as constants ($3 municipality or '', $4 today, $5 this month, JST,
	-- $6 the page's municipalities, $7 compacted_until) so
	-- every rollup read is an index range (a generic plan, or keys joined
	-- from a CTE, scans stats_expiry whole).
	EXECUTE $q$
WITH
k AS (
	SELECT s.folded_at FROM stats_state s
),
-- Unfolded deltas, under their municipality and under '' (all).
dl AS (
	SELECT m.muni, x.d, x.type, x.status, x.reason, x.not_after, x.issued_at, x.revoked_at
	FROM stats_deltas x, LATERAL (VALUES (x.crl_shard::text), ('')) AS m (muni)
	WHERE $2 IS NULL OR x.crl_shard = $2
),
map (status, cls, s) AS (
	VALUES ('valid', 'valid', 1), ('expired', 'expired', 1), ('revoked', 'revoked', 1),
	    ('lapsed', 'valid', -1), ('lapsed', 'expired', 1)
),
-- Certificates now: a valid one past its not_after counts as expired.
cls AS (
	SELECT c.muni, c.type, map.cls, map.s * c.n AS n
	    FROM stats_counts c JOIN map USING (status)
	    WHERE c.muni = $3 OR c.muni = ANY ($6)
	UNION ALL
	SELECT e.muni, e.type, map.cls, map.s * e.n
	    FROM stats_expiry e, map
	    WHERE map.status = 'lapsed' AND e.not_after >= $7
	    AND e.not_after < $1 AND (e.muni = $3 OR e.muni = ANY ($6))
	UNION ALL
	SELECT dl.muni, dl.type,
	    CASE WHEN dl.status = 'valid' AND dl.not_after < $1 THEN 'expired' ELSE dl.status END,
	    dl.d
	    FROM dl
),
bym AS (
	SELECT muni,
	    json_build_object(
		'sign', json_build_object(
		    'valid', coalesce(sum(n) FILTER (WHERE type = 'sign' AND cls = 'valid'), 0),
		    'expired', coalesce(sum(n) FILTER (WHERE type = 'sign' AND cls = 'expired'), 0),
		    'revoked', coalesce(sum(n) FILTER (WHERE type = 'sign' AND cls = 'revoked'), 0)),
		'auth', json_build_object(
		    'valid', coalesce(sum(n) FILTER (WHERE type = 'auth' AND cls = 'valid'), 0),
		    'expired', coalesce(sum(n) FILTER (WHERE type = 'auth' AND cls = 'expired'), 0),
		    'revoked', coalesce(sum(n) FILTER (WHERE type = 'auth' AND cls = 'revoked'), 0)))
		AS v
	FROM cls GROUP BY muni
),
zero AS (
	SELECT json_build_object(
	    'sign', json_build_object('valid', 0, 'expired', 0, 'revoked', 0),
	    'auth', json_build_object('valid', 0, 'expired', 0, 'revoked', 0)) AS v
),
days AS (
	SELECT d::date AS day FROM generate_series($4 - 89, $4, interval '1 day') AS d
),
dly AS (
	SELECT s.day, s.type, s.issued, s.revoked FROM stats_daily s
	    WHERE s.muni = $3 AND s.day BETWEEN $4 - 89 AND $4
	UNION ALL
	SELECT (dl.issued_at AT TIME ZONE 'Asia/Tokyo')::date, dl.type, dl.d, 0 FROM dl
	    WHERE dl.muni = $3
	UNION ALL
	SELECT (dl.revoked_at AT TIME ZONE 'Asia/Tokyo')::date, dl.type, 0, dl.d FROM dl
	    WHERE dl.muni = $3 AND dl.revoked_at IS NOT NULL
),
daily AS (
	SELECT days.day,
	    coalesce(sum(dly.issued) FILTER (WHERE dly.type = 'sign'), 0) AS si,
	    coalesce(sum(dly.revoked) FILTER (WHERE dly.type = 'sign'), 0) AS sr,
	    coalesce(sum(dly.issued) FILTER (WHERE dly.type = 'auth'), 0) AS ai,
	    coalesce(sum(dly.revoked) FILTER (WHERE dly.type = 'auth'), 0) AS ar
	FROM days LEFT JOIN dly USING (day) GROUP BY days.day
),
reasons (ord, reason) AS (
	VALUES (1, 'unspecified'), (2, 'keyCompromise'), (3, 'cACompromise'),
	    (4, 'affiliationChanged'), (5, 'superseded'), (6, 'cessationOfOperation')
),
rsn AS (
	SELECT c.type, c.reason, c.n FROM stats_counts c
	    WHERE c.muni = $3 AND c.status = 'revoked'
	UNION ALL
	SELECT dl.type, dl.reason, dl.d FROM dl WHERE dl.muni = $3 AND dl.status = 'revoked'
),
months AS (
	SELECT i, ($5 + make_interval(months => i))::date AS m FROM generate_series(0, 2) AS i
),
ren AS (
	SELECT e.type, e.not_after, e.n FROM stats_expiry e
	    WHERE e.muni = $3 AND e.not_after >= $1
	    AND e.not_after < (($5 + interval '3 months')::timestamp AT TIME ZONE 'Asia/Tokyo')
	UNION ALL
	SELECT dl.type, dl.not_after, dl.d FROM dl
	    WHERE dl.muni = $3 AND dl.status = 'valid' AND dl.not_after >= $1
	    AND dl.not_after < (($5 + interval '3 months')::timestamp AT TIME ZONE 'Asia/Tokyo')
),
rp AS (
	SELECT coalesce(sum(u.checks) FILTER (WHERE u.issuer = 'sign'), 0) AS s,
	    coalesce(sum(u.checks) FILTER (WHERE u.issuer = 'auth'), 0) AS a
	FROM relying_party_usage u
	WHERE u.day >= $5 AND u.day < ($5 + interval '1 month')::date
)
SELECT json_build_object(
    'municipality', $2,
    'folded_at', to_char(k.folded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'unfolded_deltas', (SELECT count(*) FROM stats_deltas),
    'certificates', coalesce((SELECT bym.v FROM bym WHERE bym.muni = $3),
	(SELECT zero.v FROM zero)),
    'daily', (SELECT json_agg(json_build_object('day', to_char(daily.day, 'YYYY-MM-DD'),
	'sign', json_build_object('issued', daily.si, 'revoked', daily.sr),
	'auth', json_build_object('issued', daily.ai, 'revoked', daily.ar)) ORDER BY daily.day)
	FROM daily),
    'revocation_reasons', json_build_object(
	'sign', (SELECT json_object_agg(r.reason, (SELECT coalesce(sum(rsn.n), 0) FROM rsn
	    WHERE rsn.type = 'sign' AND rsn.reason = r.reason) ORDER BY r.ord) FROM reasons r),
	'auth', (SELECT json_object_agg(r.reason, (SELECT coalesce(sum(rsn.n), 0) FROM rsn
	    WHERE rsn.type = 'auth' AND rsn.reason = r.reason) ORDER BY r.ord) FROM reasons r)),
    'renewals_due', (SELECT json_agg(json_build_object('month', to_char(months.m, 'YYYY-MM'),
	'sign', (SELECT coalesce(sum(ren.n), 0) FROM ren WHERE ren.type = 'sign' AND
	    date_trunc('month', ren.not_after AT TIME ZONE 'Asia/Tokyo')::date = months.m),
	'auth', (SELECT coalesce(sum(ren.n), 0) FROM ren WHERE ren.type = 'auth' AND
	    date_trunc('month', ren.not_after AT TIME ZONE 'Asia/Tokyo')::date = months.m))
	ORDER BY months.i) FROM months),
    'relying_party_checks', (SELECT json_build_object('month', to_char($5, 'YYYY-MM'),
	'sign', rp.s, 'auth', rp.a) FROM rp)),
    CASE WHEN $2 IS NULL THEN
	coalesce((SELECT json_agg(json_build_object('code', bym.muni, 'name', m.name,
	    'prefecture', m.prefecture, 'sign', bym.v -> 'sign', 'auth', bym.v -> 'auth')
	    ORDER BY bym.muni)
	    FROM bym JOIN municipalities m ON m.code = bym.muni WHERE bym.muni = ANY ($6)), '[]')
	ELSE (SELECT json_build_array(json_build_object('code', m.code, 'name', m.name,
	    'prefecture', m.prefecture, 'sign', t.v -> 'sign', 'auth', t.v -> 'auth'))
	    FROM municipalities m,
	    LATERAL (SELECT coalesce((SELECT bym.v FROM bym WHERE bym.muni = $2),
		(SELECT zero.v FROM zero)) AS v) t
	    WHERE m.code = $2) END
FROM k
$q$ INTO report, munis USING p_now, p_muni, coalesce(p_muni, ''),
	    (p_now AT TIME ZONE 'Asia/Tokyo')::date,
	    date_trunc('month', p_now AT TIME ZONE 'Asia/Tokyo')::date, v_page, v_compact;
END
$f$;

SELECT stats_rebuild(now());
