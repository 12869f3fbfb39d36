#!/usr/bin/env bash
# Kafka 4 runs this tool from kafka-tools, no longer from core.
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
