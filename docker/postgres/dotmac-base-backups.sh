#!/bin/sh
# Scheduled base backups: one now, then one every WALG_BASE_BACKUP_INTERVAL seconds (default
# 86400, daily), each followed by retention (keep WALG_RETAIN_FULL full backups, default 7, and
# the WAL needed to recover to any moment since the oldest). With WALG_DELTA_MAX_STEPS > 0 most
# of them are delta backups (only the pages changed since the previous one).
#
# Runs next to PostgreSQL with its data directory mounted (wal-g reads the files and calls
# pg_backup_start/stop over PGHOST): a compose service of its own, a sidecar container on
# Kubernetes. A failed backup is logged and retried at the next interval; the archived WAL keeps
# recovery possible from the previous base backup meanwhile.
set -u
interval="${WALG_BASE_BACKUP_INTERVAL:-86400}"
retain="${WALG_RETAIN_FULL:-7}"
pgdata="${PGDATA:-/var/lib/postgresql/data}"

until pg_isready -q; do sleep 5; done
while true; do
    started=$(date +%s)
    echo "base backup of $pgdata starting"
    if dotmac-wal-g backup-push "$pgdata"; then
        echo "base backup done in $(( $(date +%s) - started )) s"
        dotmac-wal-g delete retain FULL "$retain" --confirm || echo "retention failed" >&2
    else
        echo "base backup FAILED; next attempt in $interval s" >&2
    fi
    sleep "$interval"
done
