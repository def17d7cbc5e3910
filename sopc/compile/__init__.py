"""Stage 4, compile: resolve names across files, compile templates, and bind
playbooks to groups and policies: a Project in, a Program out."""
