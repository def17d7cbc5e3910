"""Stage 3, events: the one reader of lifecycle event records (JSONL, CLI,
HTTP), strict, turning each into an Event or a located reason."""
