#!/usr/bin/env bash
# Regenerates imports/ from the CRD manifests in ../shared/crds (offline; see its SOURCES.md).
# Only the kinds the chart creates are imported; each gets a module of its own so imports do not overwrite each other.
set -euo pipefail
cd "$(dirname "$0")/.."
crds=../shared/crds
export CDK8S_CHECK_UPGRADE=false
mkdir -p imports/crds
# The CRD manifests are kept beside the generated code (byte-for-byte copies) so tests can validate against them.
import() { cp "$crds/$2" imports/crds/ && npx cdk8s import "$1:=$crds/$2" -l typescript -o imports --no-save; }
import externalsecret external-secrets.io_externalsecrets.yaml
import ciliumnetworkpolicy cilium.io_ciliumnetworkpolicies.yaml
import middleware traefik.io_middlewares.yaml
