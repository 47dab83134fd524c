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


def render_unit(executable: Path = DEFAULT_EXEC, config: Path = DEFAULT_CONFIG, database: Path | None = None) -> str:
    """Return the unit text for ``executable`` and ``config``; a database outside the state directory is made
    writable with ``ReadWritePaths=`` (ProtectSystem=strict makes everything else read-only)."""
    read_write = ""
    if database is not None and not database.is_relative_to(STATE_DIR):
        read_write = f"ReadWritePaths={database.parent}\n"
    return _TEMPLATE.format(exec=executable, config=config, state=STATE_DIR, read_write=read_write)


# PrivateTmp=yes gives the service its own empty /tmp and /var/tmp: nothing of the host's is there.
HIDDEN_BY_PRIVATE_TMP = (Path("/tmp"), Path("/var/tmp"))


def unit_problems(
    executable: Path, config: Path, database: Path | None, *, hidden: tuple[Path, ...] = HIDDEN_BY_PRIVATE_TMP
) -> list[str]:
    """Return why the rendered unit could not start here, each with what to do (empty when nothing is found).

    The service runs as a dynamic user (not the one installing it) in a private /tmp: it must reach the
    program and config through directories anyone may enter and read, and write the database's folder.
    """
    problems = []
    files = [("the program", executable), ("the config", config)] + ([("the database", database)] if database else [])
    for what, path in files:
        seen = (path.absolute(), _resolved(path))
        under = next((h for h in hidden if any(p.is_relative_to(h) for p in seen)), None)
        if under is not None:
            problems.append(
                f"{what} {path} is under {under}, which the service does not see (PrivateTmp=yes gives it an empty "
                f"{under}): move the checkout (e.g. to /opt/monitor) or the file out of {under}, then run "
                "install-service again"
            )
    if problems:
        return problems  # the rest would only repeat the same cause
    for what, path in (("the program", executable), ("the config", config)):
        blocked = _not_enterable(path)
        if blocked is not None:
            problems.append(
                f"{what} {path} cannot be read by the service's dynamic user: {blocked} is not open to others "
                f"(chmod o+rx {blocked}, or install under /opt)"
            )
    if database is None or database.is_relative_to(STATE_DIR):  # None: a database server
        return problems
    folder = database.parent
    if not folder.is_dir():
        problems.append(
            f"the database folder {folder} does not exist and the service may not create it (ProtectSystem=strict): "
            f"set `database: {STATE_DIR}/monitor.db` in {config} (systemd creates {STATE_DIR} for the service)"
        )
    elif not folder.stat().st_mode & 0o002:
        problems.append(
            f"the database folder {folder} is not writable by the service's dynamic user (only by its owner): set "
            f"`database: {STATE_DIR}/monitor.db` in {config} (systemd creates {STATE_DIR} for the service and "
            "moves it along), or give the folder to a fixed User= in the unit"
        )
    return problems


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _not_enterable(path: Path) -> Path | None:
    """Return the first directory above ``path`` (or the file itself) that others may not enter or read."""
    target = path.absolute()
    for folder in reversed(target.parents):
        try:
            if not folder.stat().st_mode & 0o001:
                return folder
        except OSError:
            return folder
    try:
        return None if target.stat().st_mode & 0o004 else target
    except OSError:
        return target
