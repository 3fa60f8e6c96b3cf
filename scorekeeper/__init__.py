"""scorekeeper: exact gamification scores for a community site, kept in SQLite."""

__version__ = "0.1.0"
