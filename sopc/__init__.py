"""sopc: compile, check, plan and run community-operations SOP playbooks."""

__version__ = "0.1.0"
