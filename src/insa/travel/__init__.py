"""Smart travel settlement (스마트 출장 정산): rates, stateless computation, workflow."""
