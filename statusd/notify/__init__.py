"""Notifications: ops channels (apprise) and email subscribers, delivered from the outbox.

The dispatcher turns outbox changes into delivery rows; the sender claims due rows and sends
them. Nothing here is called from a request handler or the pipeline to send anything inline.
"""
