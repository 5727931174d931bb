#!/bin/sh
# wal-g with DotMac's storage choice: an object store when one is configured (WALG_S3_PREFIX,
# WALG_GS_PREFIX or WALG_AZ_PREFIX), otherwise WALG_FILE_PREFIX (a directory; on one machine,
# a volume of its own). Variables compose passes as empty strings are dropped first, so that an
# unset option is unset for wal-g too.
#
# PostgreSQL calls it as archive_command (`dotmac-wal-g wal-push %p`) and restore_command
# (`dotmac-wal-g wal-fetch %f %p`); dotmac-base-backups calls `backup-push` and `delete`.
set -eu
for name in $(env | sed -n 's/^\(WALG_[A-Z0-9_]*\|AWS_[A-Z0-9_]*\|GOOGLE_[A-Z0-9_]*\|AZURE_[A-Z0-9_]*\)=$/\1/p'); do
    unset "$name"
done
if [ -n "${WALG_S3_PREFIX:-}${WALG_GS_PREFIX:-}${WALG_AZ_PREFIX:-}" ]; then
    unset WALG_FILE_PREFIX
elif [ -z "${WALG_FILE_PREFIX:-}" ]; then
    echo "dotmac-wal-g: set WALG_S3_PREFIX (or WALG_GS_PREFIX, WALG_AZ_PREFIX) or WALG_FILE_PREFIX" >&2
    exit 1
fi
exec wal-g "$@"
