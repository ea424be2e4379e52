/**
 * `-m bpf --bytecode "N,code jt jf k,..." | --object-pinned PATH`: runs a
 * classic BPF program (or a pinned eBPF object) on the packet (xt_bpf).
 *
 * kube-netsim does not run BPF: the program is read, checked and printed as
 * iptables does (`--bytecode` in the decimal form `nfbpf_compile` writes), and
 * a trace that reaches the rule forks both ways ("the BPF program is not
 * run"), each outcome naming the rule it depends on, as `-m string` does. A
 * pinned object is taken as given: the node it came from had it.
 */
import { RuleSyntaxError, findOption, type MatchModule } from '../module';
import type { Match } from '../types';

/** One classic BPF instruction (struct sock_filter). */
export interface BpfInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** XT_BPF_MAX_NUM_INSTR. */
const MAX_INSTRUCTIONS = 64;

/**
 * An unsigned number as C's scanf reads one (`%u`, `%hu`, `%hhu`): blanks, an
 * optional sign, decimal digits, the rest of the word left; wrapped to `bits`.
 */
function scanUnsigned(text: string, at: number, bits: number): { value: number; next: number } | undefined {
  let i = at;
  while (i < text.length && /\s/.test(text[i])) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  const start = i;
  while (i < text.length && text[i] >= '0' && text[i] <= '9') i++;
  if (i === start) return undefined;
  const modulus = 2 ** bits;
  let value = Number(BigInt(text.slice(start, i)) % BigInt(modulus));
  if (negative && value !== 0) value = modulus - value;
  return { value, next: i };
}

/** `"N,c t f k,..."` as libxt_bpf reads it. */
export function parseBpfBytecode(program: string): BpfInstruction[] {
  const head = scanUnsigned(program, 0, 16);
  if (head === undefined || program[head.next] !== ',') throw new RuleSyntaxError('bpf: error parsing program length');
  const length = head.value;
  if (length === 0) throw new RuleSyntaxError('bpf: illegal zero length program');
  if (length > MAX_INSTRUCTIONS) throw new RuleSyntaxError('bpf: number of instructions exceeds maximum');
  const instructions: BpfInstruction[] = [];
  let comma = program.indexOf(',');
  while (comma >= 0 && comma + 1 < program.length) {
    const at = comma + 1;
    if (instructions.length >= length) throw new RuleSyntaxError('bpf: real program length exceeds the encoded length parameter');
    const code = scanUnsigned(program, at, 16);
    const jt = code && scanUnsigned(program, code.next, 8);
    const jf = jt && scanUnsigned(program, jt.next, 8);
    const k = jf && scanUnsigned(program, jf.next, 32);
    if (!code || !jt || !jf || !k) throw new RuleSyntaxError(`bpf: error at instr ${instructions.length}`);
    instructions.push({ code: code.value, jt: jt.value, jf: jf.value, k: k.value });
    comma = program.indexOf(',', at);
  }
  if (instructions.length !== length) throw new RuleSyntaxError('bpf: parsed program length is less than the encoded length parameter');
  return instructions;
}

export class BpfMatch implements Match {
  readonly name = 'bpf';
  readonly unmodelled = true;
  readonly assumption = 'the BPF program is not run (kube-netsim does not evaluate it)';

  constructor(
    /** The program (`--bytecode`), or undefined for a pinned object. */
    readonly program: readonly BpfInstruction[] | undefined,
    /** `--object-pinned`. */
    readonly pinned: string | undefined,
  ) {}

  /** Never asked by the traversal (it forks instead). */
  matches(): boolean {
    return false;
  }

  save(): string {
    if (this.program === undefined) return `-m bpf --object-pinned ${this.pinned}`;
    return `-m bpf --bytecode "${this.program.length},${this.program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`).join(',')}"`;
  }
}

export const bpfMatchModule: MatchModule = {
  kind: 'match',
  name: 'bpf',
  options: [
    { name: 'bytecode', args: 1 },
    { name: 'object-pinned', args: 1 },
  ],
  build(options) {
    const bytecode = findOption(options, 'bytecode');
    const pinned = findOption(options, 'object-pinned');
    if ((bytecode === undefined) === (pinned === undefined)) throw new RuleSyntaxError('bpf: one of --bytecode or --pinned is required');
    return bytecode ? new BpfMatch(parseBpfBytecode(bytecode.args[0]), undefined) : new BpfMatch(undefined, pinned!.args[0]);
  },
};
