"""The kernel: what every app builds on (errors, the API base, paths, Redis URLs, bounded
inputs). It imports no app and no wiring; lint-imports keeps it so."""
