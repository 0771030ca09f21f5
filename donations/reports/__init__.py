"""Finance reports: every figure aggregated in SQL from the ledger."""
