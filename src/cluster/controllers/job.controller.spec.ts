import { newCluster } from '../../../test/support/cluster/cluster';
import { JobStatus } from '../resources/job.types';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION } from './run-to-completion';

const t = (key: string) => resourceTypeByKey(key)!;
const jobs = t('jobs.batch');
const T0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function cluster() {
  const c = newCluster();
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  c.store.create(t('nodes'), { metadata: { name: 'w2' } });
  return c;
}
type C = ReturnType<typeof cluster>;

function createJob(c: C, name: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>, restartPolicy = 'Never') {
  return c.store.create(
    jobs,
    {
      metadata: { name },
      spec: { ...spec, template: { metadata: annotations ? { annotations } : {}, spec: { restartPolicy, containers: [{ name: 'work', image: 'busybox:1.36' }] } } },
    },
    'default',
  );
}
const job = (c: C, name: string) => c.store.get(jobs, 'default', name);
const status = (c: C, name: string) => job(c, name).status as JobStatus;
const conditions = (c: C, name: string) => (status(c, name).conditions ?? []).map((k) => `${k.type}=${k.status}${k.reason ? ` ${k.reason}` : ''}`);
const podsOf = (c: C, name: string) => c.store.list(t('pods'), { namespace: 'default' }).items.filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === name);
const phase = (p: KubeObject) => (p.status as { phase?: string }).phase;
const events = (c: C) =>
  c.store
    .list(t('events'), { namespace: 'default' })
    .items.map((e) => e as unknown as { reason: string; message: string; source: { component: string } })
    .filter((e) => e.source.component === 'job-controller')
    .map((e) => `${e.reason}: ${e.message}`);

