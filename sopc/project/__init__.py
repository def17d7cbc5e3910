"""Stage 2, project: sopc.toml, the roster, the holiday calendar and the
`.sop` files found and parsed (with their imports) into one Project."""
