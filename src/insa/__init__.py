"""insa — open HR administration for Korean central government agencies."""

__version__ = "0.1.0"
