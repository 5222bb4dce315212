"""Course runner for "Django v produkci": checks a student's Django deployment."""

__version__ = "0.1.0"
