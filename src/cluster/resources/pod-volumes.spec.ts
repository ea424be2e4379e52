import { DomainError } from '../../common/domain-error';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';

/** A pod's volumes and volumeMounts, validated with the API server's field paths and texts. */
const pods = resourceTypeByKey('pods')!;

function refusal(volumes: unknown[], mounts: unknown[] = []): string {
  const c = newCluster();
  try {
    c.store.create(pods, { metadata: { name: 'p' }, spec: { schedulerName: 'none', containers: [{ name: 'app', image: 'nginx', volumeMounts: mounts }], volumes } }, 'default');
  } catch (e) {
    if (e instanceof DomainError) return e.message;
    throw e;
  }
  return 'accepted';
}

describe('pod volume validation', () => {
  it('accepts emptyDir, configMap, secret, hostPath, projected and persistentVolumeClaim volumes', () => {
    expect(
      refusal(
        [
          { name: 'a', emptyDir: {} },
          { name: 'b', configMap: { name: 'cm' } },
          { name: 'c', secret: { secretName: 's' } },
          { name: 'd', hostPath: { path: '/var/log', type: 'Directory' } },
          { name: 'e', projected: { sources: [{ configMap: { name: 'cm' } }, { secret: { name: 's' } }] } },
          { name: 'f', persistentVolumeClaim: { claimName: 'data' } },
        ],
        [{ name: 'a', mountPath: '/a' }, { name: 'f', mountPath: '/f' }],
      ),
    ).toBe('accepted');
  });

  it('refuses duplicate names and two sources in one volume', () => {
    expect(refusal([{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }])).toBe('Pod "p" is invalid: spec.volumes[1].name: Duplicate value: "a"');
    expect(refusal([{ name: 'a', hostPath: { path: '/x' }, configMap: { name: 'cm' } }])).toBe(
      'Pod "p" is invalid: spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type',
    );
  });

  it('names the field each source requires', () => {
    expect(refusal([{ name: 'a', configMap: {} }, { name: 'b', secret: {} }, { name: 'c', persistentVolumeClaim: {} }, { name: 'd', hostPath: { path: '/x', type: 'Dir' } }])).toBe(
      'Pod "p" is invalid: [spec.volumes[0].configMap.name: Required value, spec.volumes[1].secret.secretName: Required value, spec.volumes[2].persistentVolumeClaim.claimName: Required value, spec.volumes[3].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"]',
    );
    expect(refusal([{ name: 'Bad_Name', emptyDir: {} }])).toMatch(/^Pod "p" is invalid: spec\.volumes\[0\]\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/);
  });

  it('refuses a mount that names no volume of the pod, or a mount path used twice', () => {
    expect(refusal([{ name: 'a', emptyDir: {} }], [{ name: 'b', mountPath: '/b' }])).toBe('Pod "p" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "b"');
    expect(refusal([{ name: 'a', emptyDir: {} }], [{ name: 'a', mountPath: '/x' }, { name: 'a', mountPath: '/x' }])).toBe(
      'Pod "p" is invalid: spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/x": must be unique',
    );
    // A mount of an invalid volume is not found either, as upstream reports it.
    expect(refusal([{ name: 'a', configMap: {} }], [{ name: 'a', mountPath: '/a' }])).toBe(
      'Pod "p" is invalid: [spec.volumes[0].configMap.name: Required value, spec.containers[0].volumeMounts[0].name: Not found: "a"]',
    );
  });
});
