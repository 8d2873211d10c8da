"""Directory rules: pure, no HTTP, no database."""
