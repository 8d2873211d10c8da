"""Use cases of the certs service: transactions, decisions, jobs' work."""
