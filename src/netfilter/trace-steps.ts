/**
 * Trace steps: what a path records at each rule, policy and note, and the
 * views of them that outcomes hand out.
 *
 * A path records its steps flat, six slots each (hook, table, chain, 1-based
 * rule number or null, rule or null, action), and nothing more: `Step`
 * objects and rule texts are made only when an outcome's steps are read, and
 * `frozenViews` shares one frozen view among the outcomes that repeat a step.
 */
import { formatRule } from './iptables-save.printer';
import type { Rule } from './rule';
import type { ForeignRule, JumpAction } from './traversal';
import type { Hook, StepTable, TraceStep } from './types';

/** A step's action: text, a function that writes it when first asked, or a jump (keeps sampling cheap). */
export type Action = string | (() => string) | JumpAction;

function actionText(act: Action): string {
  if (typeof act === 'string') return act;
  return typeof act === 'function' ? act() : `${act.kind} ${act.chain}`;
}

/** Rule texts by rule (a rule sits in one chain): each is printed once. */
const ruleTexts = new WeakMap<Rule, string>();

function ruleText(chain: string, rule: Rule | ForeignRule): string {
  if (!isIptablesRule(rule)) return rule.stepText;
  let text = ruleTexts.get(rule);
  if (text === undefined) {
    text = formatRule(chain, rule);
    ruleTexts.set(rule, text);
  }
  return text;
}

function isIptablesRule(rule: Rule | ForeignRule): rule is Rule {
  return (rule as Partial<ForeignRule>).stepText === undefined;
}

/** A recorded step; the rule's text is made only when asked for. */
export class Step implements TraceStep {
  private text: string | null | undefined;

  constructor(
    readonly hook: Hook,
    readonly table: StepTable | 'conntrack' | 'routing',
    readonly chain: string | null,
    readonly ruleNumber: number | null,
    readonly ruleRef: Rule | ForeignRule | null,
    private act: Action,
  ) {}

  get action(): string {
    if (typeof this.act !== 'string') this.act = actionText(this.act);
    return this.act;
  }

  get rule(): string | null {
    if (this.text === undefined) this.text = this.ruleRef === null ? null : ruleText(this.chain!, this.ruleRef);
    return this.text;
  }

  toJSON(): TraceStep {
    return { hook: this.hook, table: this.table, chain: this.chain, ruleNumber: this.ruleNumber, rule: this.rule, action: this.action };
  }
}

const NO_STEPS: readonly Step[] = Object.freeze([]);

/** The `Step`s of a flat record (see above). */
export function buildSteps(flat: readonly unknown[] | undefined): Step[] {
  if (flat === undefined || flat.length === 0) return NO_STEPS as Step[];
  const steps = new Array<Step>(flat.length / 6);
  for (let i = 0, k = 0; i < flat.length; i += 6, k++) {
    steps[k] = new Step(
      flat[i] as Hook,
      flat[i + 1] as StepTable | 'conntrack' | 'routing',
      flat[i + 2] as string | null,
      flat[i + 3] as number | null,
      flat[i + 4] as Rule | ForeignRule | null,
      flat[i + 5] as Action,
    );
  }
  return steps;
}

/** A step as plain data (for JSON and for tests). */
export function stepView(step: TraceStep): TraceStep {
  return { hook: step.hook, table: step.table, chain: step.chain, ruleNumber: step.ruleNumber, rule: step.rule, action: step.action };
}

/*
 * Frozen step views shared between outcomes (see `frozenStepViews`): a
 * rule's steps (a few per rule, by hook, position and action), and steps
 * without a rule whose action is fixed text (policies, most conntrack
 * notes). Both are bounded: a rule whose action varies (MASQUERADE to a new
 * port each time) keeps its latest few, and the text-only ones start afresh
 * when there are too many.
 */
const ruleStepViews = new WeakMap<Rule | ForeignRule, { readonly act: Action; readonly view: TraceStep }[]>();
const MAX_VIEWS_PER_RULE = 8;
/** By action text, then the few places it occurs (hooks, chains). */
const textStepViews = new Map<string, TraceStep[]>();
const MAX_TEXT_STEP_VIEWS = 4096;

function frozenStep(hook: Hook, table: TraceStep['table'], chain: string | null, ruleNumber: number | null, rule: string | null, action: string): TraceStep {
  return Object.freeze({ hook, table, chain, ruleNumber, rule, action });
}

/**
 * A rule's step view. A cached one is found by its place and its action as
 * recorded (the same text, or the same jump object), so that the text is
 * only written (a NAT mapping) or compared when the recorded action differs.
 */
function ruleStepView(hook: Hook, table: TraceStep['table'], chain: string, ruleNumber: number | null, rule: Rule | ForeignRule, act: Action): TraceStep {
  let cached = ruleStepViews.get(rule);
  if (cached === undefined) ruleStepViews.set(rule, (cached = []));
  let text: string | undefined;
  for (let i = 0; i < cached.length; i++) {
    const c = cached[i];
    const v = c.view;
    if (v.hook !== hook || v.ruleNumber !== ruleNumber || v.chain !== chain || v.table !== table) continue;
    if (c.act === act) return v;
    text ??= actionText(act);
    if (v.action === text) return v;
  }
  const view = frozenStep(hook, table, chain, ruleNumber, ruleText(chain, rule), text ?? actionText(act));
  if (cached.length >= MAX_VIEWS_PER_RULE) cached.shift();
  cached.push({ act, view });
  return view;
}

function textStepView(hook: Hook, table: TraceStep['table'], chain: string | null, ruleNumber: number | null, action: string): TraceStep {
  let views = textStepViews.get(action);
  if (views === undefined) {
    if (textStepViews.size >= MAX_TEXT_STEP_VIEWS) textStepViews.clear();
    textStepViews.set(action, (views = []));
  }
  for (const v of views) if (v.hook === hook && v.table === table && v.chain === chain && v.ruleNumber === ruleNumber) return v;
  const view = frozenStep(hook, table, chain, ruleNumber, null, action);
  views.push(view);
  return view;
}

/** Recorded steps (six slots each) as frozen step views, a recurring step one shared view (see `frozenStepViews`). */
export function frozenViews(flat: readonly unknown[] | undefined): TraceStep[] {
  if (flat === undefined) return [];
  const views = new Array<TraceStep>(flat.length / 6);
  for (let i = 0, k = 0; i < flat.length; i += 6, k++) {
    const hook = flat[i] as Hook;
    const table = flat[i + 1] as TraceStep['table'];
    const chain = flat[i + 2] as string | null;
    const ruleNumber = flat[i + 3] as number | null;
    const rule = flat[i + 4] as Rule | ForeignRule | null;
    const act = flat[i + 5] as Action;
    if (rule !== null) views[k] = ruleStepView(hook, table, chain!, ruleNumber, rule, act);
    else if (typeof act === 'string') views[k] = textStepView(hook, table, chain, ruleNumber, act);
    else views[k] = frozenStep(hook, table, chain, ruleNumber, null, actionText(act));
  }
  return views;
}
