#!/usr/bin/env bash
# Cluster feature levels: metadata.version, upgrade and downgrade.
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.FeatureCommand "$@"
