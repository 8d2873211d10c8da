#!/bin/sh
# The gateway's two Ed25519 signing keys (issuer.pem, internal.pem) and their
# public halves, made once into DIR (default deploy/secrets/keys) for
# compose.yaml, which mounts DIR read-only. The files are readable by the
# image's user (uid 10001) only: run as root, or chown them yourself.
set -eu
dir=${1:-deploy/secrets/keys}
mkdir -p "$dir"
uv run python -c '
import sys
from pathlib import Path
from gateway.keys import load_or_create
for name in ("issuer", "internal"):
    load_or_create(Path(sys.argv[1]), name)
' "$dir"
chmod 0400 "$dir/issuer.pem" "$dir/internal.pem"
chmod 0444 "$dir/issuer.pub.pem" "$dir/internal.pub.pem"
if [ "$(id -u)" = 0 ]; then
    chown 10001:10001 "$dir"/*.pem
else
    echo "now: chown 10001:10001 $dir/*.pem (as root), so that the containers can read them" >&2
fi
