-- A registry that needs a token (a peer running `serve --auth`) names the environment variable it
-- is read from; the token itself is never stored.
ALTER TABLE model_registries ADD COLUMN token_env text;
