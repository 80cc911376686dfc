"""A shop's orders (PostgreSQL) and sessions (Redis)."""
