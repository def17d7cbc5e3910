"""Stage 5, plan: a Program and a window in, the timed messages out
(schedules, launches, event triggers) and the send-time policy they meet."""
