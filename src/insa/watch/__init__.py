"""Failure detection for the shared services of six ministries (장애탐지체계, issue 13)."""
