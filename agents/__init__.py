"""Game-independent learners."""
