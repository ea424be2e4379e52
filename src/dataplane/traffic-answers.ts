/**
 * Enumerated outcomes merged (identical ones add their probabilities), and
 * enumerated answers kept for the current state of the cluster. Used by
 * TrafficSimulator (traffic.ts).
 */
import type { Hop, TrafficOutcome, TrafficResponse } from './traffic';
import type { Verdict } from './verdict';

/** An outcome as the walk makes it, before its verdict is worked out (TrafficSimulator.answer). */
export type Unexplained = Omit<TrafficOutcome, 'verdict'> & { verdict?: Verdict };

/**
 * What makes two outcomes the same: everything but their probability (hop by
 * hop: place, packet, rewrites, TTL, rules). Outcomes of one request share
 * their hops up to where they part, so equal hops are mostly the same object.
 */
function sameOutcome(a: Unexplained, b: Unexplained): boolean {
  return (
    a.result === b.result &&
    a.seenSource === b.seenSource &&
    a.replySource === b.replySource &&
    a.reason === b.reason &&
    a.destination?.ip === b.destination?.ip &&
    a.destination?.port === b.destination?.port &&
    a.destination?.pod === b.destination?.pod &&
    sameHops(a.hops, b.hops) &&
    sameHops(a.reply, b.reply)
  );
}

function sameHops(a: readonly Hop[], b: readonly Hop[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameHop(a[i], b[i])) return false;
  return true;
}

function sameHop(a: Hop, b: Hop): boolean {
  if (a === b) return true;
  const p = a.packet;
  const q = b.packet;
  if (
    a.where !== b.where ||
    p.source !== q.source ||
    p.sourcePort !== q.sourcePort ||
    p.destination !== q.destination ||
    p.destinationPort !== q.destinationPort ||
    p.mark !== q.mark ||
    a.ttl !== b.ttl ||
    a.nat?.dnat !== b.nat?.dnat ||
    a.nat?.snat !== b.nat?.snat ||
    a.rules.length !== b.rules.length
  ) {
    return false;
  }
  for (let i = 0; i < a.rules.length; i++) {
    const r = a.rules[i];
    const s = b.rules[i];
    if (r !== s && (r.chain !== s.chain || r.ruleNumber !== s.ruleNumber || r.action !== s.action)) return false;
  }
  return true;
}

/**
 * Enumerated outcomes with identical ones merged (their probabilities
 * added), in the order first seen. Candidates are found by the source the
 * destination sees, then compared field by field.
 */
export class OutcomeMerger {
  readonly outcomes: Unexplained[] = [];
  private readonly bySeenSource = new Map<string | null, Unexplained[]>();

  add(outcome: Unexplained): void {
    let same = this.bySeenSource.get(outcome.seenSource);
    if (same === undefined) this.bySeenSource.set(outcome.seenSource, (same = []));
    const seen = same.find((o) => sameOutcome(o, outcome));
    if (seen !== undefined) {
      seen.probability += outcome.probability;
    } else {
      same.push(outcome);
      this.outcomes.push(outcome);
    }
  }
}

/**
 * Enumerated answers for one state of the cluster (`ClusterNetwork.stateKey`),
 * least recently used dropped first. Enumeration changes nothing, so the same
 * request in the same state has the same answer; any change of state (an
 * object, the clock, a kube-proxy configuration, a sampled connection) starts
 * the cache afresh. Answers are frozen: every caller shares them.
 */
export class AnswerCache {
  private state = '';
  private readonly answers = new Map<string, TrafficResponse>();

  constructor(private readonly size: number) {}

  get(state: string, key: string): TrafficResponse | undefined {
    if (state !== this.state) {
      this.state = state;
      this.answers.clear();
      return undefined;
    }
    const answer = this.answers.get(key);
    if (answer !== undefined) {
      this.answers.delete(key);
      this.answers.set(key, answer);
    }
    return answer;
  }

  set(state: string, key: string, answer: TrafficResponse): void {
    if (this.size <= 0 || state !== this.state) return;
    this.answers.set(key, answer);
    if (this.answers.size > this.size) this.answers.delete(this.answers.keys().next().value!);
  }
}
