-- Up Migration

-- A rotated target signing key stays valid until previous_key_expires_at, so receivers can move
-- to the new key without rejecting calls: until then every call carries both signatures.
ALTER TABLE targets ADD COLUMN previous_signing_key_enc text, ADD COLUMN previous_key_expires_at timestamptz;

-- Down Migration

ALTER TABLE targets DROP COLUMN previous_signing_key_enc, DROP COLUMN previous_key_expires_at;
