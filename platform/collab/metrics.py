"""The storyboard relay's metrics (kernel.metrics): what it stores, relays, and how late."""

from kernel.metrics import counter, gauge, histogram

updates_stored = counter("collab_updates_stored", "Storyboard updates written to the log.")
updates_relayed = counter("collab_updates_relayed",
                          "Storyboard updates handed to this process's sockets (one per socket).")
relay_lag = histogram("collab_relay_lag_seconds",
                      "From an update's arrival to its relay to the room's sockets (stored first).")
rooms_open = gauge("collab_rooms", "Storyboard rooms open (in memory) in the serving processes.")
