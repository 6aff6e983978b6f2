-- 0006_audit_seal (issue 11): the tamper-evident audit trail (docs/operators.md).
--
-- The chain runs in chain_pos order, not seq order. seq is a bigserial
-- assigned at INSERT, so a long transaction can commit a row with a lower
-- seq after higher rows were already sealed; chaining by seq would then
-- have to re-seal (impossible: sealed rows never change) or skip it. The
-- sealer instead gives every row it seals the next chain position (1, 2,
-- ... without gaps), so a late row simply joins the chain at its end.
-- Gaps in seq stay normal (rolled-back inserts); a gap in chain_pos is a
-- deleted row.
ALTER TABLE audit_log ADD COLUMN chain_pos bigint;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chain_pos_key UNIQUE (chain_pos);
COMMENT ON TABLE audit_log IS 'append-only; sealed by the audit sealing job';
COMMENT ON COLUMN audit_log.chain_pos IS
	'position in the hash chain, set once by the sealer with sealed_hash';

-- Append-only, as in 0001, except that the sealer sets sealed_hash and
-- chain_pos once, in one UPDATE, and nothing else. (As in 0001 the trigger
-- does not insist on chain_pos: a row given only a sealed_hash can never be
-- sealed again, and verification reports it as tampered.)
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.sealed_hash IS NULL AND OLD.chain_pos IS NULL AND
	    NEW.sealed_hash IS NOT NULL AND
	    NEW.seq = OLD.seq AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND
	    NEW.action = OLD.action AND NEW.object IS NOT DISTINCT FROM OLD.object AND
	    NEW.detail = OLD.detail THEN
		RETURN NEW;	-- sealing
	END IF;
	RAISE EXCEPTION 'audit_log is append-only'
	    USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_log_append_only';
END
$$;

-- GET /v1/audit: newest first by seq under each filter.
CREATE INDEX audit_log_actor_idx ON audit_log (actor, seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
CREATE INDEX audit_log_object_seq_idx ON audit_log (object, seq) WHERE object IS NOT NULL;
CREATE INDEX audit_log_request_id_idx ON audit_log ((detail->>'request_id'));

-- Signed checkpoints: every [audit] seal_interval the sealer signs the
-- chain's head (chain_pos, seq, hash, at) with the audit key.
CREATE TABLE audit_checkpoints (
	id			bigserial PRIMARY KEY,
	chain_pos		bigint NOT NULL UNIQUE,
	seq			bigint NOT NULL,	-- audit_log.seq of the row at chain_pos
	hash			bytea NOT NULL CHECK (length(hash) = 32),
	at			timestamptz NOT NULL,
	signature		bytea NOT NULL,
	signer_sha256		bytea NOT NULL CHECK (length(signer_sha256) = 32)
);

CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_checkpoints is append-only'
	    USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_checkpoints_append_only';
END
$$;
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
	FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
