"""Spiking realizations of designed networks (issue 12, DESIGN.md §6b)."""
