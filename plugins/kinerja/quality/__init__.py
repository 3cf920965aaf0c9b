"""Great Expectations audits: one engine (`engine`, `data_docs`) and one module per subject
(`account_days`, `posts`, `registry`, `build`)."""
