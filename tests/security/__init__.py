"""Attacks on the platform, each written first as the attack, then checked as a refusal."""
