/**
 * The matches and targets kube-netsim knows, registered by name. To add a
 * module: write `matches/<name>.match.ts` (or `targets/<NAME>.target.ts`)
 * exporting a `MatchModule` / `TargetModule`, and add it here.
 */
import { hlMatchModule } from './matches/hl.match';
import { icmp6MatchModule } from './matches/icmp6.match';
import { fragMatchModule, hbhMatchModule, ipv6headerMatchModule, rtMatchModule } from './matches/ipv6-extension-headers.match';
import { addrtypeMatchModule } from './matches/addrtype.match';
import { commentMatchModule } from './matches/comment.match';
import { connlimitMatchModule } from './matches/connlimit.match';
import { connmarkMatchModule } from './matches/connmark.match';
import { devgroupMatchModule } from './matches/devgroup.match';
import { dscpMatchModule } from './matches/dscp.match';
import { conntrackMatchModule, stateMatchModule } from './matches/conntrack.match';
import { hashlimitMatchModule } from './matches/hashlimit.match';
import { helperMatchModule } from './matches/helper.match';
import { icmpMatchModule } from './matches/icmp.match';
import { iprangeMatchModule } from './matches/iprange.match';
import { lengthMatchModule } from './matches/length.match';
import { macMatchModule } from './matches/mac.match';
import { bpfMatchModule } from './matches/bpf.match';
import { cgroupMatchModule } from './matches/cgroup.match';
import { socketMatchModule } from './matches/socket.match';
import { u32MatchModule } from './matches/u32.match';
import { limitMatchModule } from './matches/limit.match';
import { markMatchModule } from './matches/mark.match';
import { multiportMatchModule } from './matches/multiport.match';
import { nfacctMatchModule } from './matches/nfacct.match';
import { ownerMatchModule } from './matches/owner.match';
import { physdevMatchModule } from './matches/physdev.match';
import { pkttypeMatchModule } from './matches/pkttype.match';
import { policyMatchModule } from './matches/policy.match';
import { realmMatchModule } from './matches/realm.match';
import { recentMatchModule } from './matches/recent.match';
import { rpfilterMatchModule } from './matches/rpfilter.match';
import { sctpMatchModule } from './matches/sctp.match';
import { statisticMatchModule } from './matches/statistic.match';
import { stringMatchModule } from './matches/string.match';
import { tcpMatchModule } from './matches/tcp.match';
import { tosMatchModule } from './matches/tos.match';
import { ttlMatchModule } from './matches/ttl.match';
import { udpMatchModule } from './matches/udp.match';
import { setMatchModule } from './ipset/set.match';
import { setTargetModule } from './ipset/set.target';
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
    .registerMatch(iprangeMatchModule)
    .registerMatch(ownerMatchModule)
    .registerMatch(limitMatchModule)
    .registerMatch(hashlimitMatchModule)
    .registerMatch(connlimitMatchModule)
    .registerMatch(pkttypeMatchModule)
    .registerMatch(lengthMatchModule)
    .registerMatch(ttlMatchModule)
    .registerMatch(tosMatchModule)
    .registerMatch(dscpMatchModule)
    .registerMatch(rpfilterMatchModule)
    .registerMatch(policyMatchModule)
    .registerMatch(helperMatchModule)
    .registerMatch(realmMatchModule)
    .registerMatch(devgroupMatchModule)
    .registerMatch(stringMatchModule)
    .registerMatch(setMatchModule)
    .registerMatch(icmp6MatchModule)
    .registerMatch(hlMatchModule)
    .registerMatch(fragMatchModule)
    .registerMatch(hbhMatchModule)
    .registerMatch(rtMatchModule)
    .registerMatch(ipv6headerMatchModule)
    .registerMatch(macMatchModule)
    .registerMatch(socketMatchModule)
    .registerMatch(cgroupMatchModule)
    .registerMatch(bpfMatchModule)
    .registerMatch(u32MatchModule)
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
    .registerTarget(ulogTargetModule)
    .registerTarget(setTargetModule);
}

/** The shared default registry (do not register into it; make your own with createDefaultRegistry). */
export const defaultRegistry: ModuleRegistry = createDefaultRegistry();
