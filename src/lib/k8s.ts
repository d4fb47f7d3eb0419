/**
 * The Kubernetes API objects (cdk8s' generated L1 classes for Kubernetes 1.27), imported once for
 * the whole code base: straight from cdk8s-plus-27's `imports/k8s` module, not its index, which
 * would also load its higher-level constructs (unused here). One import site also means the bundle
 * wraps that CommonJS module for ES imports once, not once per importing file.
 */
export * as k8s from 'cdk8s-plus-27/lib/imports/k8s.js';
