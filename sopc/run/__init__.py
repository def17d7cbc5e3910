"""Stage 7, run: the store of message states, the planner that fills it,
the worker that delivers through senders, and the daemon around them."""
