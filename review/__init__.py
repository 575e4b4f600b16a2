"""Reviewing suggested themes: actions that append to the decision log, and the web app."""
