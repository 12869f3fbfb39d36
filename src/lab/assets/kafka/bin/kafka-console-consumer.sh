#!/usr/bin/env bash
[ -z "${KAFKA_HEAP_OPTS:-}" ] && export KAFKA_HEAP_OPTS="-Xmx512M"
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.ConsoleConsumer "$@"
