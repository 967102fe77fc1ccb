"""Law as code that several domains use (the rules layer, below ``people/``).

``income_tax`` (소득세법: earned-income deduction, rates, credits, monthly withholding),
``family_allowance`` (공무원수당 등에 관한 규정 제10조) and ``dates`` (ages and months),
with their dated parameters in ``rules/params/`` (``insa.params.load("rules")``). Payroll
(``people/``) and the domains build on them; nothing here imports either.
"""
