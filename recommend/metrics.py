"""The feed's metrics (kernel.metrics); the model's version is read at scrape time
(recommend.selectors.model_state)."""

from kernel.metrics import histogram

feed_page_seconds = histogram("feed_page_seconds", "Seconds to build one page of the feed.", ("viewer",))
