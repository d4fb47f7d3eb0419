import { spawnSync } from 'node:child_process';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { BasicAuth } from '../../src/components/ingress/basic-auth.js';
import { BCRYPT_COST, htpasswdLine } from '../../src/lib/htpasswd.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects, validateK8sObject } from '../support/k8s-validate.js';
import { find, ofKind } from '../support/render.js';

registerCrdValidators();

const NAME = 'aiops-platform-basic-auth';
const render = (valuesYaml = '', tls = false): ConstructRender & { ref: string } => {
  let ref = '';
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    ref = new BasicAuth(chart, 'basic-auth', { ctx, values: values.ingress.basicAuth, tls }).ref;
  });
  assertValidK8sObjects(r.objects);
  return { ...r, ref };
};
const users = (r: ConstructRender): string => find(r.objects, 'Secret', NAME).stringData.users;
/** Checks a bcrypt hash with bcryptjs, and with the C library's crypt(3) (libxcrypt, as Go's bcrypt would) when Python can call it. */
function verifies(password: string, hash: string): boolean {
  const js = bcrypt.compareSync(password, hash);
  const py = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(str(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2]).lower())', password, hash], { encoding: 'utf8' });
  if (py.status === 0) expect(py.stdout.trim(), 'libxcrypt agrees with bcryptjs').toBe(String(js));
  return js;
}

describe('BasicAuth', () => {
  const defaults = render();

  it('renders a traefik.io/v1alpha1 basicAuth Middleware, valid against the Middleware CRD, reading its users Secret', () => {
    const mw = find(defaults.objects, 'Middleware', NAME);
    expect(mw.apiVersion).toBe('traefik.io/v1alpha1');
    expect(mw.metadata.namespace).toBe('aiops-platform');
    expect(mw.spec).toEqual({ basicAuth: { secret: NAME, realm: 'aiops-platform', removeHeader: true } });
    expect(validateK8sObject(mw)).toEqual([]);
    expect(validateK8sObject({ ...mw, spec: { basicAuth: { ...mw.spec.basicAuth, users: ['a:b'] } } })).not.toEqual([]); // the CRD has no inline users
    expect(defaults.ref).toBe(`aiops-platform-${NAME}@kubernetescrd`);
  });

  it('keeps one key, users, with a bcrypt htpasswd line of the development password (Traefik reads an Opaque users Secret only with exactly one key)', () => {
    const secret = find(defaults.objects, 'Secret', NAME);
    expect(Object.keys(secret.stringData)).toEqual(['users']);
    const [user, hash] = users(defaults).split(':');
    expect(user).toBe('admin');
    expect(hash).toMatch(new RegExp(`^\\$2b\\$${BCRYPT_COST}\\$[./A-Za-z0-9]{53}$`));
    expect(verifies('dev-aiops-platform-basic-auth-password', hash!)).toBe(true);
    expect(verifies('wrong', hash!)).toBe(false);
    expect(defaults.warnings).toEqual([]);
  });

  it('hashes the password from values deterministically and never writes it into the manifests', () => {
    const password = 'c0rrect horse:battery€staple';
    const values = `ingress: {basicAuth: {username: ops, password: "${password}"}}`;
    const a = render(values);
    const [user, hash] = users(a).split(/:(.*)/s);
    expect(user).toBe('ops');
    expect(verifies(password, hash!)).toBe(true);
    expect(users(render(values))).toBe(users(a)); // same values, byte-identical output
    expect(JSON.stringify(a.objects)).not.toContain(password);
    // The salt depends on the scope and user: the same password hashes differently elsewhere.
    expect(htpasswdLine('ops', password, 'other/other')).not.toBe(users(a));
    expect(htpasswdLine('admin', password, 'aiops-platform/aiops-platform').split(':')[1]).not.toBe(hash);
  });

  it('refuses what htpasswd or bcrypt cannot hold', () => {
    expect(() => htpasswdLine('a:b', 'x', 's')).toThrow('must not contain ":"');
    expect(() => htpasswdLine('a', 'x'.repeat(73), 's')).toThrow('longer than 72 bytes');
  });

  it('renders no Secret in production without a password and says which to create; warns about a plaintext password', () => {
    const production = render('global: {development: false}', true);
    expect(ofKind(production.objects, 'Secret')).toEqual([]);
    expect(find(production.objects, 'Middleware', NAME).spec.basicAuth.secret).toBe(NAME);
    expect(production.warnings).toEqual([
      `ingress.basicAuth.password not set and no ingress.basicAuth.existingSecret: no Secret is rendered; create it before applying: kubectl -n aiops-platform create secret generic ${NAME} --from-file=users=<(htpasswd -nbB admin …)`,
    ]);
    const plaintext = render('global: {development: false}\ningress: {basicAuth: {password: s3cret-pass}}', true);
    expect(plaintext.warnings.join('\n')).toContain('ingress.basicAuth.password is a plaintext credential while global.development is false');
  });

  it('warns in production when the password would cross the network in clear (no ingress.tls)', () => {
    const warning = 'ingress.basicAuth without ingress.tls: browsers send the basic-auth password in clear text over HTTP; add a certificate to ingress.tls';
    expect(render('global: {development: false}\ningress: {basicAuth: {existingSecret: x}}').warnings).toEqual([warning]);
    expect(render('global: {development: false}\ningress: {basicAuth: {existingSecret: x}}', true).warnings).toEqual([]);
    expect(render('', false).warnings).toEqual([]); // development: no TLS expected
  });

  it('uses ingress.basicAuth.existingSecret, or an ExternalSecret with property users, instead of its own Secret', () => {
    const existing = render('ingress: {basicAuth: {existingSecret: my-htpasswd}}');
    expect(ofKind(existing.objects, 'Secret')).toEqual([]);
    expect(find(existing.objects, 'Middleware', NAME).spec.basicAuth.secret).toBe('my-htpasswd');
    const external = render('secrets: {external: true, provider: vault, vaultPath: secret/aiops}');
    expect(find(external.objects, 'ExternalSecret', NAME).spec.data).toEqual([{ secretKey: 'users', remoteRef: { key: 'secret/aiops/basic-auth', property: 'users' } }]);
  });
});
