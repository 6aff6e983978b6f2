-- 0010_r10_substitutes (issue 13): R10 covers the R20 substitute forms.
-- A SIGN certificate carries the register's substitute form (代替文字 or
-- kana) wherever the original is not representable (R20, R25 .1/.5), so a
-- change of family_name_substitute, given_name_substitute or
-- address_substitute (set, changed or dropped) changes what a SIGN says
-- and must revoke it (affiliationChanged) like any other basic-four
-- change; AUTH carries no personal data and is kept. Otherwise the same
-- function as 0001_schema.sql; the trigger residents_register_change keeps
-- calling it.
CREATE OR REPLACE FUNCTION residents_register_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	f text[] := '{}';
	queued boolean := false;
BEGIN
	IF NEW.resident_code IS DISTINCT FROM OLD.resident_code THEN
		RAISE EXCEPTION 'resident_code % is immutable', OLD.resident_code
		    USING ERRCODE = 'check_violation',
		    CONSTRAINT = 'residents_resident_code_immutable';
	END IF;
	IF NEW IS NOT DISTINCT FROM OLD THEN
		RETURN NEW;		-- no-op update: no version bump, nothing queued
	END IF;
	IF NEW.family_name IS DISTINCT FROM OLD.family_name THEN
		f := f || 'family_name'::text;
	END IF;
	IF NEW.given_name IS DISTINCT FROM OLD.given_name THEN
		f := f || 'given_name'::text;
	END IF;
	IF NEW.former_surname IS DISTINCT FROM OLD.former_surname THEN
		f := f || 'former_surname'::text;
	END IF;
	IF NEW.alias IS DISTINCT FROM OLD.alias THEN
		f := f || 'alias'::text;
	END IF;
	IF NEW.family_name_substitute IS DISTINCT FROM OLD.family_name_substitute THEN
		f := f || 'family_name_substitute'::text;
	END IF;
	IF NEW.given_name_substitute IS DISTINCT FROM OLD.given_name_substitute THEN
		f := f || 'given_name_substitute'::text;
	END IF;
	IF NEW.birth_date IS DISTINCT FROM OLD.birth_date THEN
		f := f || 'birth_date'::text;
	END IF;
	IF NEW.sex IS DISTINCT FROM OLD.sex THEN
		f := f || 'sex'::text;
	END IF;
	IF NEW.address IS DISTINCT FROM OLD.address THEN
		f := f || 'address'::text;
	END IF;
	IF NEW.address_substitute IS DISTINCT FROM OLD.address_substitute THEN
		f := f || 'address_substitute'::text;
	END IF;
	IF NEW.municipality_code IS DISTINCT FROM OLD.municipality_code THEN
		f := f || 'municipality_code'::text;
	END IF;

	NEW.version := OLD.version + 1;
	NEW.updated_at := now();

	IF cardinality(f) > 0 THEN
		INSERT INTO register_changes (resident_code, kind, fields, version)
		    VALUES (NEW.resident_code, 'basic_four', f, NEW.version);
		queued := true;
	END IF;
	IF NEW.status IS DISTINCT FROM OLD.status AND
	    NEW.status IN ('removed', 'deceased') THEN
		INSERT INTO register_changes (resident_code, kind, fields, version)
		    VALUES (NEW.resident_code, NEW.status, '{status}', NEW.version);
		queued := true;
	END IF;
	IF queued THEN
		PERFORM pg_notify('jpkid_register_change', NEW.resident_code);
	END IF;
	RETURN NEW;
END
$$;
