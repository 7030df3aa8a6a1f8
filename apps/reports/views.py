"""Views of this app."""
