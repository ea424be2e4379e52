import { isIPv4, tryParseIPv4Cidr } from '../../common/ipv4';
import { tryParseIp } from '../../ipam/ip-address';
import { FieldErrors } from '../validation/field-errors';
import { isHeadless, validateClusterIPsRelatedFields } from './service-ip-families';
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from '../validation/names';
import { PROTOCOLS, SERVICE_TYPES, ServiceSpec, TRAFFIC_POLICIES } from './service.types';

/**
 * Validation of a Service as the API server's `ValidateService` does it, for
 * the fields the emulator models, with its field paths and messages.
 */

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function ianaServiceNameErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 15) errors.push('must be no more than 15 characters');
  if (!IANA_SVC_NAME.test(value)) {
    errors.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (value.includes('--')) errors.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) errors.push('must contain at least one letter (a-z)');
  return errors;
}

function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

const PORT_RANGE_MESSAGE = 'must be between 1 and 65535, inclusive';

/** Validates name and spec; `errors` collects every problem. */
export function validateService(name: string, spec: ServiceSpec | undefined, errors: FieldErrors): void {
  for (const e of dns1035LabelErrors(name)) errors.invalid('metadata.name', name, e);
  if (spec === undefined || spec === null || typeof spec !== 'object') {
    errors.required('spec');
    return;
  }
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) errors.notSupported('spec.type', type, SERVICE_TYPES);
  const headless = spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None';

  validateClusterIPs(spec, type, errors);

  if (type === 'ExternalName') {
    if (!spec.externalName) errors.required('spec.externalName');
    else for (const e of dns1123SubdomainErrors(spec.externalName.replace(/\.$/, ''))) errors.invalid('spec.externalName', spec.externalName, e);
  }

  const ports = spec.ports ?? [];
  if (!Array.isArray(ports)) {
    errors.invalid('spec.ports', ports, 'must be a list');
  } else {
    if (ports.length === 0 && type !== 'ExternalName' && !headless) errors.required('spec.ports');
    const names = new Set<string>();
    const keys = new Set<string>();
    ports.forEach((port, i) => {
      const at = `spec.ports[${i}]`;
      if (typeof port !== 'object' || port === null) {
        errors.invalid(at, port, 'must be an object');
        return;
      }
      if (ports.length > 1 && !port.name) errors.required(`${at}.name`);
      if (port.name) {
        for (const e of dns1123LabelErrors(port.name)) errors.invalid(`${at}.name`, port.name, e);
        if (names.has(port.name)) errors.duplicate(`${at}.name`, port.name);
        names.add(port.name);
      }
      if (!isPortNumber(port.port)) errors.invalid(`${at}.port`, port.port, PORT_RANGE_MESSAGE);
      const protocol = port.protocol ?? 'TCP';
      if (!PROTOCOLS.includes(protocol)) errors.notSupported(`${at}.protocol`, protocol, PROTOCOLS);
      const key = `${port.port}/${protocol}`;
      if (keys.has(key)) errors.duplicate(at, `${port.port}/${protocol}`);
      keys.add(key);
      if (port.targetPort !== undefined) {
        if (typeof port.targetPort === 'number') {
          if (!isPortNumber(port.targetPort)) errors.invalid(`${at}.targetPort`, port.targetPort, PORT_RANGE_MESSAGE);
        } else if (typeof port.targetPort === 'string') {
          if (/^[0-9]+$/.test(port.targetPort)) {
            if (!isPortNumber(Number(port.targetPort))) errors.invalid(`${at}.targetPort`, port.targetPort, PORT_RANGE_MESSAGE);
          } else {
            for (const e of ianaServiceNameErrors(port.targetPort)) errors.invalid(`${at}.targetPort`, port.targetPort, e);
          }
        } else {
          errors.invalid(`${at}.targetPort`, port.targetPort, 'must be a port number or a port name');
        }
      }
      if (port.nodePort !== undefined && port.nodePort !== 0) {
        if (type === 'ClusterIP' || type === 'ExternalName') {
          errors.forbidden(`${at}.nodePort`, `may not be used when \`type\` is '${type}'`);
        } else if (!isPortNumber(port.nodePort)) {
          errors.invalid(`${at}.nodePort`, port.nodePort, PORT_RANGE_MESSAGE);
        }
      }
    });
  }

  if (spec.selector !== undefined) {
    if (typeof spec.selector !== 'object' || spec.selector === null || Array.isArray(spec.selector)) {
      errors.invalid('spec.selector', spec.selector, 'must be a map of label keys to values');
    } else {
      for (const [k, v] of Object.entries(spec.selector)) {
        for (const e of qualifiedNameErrors(k)) errors.invalid('spec.selector', k, e);
        if (typeof v !== 'string') errors.invalid('spec.selector', v, 'must be a string');
        else for (const e of labelValueErrors(v)) errors.invalid('spec.selector', v, e);
      }
    }
  }

  if (spec.sessionAffinity !== undefined && spec.sessionAffinity !== 'None' && spec.sessionAffinity !== 'ClientIP') {
    errors.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']);
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined) {
    if (spec.sessionAffinity !== 'ClientIP') {
      errors.invalid('spec.sessionAffinityConfig', spec.sessionAffinityConfig, "must not be set when `sessionAffinity` is None");
    } else if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 86400) {
      errors.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400');
    }
  }

  if (spec.externalTrafficPolicy !== undefined) {
    if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
      errors.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES);
    } else if (type !== 'NodePort' && type !== 'LoadBalancer' && !(spec.externalIPs?.length)) {
      errors.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services');
    }
  }
  if (spec.internalTrafficPolicy !== undefined && !TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    errors.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES);
  }
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0) {
    if (type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local') {
      errors.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\'');
    } else if (!isPortNumber(spec.healthCheckNodePort)) {
      errors.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, PORT_RANGE_MESSAGE);
    }
  }

  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (typeof ip !== 'string' || tryParseIp(ip) === undefined) {
      errors.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    }
  });

  if (spec.loadBalancerSourceRanges !== undefined) {
    if (type !== 'LoadBalancer') {
      errors.forbidden('spec.loadBalancerSourceRanges', 'may only be used when `type` is \'LoadBalancer\'');
    } else {
      spec.loadBalancerSourceRanges.forEach((cidr, i) => {
        if (typeof cidr !== 'string' || tryParseIPv4Cidr(cidr.trim(), false) === undefined) {
          errors.invalid(`spec.loadBalancerSourceRanges[${i}]`, cidr, 'must be a CIDR, (e.g. 10.0.0.0/8)');
        }
      });
    }
  }
  if (spec.loadBalancerIP !== undefined && spec.loadBalancerIP !== '' && !isIPv4(spec.loadBalancerIP)) {
    errors.invalid('spec.loadBalancerIP', spec.loadBalancerIP, 'must be a valid IP address');
  }
}

function validateClusterIPs(spec: ServiceSpec, type: string, errors: FieldErrors): void {
  if (spec.clusterIPs !== undefined && !Array.isArray(spec.clusterIPs)) {
    errors.invalid('spec.clusterIPs', spec.clusterIPs, 'must be a list of IP addresses');
    return;
  }
  if (spec.ipFamilies !== undefined && !Array.isArray(spec.ipFamilies)) {
    errors.invalid('spec.ipFamilies', spec.ipFamilies, 'must be a list of IP families');
    return;
  }
  if (type === 'ExternalName') {
    if (spec.clusterIP || spec.clusterIPs?.length) errors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services');
    if (spec.ipFamilies?.length) errors.forbidden('spec.ipFamilies', 'may not be set for ExternalName services');
    if (spec.ipFamilyPolicy) errors.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services');
    return;
  }
  if ((type === 'NodePort' || type === 'LoadBalancer') && isHeadless(spec)) {
    errors.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`);
  }
  validateClusterIPsRelatedFields(spec, errors);
}
