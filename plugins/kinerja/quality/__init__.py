"""Great Expectations audits: raw batches (account days, posts), the registry, the build schemas."""
