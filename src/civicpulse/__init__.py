"""civicpulse: privacy-first public-opinion analytics for social media."""

__version__ = "0.1.0"
