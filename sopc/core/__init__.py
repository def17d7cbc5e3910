"""Stage 0, core: the plain values every stage shares (spans and diagnostics,
times and zones, the clock, events, planned messages); no heavy imports."""
