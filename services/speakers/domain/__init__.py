"""Pure rules of the lecturer directory: text folding and n-grams for search,
disclosure consent, the relay's rate limit. No HTTP, no database."""
