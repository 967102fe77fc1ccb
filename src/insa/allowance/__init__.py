"""Family allowance (가족수당): rules, entitlement and double-claim verification."""
