#!/usr/bin/env bash
# Kafka's storage tool (format, info, random-uuid) for KRaft log directories.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
