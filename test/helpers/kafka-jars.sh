#!/usr/bin/env bash
# Fetches Apache Kafka's jars for one version from Maven Central into ~/.cache/opsdeck/kafka-<v>
# (outside the repository; nothing is committed). Usage: kafka-jars.sh 3.9.1
# kafka-tools brings the StorageTool's --add-scram and ProducerPerformance; slf4j-api is pinned to
# 2.x with slf4j-simple (kafka-tools 3.9 brings a reload4j binding, excluded) or the broker logs nothing.
set -euo pipefail
version="$1"
dest="${OPSDECK_KAFKA_CACHE:-$HOME/.cache/opsdeck}/kafka-$version"
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>opsdeck.test</groupId><artifactId>kafka-jars</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version>
      <exclusions>
        <exclusion><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId></exclusion>
        <exclusion><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.16</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.16</version></dependency>
  </dependencies>
</project>
POM
mkdir -p "$dest"
mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dest" -DincludeScope=runtime >&2
touch "$dest/.complete"
echo "$dest"
