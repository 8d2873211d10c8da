"""Pure rules of the certificate registry: no HTTP, no database, no framework."""
