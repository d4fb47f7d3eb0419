/** Roles, permissions, Grafana's roles and the requirements of forwarded requests (identity/roles.ts). */
import { describe, expect, it } from 'vitest';
import { atLeast, can, forwardedRequirement, GRAFANA_ROLES, isRole, lowerRole, normalizedPath, PERMISSIONS, refusedForwardedPath, ROLES } from '../../../src/services/api-gateway/identity/roles.js';

describe('roles', () => {
  it('are ordered viewer < operator < admin', () => {
    expect(ROLES).toEqual(['viewer', 'operator', 'admin']);
    expect(atLeast('admin', 'operator')).toBe(true);
    expect(atLeast('operator', 'operator')).toBe(true);
    expect(atLeast('viewer', 'operator')).toBe(false);
    expect(lowerRole('admin', 'viewer')).toBe('viewer');
    expect(lowerRole('operator', 'admin')).toBe('operator');
    expect(isRole('admin')).toBe(true);
    expect(isRole('Admin')).toBe(false);
    expect(isRole(undefined)).toBe(false);
  });

  it('the permissions table: operators silence and run dry runs, only admins approve, manage users and read the audit', () => {
    expect(can('viewer', 'read')).toBe(true);
    expect(can('viewer', 'silence')).toBe(false);
    expect(can('operator', 'silence')).toBe(true);
    expect(can('operator', 'dryRun')).toBe(true);
    expect(can('operator', 'approve')).toBe(false);
    expect(can('admin', 'approve')).toBe(true);
    expect(can('operator', 'manageUsers')).toBe(false);
    expect(can('operator', 'readAudit')).toBe(false);
    expect(Object.values(PERMISSIONS).every(isRole)).toBe(true);
  });

  it('maps to Grafana Viewer, Editor, Admin', () => {
    expect(GRAFANA_ROLES).toEqual({ viewer: 'Viewer', operator: 'Editor', admin: 'Admin' });
  });
});

describe("paths closed to the Ingress (Prometheus' admin API, on for the backup CronJob only)", () => {
  it.each([
    '/prometheus/api/v1/admin/tsdb/snapshot',
    '/prometheus/api/v1/admin/tsdb/delete_series',
    '/prometheus/api/v1/admin/tsdb/clean_tombstones',
    '/prometheus/api/v1/admin',
    '/prometheus/api/v1/admin/',
    '/prometheus//api/v1/admin/tsdb/snapshot',
    '/prometheus/api/v1/./admin/tsdb/snapshot',
    '/prometheus/api/v1/query/../admin/tsdb/snapshot',
    '/prometheus/api/v1/%61dmin/tsdb/snapshot',
    '/prometheus/api/v1/admin%2Ftsdb%2Fsnapshot',
    '/prometheus/api/v1/%2561dmin/tsdb/snapshot',
    '/prometheus\\api\\v1\\admin\\tsdb\\snapshot',
    '/Prometheus/API/v1/Admin/tsdb/snapshot',
    '/grafana/../prometheus/api/v1/admin/tsdb/snapshot',
  ])('refuses %s to everyone', (path) => {
    expect(refusedForwardedPath(path)).toMatch(/^Prometheus' admin API is not served through the Ingress/);
  });

  it.each(['/prometheus/api/v1/query', '/prometheus/api/v1/administrator', '/prometheus/graph', '/grafana/api/v1/admin/tsdb/snapshot', '/api/v1/admin/users', '/prometheus/api/v2/admin'])(
    'lets %s through to the role checks',
    (path) => {
      expect(refusedForwardedPath(path)).toBeUndefined();
    },
  );

  it('normalizes as a decoding server reads the path', () => {
    expect(normalizedPath('/a//b/./c/../d%2Fe')).toBe('/a/b/d/e');
    expect(normalizedPath('/../../x')).toBe('/x');
    expect(normalizedPath('/A/b/')).toBe('/a/b/');
  });
});

describe('what a forwarded request needs', () => {
  const need = (method: string, path: string) => forwardedRequirement(method, path);

  it('reads need viewer and are not audited, whatever the path', () => {
    for (const path of ['/prometheus/graph', '/alertmanager/', '/grafana/d/x', '/unknown', '/../etc']) {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(need(method, path)).toEqual({ role: 'viewer', audit: false });
    }
  });

  it('Alertmanager writes (silences) need operator and are audited', () => {
    expect(need('POST', '/alertmanager/api/v2/silences')).toEqual({ role: 'operator', audit: true });
    expect(need('DELETE', '/alertmanager/api/v2/silence/abc')).toEqual({ role: 'operator', audit: true });
  });

  it('Prometheus: POSTed queries are reads; its admin and lifecycle APIs need admin', () => {
    expect(need('POST', '/prometheus/api/v1/query')).toEqual({ role: 'viewer', audit: false });
    expect(need('POST', '/prometheus/api/v1/query_range')).toEqual({ role: 'viewer', audit: false });
    expect(need('POST', '/prometheus/api/v1/label/job/values')).toEqual({ role: 'viewer', audit: false });
    expect(need('POST', '/prometheus/api/v1/admin/tsdb/delete_series')).toEqual({ role: 'admin', audit: true });
    expect(need('POST', '/prometheus/-/quit')).toEqual({ role: 'admin', audit: true });
    expect(need('PUT', '/prometheus/api/v1/query')).toEqual({ role: 'admin', audit: true });
  });

  it('Grafana and Kibana decide their own (any signed-in user, no audit row of ours)', () => {
    expect(need('POST', '/grafana/api/ds/query')).toEqual({ role: 'viewer', audit: false });
    expect(need('POST', '/kibana/internal/bsearch')).toEqual({ role: 'viewer', audit: false });
  });

  it('a prefix matches whole segments; unknown prefixes and ambiguous paths need admin', () => {
    expect(need('POST', '/grafanax/api')).toEqual({ role: 'admin', audit: true });
    expect(need('POST', '/somewhere')).toEqual({ role: 'admin', audit: true });
    for (const path of ['/grafana/../prometheus/api/v1/admin/x', '/grafana/%2e%2e/alertmanager', '/grafana%2Fx', '/grafana//x', '/grafana/.\\x', '/grafana/.']) {
      expect(need('POST', path), path).toEqual({ role: 'admin', audit: true });
    }
  });
});
