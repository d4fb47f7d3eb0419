import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Values } from '../../../values/schema/index.js';
import { dashboard, gauge, labelVariable, RATE, stat, timeseries } from './panels.js';

/** Uid of the system resources dashboard. */
const SYSTEM_UID = 'aiops-system';

const NODE = 'node=~"$node"';
/** Real filesystems only: no pseudo, overlay or in-memory mounts. */
const FS = `${NODE}, fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs|autofs|fuse.*"`;
/** Physical interfaces only: no loopback, bridges or pod veths. */
const NIC = `${NODE}, device!~"lo|veth.*|cali.*|cni.*|flannel.*|docker.*|br-.*|tunl.*|vxlan.*|kube-ipvs.*"`;

const cpuUsage = (by: string) => `1 - avg${by}(rate(node_cpu_seconds_total{mode="idle", ${NODE}}${RATE}))`;
const memoryUsage = `1 - node_memory_MemAvailable_bytes{${NODE}} / node_memory_MemTotal_bytes{${NODE}}`;
const diskUsage = `1 - node_filesystem_avail_bytes{${FS}} / node_filesystem_size_bytes{${FS}}`;

/**
 * System resources per node from node-exporter: CPU, memory, disk and network, with the alert
 * thresholds (`alerting.thresholds.{cpu,memory,disk}Percent`) on the panels.
 */
export function systemDashboard(thresholds: Values['alerting']['thresholds']) {
  const cpu = { value: thresholds.cpuPercent / 100 };
  const memory = { value: thresholds.memoryPercent / 100 };
  const disk = { value: thresholds.diskPercent / 100 };
  return dashboard({
    uid: SYSTEM_UID,
    title: 'AIOps / System resources',
    description: 'CPU, memory, disk and network of every node (node-exporter).',
    variables: [labelVariable('node', 'Node', 'node_load1')],
  })
    .withRow(new RowBuilder('Overview'))
    .withPanel(stat('Nodes', { unit: 'none', targets: [{ expr: `count(node_load1{${NODE}})`, legend: 'nodes' }] }))
    .withPanel(gauge('CPU usage', { unit: 'percentunit', threshold: cpu, targets: [{ expr: cpuUsage(' '), legend: 'cpu' }] }))
    .withPanel(
      gauge('Memory usage', {
        unit: 'percentunit',
        threshold: memory,
        targets: [{ expr: `1 - sum(node_memory_MemAvailable_bytes{${NODE}}) / sum(node_memory_MemTotal_bytes{${NODE}})`, legend: 'memory' }],
      }),
    )
    .withPanel(gauge('Fullest filesystem', { unit: 'percentunit', threshold: disk, targets: [{ expr: `max(${diskUsage})`, legend: 'disk' }] }))
    .withRow(new RowBuilder('CPU'))
    .withPanel(
      timeseries('CPU usage by node', { unit: 'percentunit', width: 8, min: 0, max: 1, threshold: cpu, targets: [{ expr: cpuUsage(' by (node) '), legend: '{{node}}' }] }),
    )
    .withPanel(
      timeseries('CPU time by mode', {
        unit: 'percentunit',
        width: 8,
        description: 'Share of CPU time per mode, over the selected nodes.',
        targets: [{ expr: `sum by (mode) (rate(node_cpu_seconds_total{mode!="idle", ${NODE}}${RATE})) / scalar(count(node_cpu_seconds_total{mode="idle", ${NODE}}))`, legend: '{{mode}}' }],
      }),
    )
    .withPanel(
      timeseries('Load average', {
        unit: 'short',
        width: 8,
        targets: [
          { expr: `node_load1{${NODE}}`, legend: '{{node}} 1m' },
          { expr: `node_load15{${NODE}}`, legend: '{{node}} 15m' },
        ],
      }),
    )
    .withRow(new RowBuilder('Memory'))
    .withPanel(timeseries('Memory usage by node', { unit: 'percentunit', min: 0, max: 1, threshold: memory, targets: [{ expr: memoryUsage, legend: '{{node}}' }] }))
    .withPanel(
      timeseries('Memory in use', {
        unit: 'bytes',
        targets: [
          { expr: `node_memory_MemTotal_bytes{${NODE}} - node_memory_MemAvailable_bytes{${NODE}}`, legend: '{{node}} used' },
          { expr: `node_memory_MemTotal_bytes{${NODE}}`, legend: '{{node}} total' },
        ],
      }),
    )
    .withRow(new RowBuilder('Disk'))
    .withPanel(timeseries('Filesystem usage', { unit: 'percentunit', min: 0, max: 1, threshold: disk, targets: [{ expr: diskUsage, legend: '{{node}} {{mountpoint}}' }] }))
    .withPanel(
      timeseries('Disk throughput', {
        unit: 'Bps',
        targets: [
          { expr: `sum by (node) (rate(node_disk_read_bytes_total{${NODE}}${RATE}))`, legend: '{{node}} read' },
          { expr: `sum by (node) (rate(node_disk_written_bytes_total{${NODE}}${RATE}))`, legend: '{{node}} written' },
        ],
      }),
    )
    .withRow(new RowBuilder('Network'))
    .withPanel(timeseries('Network received', { unit: 'Bps', targets: [{ expr: `sum by (node) (rate(node_network_receive_bytes_total{${NIC}}${RATE}))`, legend: '{{node}}' }] }))
    .withPanel(timeseries('Network sent', { unit: 'Bps', targets: [{ expr: `sum by (node) (rate(node_network_transmit_bytes_total{${NIC}}${RATE}))`, legend: '{{node}}' }] }));
}
