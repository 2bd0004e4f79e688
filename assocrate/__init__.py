"""assocrate: associative memories in positive firing-rate networks.

Design binary memories into ``tau x' = -x + Phi(W x + u)`` with the covariance plus E/I-balance
rule of Betteti, Baggio, Bullo and Zampieri (arXiv 2411.07388), verify them, and retrieve them.
"""

__version__ = "0.1.0"
