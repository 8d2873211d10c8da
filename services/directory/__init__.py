"""Directory service: Agencies, units, persons and accounts: who is who, and who may do what."""
