"""renshi: the command line that runs, migrates and tests the whole system."""
