"""Issue 13: what one hostile or careless client can cost, bounded."""
