"""Use cases of the service: each one loads through the stores, decides with
the pure rules in `domain/`, and writes through the stores. No HTTP here."""
