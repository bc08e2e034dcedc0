"""Syslog input: framing, header decoding, listeners and the batching pipeline."""
