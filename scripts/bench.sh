#!/usr/bin/env bash
# Builds Stowage.Server and the benchmark in Release, then runs the benchmark. The benchmark starts the
# server as its own process on a free 127.0.0.1 port with a fresh SQLite data directory, seeds it
# through the API and measures query and async-job throughput (see bench/README.md).
# Extra arguments go to the benchmark: --zones N --seconds S --clients C --job-clients J --seed-clients K
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Stowage.Server -c Release -v q -nologo >/dev/null
dotnet build bench/Stowage.Bench -c Release -v q -nologo >/dev/null
exec dotnet bench/Stowage.Bench/bin/Release/net10.0/Stowage.Bench.dll \
  --server src/Stowage.Server/bin/Release/net10.0/Stowage.Server.dll "$@"
