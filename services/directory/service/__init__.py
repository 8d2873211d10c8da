"""Use cases of the directory: one module each, owning the transaction they run in."""
