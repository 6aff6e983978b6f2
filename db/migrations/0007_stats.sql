-- 0007_stats (issue 11): filled by its part of the operator back end.
COMMENT ON TABLE audit_log IS 'append-only; sealed by the audit sealing job';
