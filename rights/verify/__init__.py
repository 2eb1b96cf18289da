"""Verification and certificates: what anyone may learn about a file, a hash or a work."""
