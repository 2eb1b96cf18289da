"""The chain side's metrics (kernel.metrics); the outbox's backlog is read at scrape time
(rights.selectors.outbox_state)."""

from kernel.metrics import gauge, histogram

confirmation_seconds = histogram("chain_confirmation_seconds",
                                 "From a contract call being asked for to its confirmation.", ("function",))
indexer_lag_blocks = gauge("chain_indexer_lag_blocks",
                           "Settled blocks the indexer had still to read when its latest pass began.",
                           mode="mostrecent")