describe('JobController', () => {
  it('runs one pod to completion: tracking finalizer, uncounted then counted, SuccessCriteriaMet then Complete', () => {
    const c = cluster();
    createJob(c, 'pi');
    const [pod] = podsOf(c, 'pi');
    expect(pod.metadata.generateName).toBe('pi-');
    expect(pod.metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'pi', controller: true, blockOwnerDeletion: true });
    expect(status(c, 'pi')).toEqual({ startTime: at(0), active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} });
    c.advance(4);
    expect(status(c, 'pi').active).toBe(1);
    c.advance(1);
    const s = status(c, 'pi');
    expect(s).toMatchObject({ startTime: at(0), completionTime: at(5), succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(s.active).toBeUndefined();
    expect(conditions(c, 'pi')).toEqual(['SuccessCriteriaMet=True CompletionsReached', 'Complete=True CompletionsReached']);
    expect(s.conditions![1].message).toBe('Reached expected number of succeeded pods');
    const done = podsOf(c, 'pi')[0];
    expect(phase(done)).toBe('Succeeded');
    expect(done.metadata.finalizers).toBeUndefined();
    expect(events(c)).toEqual([`SuccessfulCreate: Created pod: ${pod.metadata.name}`, 'Completed: Job completed']);
  });

  it('an indexed Job with parallelism 2 and completions 5 finishes in 15 simulated seconds (three waves of 5 s pods)', () => {
    const c = cluster();
    createJob(c, 'idx', { completions: 5, parallelism: 2, completionMode: 'Indexed' });
    const first = podsOf(c, 'idx');
    expect(first.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort()).toEqual(['0', '1']);
    const zero = first.find((p) => p.metadata.labels?.['batch.kubernetes.io/job-completion-index'] === '0')!;
    expect(zero.metadata.name).toMatch(/^idx-0-[a-z0-9]{5}$/);
    expect((zero.spec as { hostname?: string }).hostname).toBe('idx-0');
    expect((zero.spec as { containers: Array<{ env?: unknown[] }> }).containers[0].env).toEqual([
      { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
    ]);
    c.advance(5);
    expect(status(c, 'idx')).toMatchObject({ completedIndexes: '0,1', succeeded: 2, active: 2 });
    c.advance(5);
    expect(status(c, 'idx')).toMatchObject({ completedIndexes: '0-3', succeeded: 4, active: 1 });
    expect(conditions(c, 'idx')).toEqual([]);
    c.advance(5);
    expect(status(c, 'idx')).toMatchObject({ completedIndexes: '0-4', succeeded: 5, completionTime: at(15) });
    expect(conditions(c, 'idx')).toEqual(['SuccessCriteriaMet=True CompletionsReached', 'Complete=True CompletionsReached']);
    expect(podsOf(c, 'idx')).toHaveLength(5);
  });

  it('backoffLimit: failed pods are replaced after 10 s, then 20 s; the third failure fails the Job', () => {
    const c = cluster();
    createJob(c, 'bad', { backoffLimit: 2 }, { [RUN_SECONDS_ANNOTATION]: '1', [EXIT_CODE_ANNOTATION]: '1' });
    c.advance(1);
    expect(status(c, 'bad')).toMatchObject({ failed: 1 });
    expect(podsOf(c, 'bad')).toHaveLength(1);
    c.advance(9);
    expect(podsOf(c, 'bad')).toHaveLength(1); // back-off: 10 s from the failure at 1 s
    c.advance(1);
    expect(podsOf(c, 'bad')).toHaveLength(2); // at 11 s
    c.advance(1); // fails at 12 s
    expect(status(c, 'bad').failed).toBe(2);
    c.advance(19);
    expect(podsOf(c, 'bad')).toHaveLength(2);
    c.advance(1); // 20 s after 12 s
    expect(podsOf(c, 'bad')).toHaveLength(3);
    c.advance(1); // fails at 33 s: 3 > backoffLimit 2
    expect(status(c, 'bad')).toMatchObject({ failed: 3 });
    expect(conditions(c, 'bad')).toEqual(['FailureTarget=True BackoffLimitExceeded', 'Failed=True BackoffLimitExceeded']);
    expect(status(c, 'bad').conditions![1]).toMatchObject({ message: 'Job has reached the specified backoff limit', lastTransitionTime: at(33) });
    expect(status(c, 'bad').completionTime).toBeUndefined();
    expect(events(c).at(-1)).toBe('BackoffLimitExceeded: Job has reached the specified backoff limit');
    c.advance(3600);
    expect(podsOf(c, 'bad')).toHaveLength(3);
  });

  it('backoffLimit under OnFailure counts container restarts', () => {
    const c = cluster();
    createJob(c, 'crash', { backoffLimit: 2 }, { [RUN_SECONDS_ANNOTATION]: '1', [EXIT_CODE_ANNOTATION]: '2' }, 'OnFailure');
    c.advance(2); // exits at 1 s and 2 s, restarted twice
    expect(conditions(c, 'crash')).toEqual(['FailureTarget=True BackoffLimitExceeded']);
    c.advance(1); // the pod, deleted, is gone
    expect(conditions(c, 'crash')).toEqual(['FailureTarget=True BackoffLimitExceeded', 'Failed=True BackoffLimitExceeded']);
    expect(status(c, 'crash')).toMatchObject({ failed: 1, terminating: 0 });
    expect(podsOf(c, 'crash')).toHaveLength(0);
  });

  it('activeDeadlineSeconds: the pods are stopped, FailureTarget then Failed once they are gone', () => {
    const c = cluster();
    createJob(c, 'slow', { activeDeadlineSeconds: 10 }, { [RUN_SECONDS_ANNOTATION]: '100' });
    c.advance(9);
    expect(conditions(c, 'slow')).toEqual([]);
    c.advance(1);
    expect(conditions(c, 'slow')).toEqual(['FailureTarget=True DeadlineExceeded']);
    expect(status(c, 'slow')).toMatchObject({ terminating: 1, failed: 1 });
    c.advance(1);
    expect(conditions(c, 'slow')).toEqual(['FailureTarget=True DeadlineExceeded', 'Failed=True DeadlineExceeded']);
    expect(status(c, 'slow').conditions![1].message).toBe('Job was active longer than specified deadline');
    expect(status(c, 'slow')).toMatchObject({ terminating: 0, failed: 1 });
    expect(events(c).at(-1)).toBe('DeadlineExceeded: Job was active longer than specified deadline');
  });

  it('suspend: no pods, no startTime; resume starts them and the clock of the deadline; suspending again deletes them', () => {
    const c = cluster();
    createJob(c, 'later', { suspend: true, activeDeadlineSeconds: 20 });
    c.advance(60);
    expect(podsOf(c, 'later')).toHaveLength(0);
    expect(status(c, 'later').startTime).toBeUndefined();
    expect(conditions(c, 'later')).toEqual(['Suspended=True JobSuspended']);
    const j = job(c, 'later');
    c.store.update(jobs, 'default', 'later', { ...j, spec: { ...(j.spec as object), suspend: false } });
    expect(podsOf(c, 'later')).toHaveLength(1);
    expect(status(c, 'later').startTime).toBe(at(60));
    expect(conditions(c, 'later')).toEqual(['Suspended=False JobResumed']);
    c.advance(2);
    const k = job(c, 'later');
    c.store.update(jobs, 'default', 'later', { ...k, spec: { ...(k.spec as object), suspend: true } });
    const [pod] = podsOf(c, 'later');
    expect(pod.metadata.deletionTimestamp).toBeDefined();
    expect(pod.metadata.finalizers).toBeUndefined();
    c.advance(60);
    expect(podsOf(c, 'later')).toHaveLength(0);
    expect(status(c, 'later')).toMatchObject({ terminating: 0 });
    expect(status(c, 'later').failed).toBeUndefined(); // a pod the controller deletes is not a failure
    expect(conditions(c, 'later')).toEqual(['Suspended=True JobSuspended']);
    expect(events(c).filter((e) => !e.startsWith('SuccessfulCreate'))).toEqual(['Suspended: Job suspended', 'Resumed: Job resumed', `SuccessfulDelete: Deleted pod: ${pod.metadata.name}`]); // the second Suspended is the first one's count 2
  });

  it('podFailurePolicy: FailJob on an exit code fails the Job with its message', () => {
    const c = cluster();
    const rules = [{ action: 'FailJob', onExitCodes: { containerName: 'work', operator: 'In', values: [42] } }];
    createJob(c, 'pfp', { podFailurePolicy: { rules } }, { [RUN_SECONDS_ANNOTATION]: '3', [EXIT_CODE_ANNOTATION]: '42' });
    const [pod] = podsOf(c, 'pfp');
    c.advance(3);
    expect(conditions(c, 'pfp')).toEqual(['FailureTarget=True PodFailurePolicy', 'Failed=True PodFailurePolicy']);
    expect(status(c, 'pfp').conditions![1].message).toBe(`Container work for pod default/${pod.metadata.name} failed with exit code 42 matching FailJob rule at index 0`);
    expect(status(c, 'pfp').failed).toBe(1);
  });

  it('podFailurePolicy: Ignore does not count the failure against backoffLimit', () => {
    const c = cluster();
    const rules = [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [1] } }];
    createJob(c, 'ign', { backoffLimit: 0, podFailurePolicy: { rules } }, { [RUN_SECONDS_ANNOTATION]: '1', [EXIT_CODE_ANNOTATION]: '1' });
    c.advance(1);
    expect(conditions(c, 'ign')).toEqual([]);
    expect(status(c, 'ign').failed).toBeUndefined();
    c.advance(10);
    expect(podsOf(c, 'ign')).toHaveLength(2); // replaced, after the back-off
  });

  it('ttlSecondsAfterFinished deletes the Job that long after it finished, and its pods with it', () => {
    const c = cluster();
    createJob(c, 'tmp', { ttlSecondsAfterFinished: 30 });
    c.advance(5);
    expect(conditions(c, 'tmp')).toContain('Complete=True CompletionsReached');
    c.advance(29);
    expect(c.store.tryGet(jobs, 'default', 'tmp')).toBeDefined();
    c.advance(1);
    expect(c.store.tryGet(jobs, 'default', 'tmp')).toBeUndefined();
    c.advance(2);
    expect(podsOf(c, 'tmp')).toHaveLength(0);
  });

  it('parallelism without completions: done when one pod succeeded and the others finished', () => {
    const c = cluster();
    createJob(c, 'queue', { parallelism: 3 });
    expect(podsOf(c, 'queue')).toHaveLength(3);
    c.advance(5);
    expect(status(c, 'queue')).toMatchObject({ succeeded: 3 });
    expect(conditions(c, 'queue')).toEqual(['SuccessCriteriaMet=True CompletionsReached', 'Complete=True CompletionsReached']);
  });

  describe('Indexed Jobs: backoffLimitPerIndex, maxFailedIndexes, FailIndex, successPolicy', () => {
    const indexOf = (p: KubeObject) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
    const failureCount = (p: KubeObject) => p.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count'];
    /** Sets the exit code of the live pod of an index (read when its container exits). */
    const exitWith = (c: C, name: string, index: string, code: number) => {
      const pod = podsOf(c, name).find((p) => indexOf(p) === index && !p.metadata.deletionTimestamp && !(p.status as { phase?: string }).phase?.match(/Succeeded|Failed/))!;
      c.store.patch(t('pods'), 'default', pod.metadata.name, { metadata: { annotations: { [EXIT_CODE_ANNOTATION]: String(code) } } });
    };

    it('backoffLimitPerIndex: each index retries on its own back-off, carrying its failure count; failed indexes fail the Job', () => {
      const c = cluster();
      createJob(c, 'per', { completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 1 }, { [RUN_SECONDS_ANNOTATION]: '1', [EXIT_CODE_ANNOTATION]: '1' });
      expect(podsOf(c, 'per').map(failureCount)).toEqual(['0', '0', '0']);
      expect(job(c, 'per').spec).toMatchObject({ backoffLimit: 2147483647 });
      exitWith(c, 'per', '2', 0);
      c.advance(1);
      // Indexes 0 and 1 failed once: their pods keep the tracking finalizer until their replacements exist.
      expect(status(c, 'per')).toMatchObject({ completedIndexes: '2', failedIndexes: '', succeeded: 1 });
      expect(status(c, 'per').failed).toBeUndefined();
      c.advance(9);
      expect(podsOf(c, 'per')).toHaveLength(3); // each index's back-off: 10 s after its failure at 1 s
      c.advance(1);
      const replacements = podsOf(c, 'per').filter((p) => failureCount(p) === '1');
      expect(replacements.map(indexOf).sort()).toEqual(['0', '1']);
      expect(status(c, 'per')).toMatchObject({ failed: 2, active: 2 });
      c.advance(1); // the replacements fail at 12 s: each index has used its backoffLimitPerIndex
      expect(status(c, 'per')).toMatchObject({ completedIndexes: '2', failedIndexes: '0,1', succeeded: 1, failed: 4 });
      expect(conditions(c, 'per')).toEqual(['FailureTarget=True FailedIndexes', 'Failed=True FailedIndexes']);
      expect(status(c, 'per').conditions![1].message).toBe('Job has failed indexes');
      expect(events(c).at(-1)).toBe('FailedIndexes: Job has failed indexes');
    });

    it('maxFailedIndexes: the Job fails as soon as more indexes failed than allowed, leaving the rest unrun', () => {
      const c = cluster();
      createJob(c, 'max', { completionMode: 'Indexed', completions: 3, parallelism: 1, backoffLimitPerIndex: 0, maxFailedIndexes: 0 }, { [RUN_SECONDS_ANNOTATION]: '1', [EXIT_CODE_ANNOTATION]: '1' });
      c.advance(1);
      expect(status(c, 'max')).toMatchObject({ failedIndexes: '0', failed: 1 });
      expect(conditions(c, 'max')).toEqual(['FailureTarget=True MaxFailedIndexesExceeded', 'Failed=True MaxFailedIndexesExceeded']);
      expect(status(c, 'max').conditions![1].message).toBe('Job has exceeded the specified maximal number of failed indexes');
      c.advance(60);
      expect(podsOf(c, 'max')).toHaveLength(1);
    });

    it('a FailIndex rule fails the index at once, whatever its backoffLimitPerIndex', () => {
      const c = cluster();
      const rules = [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } }];
      createJob(c, 'fi', { completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 5, podFailurePolicy: { rules } }, { [RUN_SECONDS_ANNOTATION]: '1' });
      exitWith(c, 'fi', '0', 42);
      c.advance(1);
      expect(status(c, 'fi')).toMatchObject({ completedIndexes: '1', failedIndexes: '0', succeeded: 1, failed: 1 });
      expect(conditions(c, 'fi')).toEqual(['FailureTarget=True FailedIndexes', 'Failed=True FailedIndexes']);
    });

    it('successPolicy succeededIndexes: SuccessCriteriaMet (SuccessPolicy) once those indexes succeeded, the others stopped, then Complete', () => {
      const c = cluster();
      createJob(c, 'leader', { completionMode: 'Indexed', completions: 3, parallelism: 3, successPolicy: { rules: [{ succeededIndexes: '0' }] } }, { [RUN_SECONDS_ANNOTATION]: '100' });
      const leader = podsOf(c, 'leader').find((p) => indexOf(p) === '0')!;
      c.store.patch(t('pods'), 'default', leader.metadata.name, { metadata: { annotations: { [RUN_SECONDS_ANNOTATION]: '2' } } });
      c.advance(2);
      expect(conditions(c, 'leader')[0]).toBe('SuccessCriteriaMet=True SuccessPolicy');
      expect(status(c, 'leader').conditions![0].message).toBe('Matched rules at index 0');
      expect(podsOf(c, 'leader').filter((p) => p.metadata.deletionTimestamp).map(indexOf).sort()).toEqual(['1', '2']);
      c.advance(60);
      expect(conditions(c, 'leader')).toEqual(['SuccessCriteriaMet=True SuccessPolicy', 'Complete=True SuccessPolicy']);
      expect(status(c, 'leader')).toMatchObject({ completedIndexes: '0', succeeded: 1, terminating: 0 });
      expect(events(c).at(-1)).toBe('Completed: Job completed');
    });

    it('successPolicy succeededCount: met by the third success of 5 indexes (10 s); the pod still running is stopped, index 4 never made', () => {
      const c = cluster();
      createJob(c, 'some', { completionMode: 'Indexed', completions: 5, parallelism: 2, successPolicy: { rules: [{ succeededCount: 3 }] } });
      c.advance(5);
      expect(conditions(c, 'some')).toEqual([]);
      c.advance(5);
      expect(conditions(c, 'some')[0]).toBe('SuccessCriteriaMet=True SuccessPolicy');
      c.advance(60);
      expect(conditions(c, 'some')).toEqual(['SuccessCriteriaMet=True SuccessPolicy', 'Complete=True SuccessPolicy']);
      expect(status(c, 'some')).toMatchObject({ succeeded: 3, terminating: 0 });
      expect(podsOf(c, 'some').map(indexOf).sort()).toEqual(['0', '1', '2']); // index 3's pod was stopped and is gone
      expect(events(c).filter((e) => e.startsWith('SuccessfulCreate'))).toHaveLength(4);
    });
  });
});
