"""The chain: the client and contract, the outbox that signs and sends, the indexer that reads
events back, what confirmed transactions mean, and reconciliation."""
