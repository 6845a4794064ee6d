"""统一申报 and 统一查询: application forms, materials, cases and their timeline."""
