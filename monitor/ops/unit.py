"""The systemd unit, as a template: ``systemd/monitor.service`` is this with the defaults, and
``monitor install-service`` fills in the current virtualenv and config."""

from __future__ import annotations

from pathlib import Path

DEFAULT_EXEC = Path("/opt/monitor/.venv/bin/monitor")
DEFAULT_CONFIG = Path("/etc/monitor/monitor.yaml")
STATE_DIR = Path("/var/lib/monitor")

_TEMPLATE = """\
# monitor as a systemd service. Install (as root), from a clone in /opt/monitor with `make run` done once:
#   monitor install-service -c /etc/monitor/monitor.yaml -o /etc/systemd/system/monitor.service
#   cp systemd/monitor.env.example /etc/monitor/monitor.env && chmod 600 /etc/monitor/monitor.env
#   systemctl daemon-reload && systemctl enable --now monitor
# The config's `database:` should point into the state directory, e.g. /var/lib/monitor/monitor.db.
# `systemctl reload monitor` re-reads the config (SIGHUP); an invalid config is refused and the old one kept.
[Unit]
Description=monitor: news monitoring daemon
Documentation=https://github.com/monitor-news/monitor
Wants=network-online.target
After=network-online.target

[Service]
# READY=1 once the database is open and the scheduler runs; WATCHDOG=1 from the event loop while the
# database accepts writes, so a hung loop or a dead disk gets the service restarted.
Type=notify
NotifyAccess=main
WatchdogSec=60s
ExecStartPre={exec} check -c {config}
ExecStart={exec} run -c {config}
ExecReload=/bin/kill -HUP $MAINPID
EnvironmentFile=-/etc/monitor/monitor.env
Restart=on-failure
RestartSec=10s
# SIGTERM lets in-flight polls finish (8 s grace) before exit
TimeoutStopSec=15s
DynamicUser=yes
StateDirectory=monitor
WorkingDirectory={state}
{read_write}ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
PrivateUsers=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities=
DevicePolicy=closed
UMask=0077

[Install]
WantedBy=multi-user.target
"""


def render_unit(
    executable: Path = DEFAULT_EXEC, config: Path = DEFAULT_CONFIG, database: Path | None = None
) -> str:
    """Return the unit text for ``executable`` and ``config``; a database outside the state directory is made
    writable with ``ReadWritePaths=`` (ProtectSystem=strict makes everything else read-only)."""
    read_write = ""
    if database is not None and not database.is_relative_to(STATE_DIR):
        read_write = f"ReadWritePaths={database.parent}\n"
    return _TEMPLATE.format(exec=executable, config=config, state=STATE_DIR, read_write=read_write)
