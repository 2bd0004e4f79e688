"""Certificates (DESIGN.md §5): records, exact arithmetic, the certifiers of each kind and verify."""
