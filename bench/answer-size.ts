/**
 * bench/answer-size: how big POST /netsim/v1/traffic's answers are, at each
 * detail level and as text, on the demo cluster with the `web` Deployment at 1, 3, 50 and 200
 * replicas (a pod to `web:80`: one outcome a pod), and what making each
 * costs. Targets: the default (summary) answer of the 200-replica
 * Service under 200 KB, a single-outcome answer under 4 KB (held by
 * src/dataplane/answer-detail.spec.ts). Prints figures; asserts nothing.
 */
import { demoCluster, scaleWeb } from '../test/support/dataplane/demo';
import { answerAtDetail } from '../src/dataplane/answer-detail';
import { trafficText } from '../src/dataplane/text-form';
import { TrafficSimulator, type TrafficResponse } from '../src/dataplane/traffic';

const SUMMARY_TARGET_200 = 200 * 1024;
const SINGLE_TARGET = 4 * 1024;

/** Median milliseconds of `work` over `runs` runs. */
function median(runs: number, work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** An unfrozen copy, so that each is made afresh each run (a kept answer's are made once). */
function fresh(response: TrafficResponse): TrafficResponse {
  return { ...response, outcomes: [...response.outcomes] };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function main(): void {
  for (const replicas of [1, 3, 50, 200]) {
    const cluster = scaleWeb(demoCluster(), replicas);
    const sim = new TrafficSimulator(cluster);
    const request = { from: 'pod/default/db-0', to: 'web:80' };
    const computeMs = median(1, () => sim.send({ ...request, sourcePort: 40001 }));
    const response = sim.send(request);
    const n = response.outcomes.length;
    const summary = Buffer.byteLength(JSON.stringify(answerAtDetail(response, 'summary')));
    const hops = Buffer.byteLength(JSON.stringify(answerAtDetail(response, 'hops')));
    const text = Buffer.byteLength(trafficText(request, response).join('\n'));
    const textHops = Buffer.byteLength(trafficText(request, response, 'hops').join('\n'));
    const runs = replicas >= 50 ? 5 : 21;
    const summaryMs = median(runs, () => JSON.stringify(answerAtDetail(fresh(response), 'summary')));
    const hopsMs = median(runs, () => JSON.stringify(answerAtDetail(fresh(response), 'hops')));
    const textMs = median(runs, () => trafficText(request, response).join('\n'));
    console.log(
      `answer-size: web x${replicas}: ${n} outcome${n === 1 ? '' : 's'}; summary ${kb(summary)} (${(summary / n).toFixed(0)} B each), ` +
        `detail=hops ${kb(hops)} (${(hops / n / 1024).toFixed(1)} KB each), text ${kb(text)}, text+hops ${kb(textHops)}`,
    );
    console.log(
      `answer-size: web x${replicas}: enumerate ${computeMs.toFixed(1)} ms; summary + JSON ${summaryMs.toFixed(2)} ms, ` +
        `hops + JSON ${hopsMs.toFixed(2)} ms, text ${textMs.toFixed(2)} ms (a kept answer's are made once)`,
    );
    if (n === 1 && summary >= SINGLE_TARGET) {
      console.log(`answer-size: MISSED: a single-outcome answer is ${summary} B (target < ${SINGLE_TARGET})`);
    }
    if (replicas === 200) {
      if (n !== 200) {
        console.log(`answer-size: MISSED: expected 200 outcomes, got ${n}`);
      }
      if (summary >= SUMMARY_TARGET_200) {
        console.log(`answer-size: MISSED: the 200-replica summary is ${summary} B (target < ${SUMMARY_TARGET_200})`);
      } else {
        console.log(`answer-size: 200 replicas: ${kb(SUMMARY_TARGET_200 - summary)} left under the target (${((SUMMARY_TARGET_200 - summary) / n).toFixed(0)} B an outcome for its verdict)`);
      }
    }
  }
}

main();
