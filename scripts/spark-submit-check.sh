#!/usr/bin/env bash
# spark-submit-check.sh: builds the application jar for spark-submit (-Pspark-app) and runs it the way spark-submit
# does, without a Spark installation: Spark's own launcher class (org.apache.spark.deploy.SparkSubmit) on a class
# path of Spark's jars alone (spark-core's dependency closure at Spark's own versions, with SLF4J 2 and Log4j 2, as
# in a Spark distribution's jars/ directory), the application jar given to it as spark-submit's primary resource. It trains the micro ViT-PE for one epoch on a part of the shipped subset in
# local[2] and checks that the run directory is complete.
#
# usage: scripts/spark-submit-check.sh [OUT_DIR]      (default: a temporary directory, removed afterwards)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-}"
if [[ -z "$out" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  out="$tmp/run"
fi
echo "building the application jar (mvn -Pspark-app package) ..." >&2
mvn -B -q ${PE_MVN_ARGS:-} -Pspark-app -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
  -pl dl4j-pe-cli -am package >&2
target=dl4j-pe-cli/target
app="$(ls "$target"/dl4j-pe-cli-*-spark-app.jar | head -1)"
# Spark's jars, as a Spark distribution's jars/ directory has them: spark-core's own dependency closure (its own
# versions, not the ones this project manages) and SLF4J 2, resolved by Maven from a throwaway project
spark_version="$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' pom.xml | head -1)"
scala_version="$(sed -n 's:.*<scala.binary.version>\(.*\)</scala.binary.version>.*:\1:p' pom.xml | head -1)"
dist="$(mktemp -d)"
cat > "$dist/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.check</groupId><artifactId>spark-distribution-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_$scala_version</artifactId><version>$spark_version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.7</version></dependency>
  </dependencies>
</project>
POM
echo "resolving Spark $spark_version's jars ..." >&2
mvn -B -q ${PE_MVN_ARGS:-} -f "$dist/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dist/cp.txt" >&2
spark_cp="$(cat "$dist/cp.txt")"
rm -rf "$dist"
java_options="$(sed -n 's/^java.options=//p' "$target/pe-launch.properties")"
echo "submitting $app (size $(du -h "$app" | cut -f1)) through org.apache.spark.deploy.SparkSubmit ..." >&2
# shellcheck disable=SC2086
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" java $java_options -cp "$spark_cp" org.apache.spark.deploy.SparkSubmit \
  --master 'local[2]' --class org.dl4jpe.cli.PeCommand \
  --conf spark.serializer=org.apache.spark.serializer.JavaSerializer \
  "$app" \
  train vit_pe_micro_patch4_28 --limit-train 256 --limit-test 128 --epochs 1 --batch 32 \
  --spark 'local[2]' --out "$out"
for f in state.json metrics.csv curves.png checkpoint-e0001.zip distributed.json; do
  [[ -s "$out/$f" ]] || { echo "spark-submit-check: $out/$f is missing" >&2; exit 1; }
done
grep -q '"status" *: *"finished"' "$out/state.json" \
  || { echo "spark-submit-check: $out/state.json does not say finished" >&2; exit 1; }
echo "spark-submit-check: the application jar trained on Spark's class path; run directory complete: $out" >&2
