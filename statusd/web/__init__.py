"""The HTTP side: the app factory, the public page, the read APIs and the ops endpoints."""
