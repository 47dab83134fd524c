"""The running daemon by concern; monitor.daemon composes them and owns the order of start and shutdown.

- ``polls``: the poll scheduler and the polls in flight, each with the Runtime it started with;
- ``jobs``: heartbeat, the delivery nudge with the health check, retention;
- ``dispatching``: the one dispatcher task, restarted if it dies;
- ``status``: /healthz, /metrics and the systemd status line;
- ``reload``: a re-read config as a whole new Runtime.
"""
