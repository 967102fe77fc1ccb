"""Year-end tax settlement (연말정산). Core formulas shared with monthly withholding."""
