-- 0011_crl_clock (issue 13, clock safety): a CRL's thisUpdate may go back.
--
-- A CRL's thisUpdate is the publishing instance's now and never later
-- (api/status/crls.c, ca/crl.c crl_next_times): after a backward clock step
-- (an NTP step, an operator's correction) it is earlier than the last
-- one's, and that must not stop publication. What stays (RFC 5280 5.2.3):
-- the cRLNumber strictly increases per (issuer, shard); a number at or
-- below the series' highest is refused, even one never used (a gap
-- below the last). nextUpdate > thisUpdate remains crls_update_check.
CREATE OR REPLACE FUNCTION crls_monotonic() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	last bigint;
BEGIN
	SELECT max(number) INTO last FROM crls
	    WHERE issuer = NEW.issuer AND shard = NEW.shard;
	IF last IS NOT NULL AND NEW.number <= last THEN
		RAISE EXCEPTION 'CRL % % number % does not follow %', NEW.issuer, NEW.shard,
		    NEW.number, last
		    USING ERRCODE = 'check_violation', CONSTRAINT = 'crls_number_increases';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION crls_monotonic() IS
    'CRL numbers strictly increase per (issuer, shard) (RFC 5280 5.2.3); thisUpdate may go back (0011)';
