"""Security: RRN crypto and pseudonyms, users and roles, agency scope, audit log."""
