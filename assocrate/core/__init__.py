"""The core model: activations, patterns, the design rule, the low-rank operator and equilibria."""
