/**
 * The matches and targets kube-netsim knows, registered by name. To add a
 * module: write `matches/<name>.match.ts` (or `targets/<NAME>.target.ts`)
 * exporting a `MatchModule` / `TargetModule`, and add it here.
 */
import { addrtypeMatchModule } from './matches/addrtype.match';
import { commentMatchModule } from './matches/comment.match';
import { connmarkMatchModule } from './matches/connmark.match';
import { conntrackMatchModule, stateMatchModule } from './matches/conntrack.match';
import { icmpMatchModule } from './matches/icmp.match';
import { markMatchModule } from './matches/mark.match';
import { multiportMatchModule } from './matches/multiport.match';
import { nfacctMatchModule } from './matches/nfacct.match';
import { physdevMatchModule } from './matches/physdev.match';
import { recentMatchModule } from './matches/recent.match';
import { sctpMatchModule } from './matches/sctp.match';
import { statisticMatchModule } from './matches/statistic.match';
import { tcpMatchModule } from './matches/tcp.match';
import { udpMatchModule } from './matches/udp.match';
import { ModuleRegistry } from './module';
import { connmarkTargetModule } from './targets/connmark.target';
import { dnatTargetModule } from './targets/dnat.target';
import { logTargetModule } from './targets/log.target';
import { markTargetModule } from './targets/mark.target';
import { masqueradeTargetModule } from './targets/masquerade.target';
import { auditTargetModule, checksumTargetModule, classifyTargetModule, nflogTargetModule, traceTargetModule, ulogTargetModule } from './targets/annotate.target';
import { dscpTargetModule } from './targets/dscp.target';
import { nfqueueTargetModule } from './targets/nfqueue.target';
import { ctTargetModule, notrackTargetModule } from './targets/notrack.target';
import { redirectTargetModule } from './targets/redirect.target';
import { connsecmarkTargetModule, secmarkTargetModule } from './targets/secmark.target';
import { tcpmssTargetModule } from './targets/tcpmss.target';
import { tproxyTargetModule } from './targets/tproxy.target';
import { ttlTargetModule } from './targets/ttl.target';
import { rejectTargetModule } from './targets/reject.target';
import { snatTargetModule } from './targets/snat.target';
import { acceptTargetModule, dropTargetModule, returnTargetModule } from './targets/standard.target';

/** A registry with every built-in module; callers may register more on their own copy. */
export function createDefaultRegistry(): ModuleRegistry {
  return new ModuleRegistry()
    .registerMatch(tcpMatchModule)
    .registerMatch(udpMatchModule)
    .registerMatch(sctpMatchModule)
    .registerMatch(icmpMatchModule)
    .registerMatch(commentMatchModule)
    .registerMatch(statisticMatchModule)
    .registerMatch(recentMatchModule)
    .registerMatch(markMatchModule)
    .registerMatch(connmarkMatchModule)
    .registerMatch(conntrackMatchModule)
    .registerMatch(stateMatchModule)
    .registerMatch(addrtypeMatchModule)
    .registerMatch(multiportMatchModule)
    .registerMatch(nfacctMatchModule)
    .registerMatch(physdevMatchModule)
    .registerTarget(acceptTargetModule)
    .registerTarget(dropTargetModule)
    .registerTarget(returnTargetModule)
    .registerTarget(rejectTargetModule)
    .registerTarget(dnatTargetModule)
    .registerTarget(snatTargetModule)
    .registerTarget(masqueradeTargetModule)
    .registerTarget(markTargetModule)
    .registerTarget(connmarkTargetModule)
    .registerTarget(logTargetModule)
    .registerTarget(notrackTargetModule)
    .registerTarget(ctTargetModule)
    .registerTarget(redirectTargetModule)
    .registerTarget(secmarkTargetModule)
    .registerTarget(connsecmarkTargetModule)
    .registerTarget(nfqueueTargetModule)
    .registerTarget(ttlTargetModule)
    .registerTarget(dscpTargetModule)
    .registerTarget(tcpmssTargetModule)
    .registerTarget(checksumTargetModule)
    .registerTarget(nflogTargetModule)
    .registerTarget(traceTargetModule)
    .registerTarget(auditTargetModule)
    .registerTarget(classifyTargetModule)
    .registerTarget(tproxyTargetModule)
    .registerTarget(ulogTargetModule);
}

/** The shared default registry (do not register into it; make your own with createDefaultRegistry). */
export const defaultRegistry: ModuleRegistry = createDefaultRegistry();
