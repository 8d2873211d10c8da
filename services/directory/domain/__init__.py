"""Pure rules of the directory: national IDs, source networks, client-secret
hashing, what makes an account acceptable, what an account review looks for.

No HTTP, no database, no framework and no kernel errors: a rule returns what it
found (a value, a list of breaches), and the use cases in `service/` turn that
into the problem the caller sees. The role catalogue they read stays beside
them at `services.directory.roles` (see its docstring).
"""
