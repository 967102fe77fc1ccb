"""Core HR records: agencies, org units, grades, positions, employees, dependents, payroll."""
