/**
 * The other kinds kubectl's commands send as protobuf, in protobuf text
 * written by us from the field numbers of k8s.io/api's generated.proto
 * (Kubernetes v1.32): `autoscale` (autoscaling/v1), `create pdb`
 * (policy/v1, and the Eviction of `drain`), `create role|clusterrole|
 * rolebinding|clusterrolebinding` (rbac/v1), `create ingress`
 * (networking/v1), `create priorityclass` (scheduling/v1), `auth can-i`
 * (authorization/v1) and `create token`, `auth whoami` (authentication/v1). Status fields
 * are not decoded. `(pointer)`, `(always)` and `(inline)`: see meta.proto.ts.
 */
export const AUTOSCALING_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.autoscaling.v1;

message HorizontalPodAutoscaler {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional HorizontalPodAutoscalerSpec spec = 2;
  optional HorizontalPodAutoscalerStatus status = 3;
}

message HorizontalPodAutoscalerSpec {
  optional CrossVersionObjectReference scaleTargetRef = 1;
  optional int32 minReplicas = 2 [(pointer) = true];
  optional int32 maxReplicas = 3 [(always) = true];
  optional int32 targetCPUUtilizationPercentage = 4 [(pointer) = true];
}

message CrossVersionObjectReference {
  optional string kind = 1;
  optional string name = 2;
  optional string apiVersion = 3;
}

message HorizontalPodAutoscalerStatus {
}
`;

export const POLICY_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.policy.v1;

message PodDisruptionBudget {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional PodDisruptionBudgetSpec spec = 2;
  optional PodDisruptionBudgetStatus status = 3;
}

message PodDisruptionBudgetSpec {
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString minAvailable = 1;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector selector = 2;
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString maxUnavailable = 3;
  optional string unhealthyPodEvictionPolicy = 4 [(pointer) = true];
}

message PodDisruptionBudgetStatus {
}

message Eviction {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions deleteOptions = 2;
}
`;

export const RBAC_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.rbac.v1;

message Role {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated PolicyRule rules = 2;
}

message ClusterRole {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated PolicyRule rules = 2;
  optional AggregationRule aggregationRule = 3;
}

message AggregationRule {
  repeated k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector clusterRoleSelectors = 1;
}

message PolicyRule {
  repeated string verbs = 1;
  repeated string apiGroups = 2;
  repeated string resources = 3;
  repeated string resourceNames = 4;
  repeated string nonResourceURLs = 5;
}

message RoleBinding {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated Subject subjects = 2;
  optional RoleRef roleRef = 3;
}

message ClusterRoleBinding {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated Subject subjects = 2;
  optional RoleRef roleRef = 3;
}

message Subject {
  optional string kind = 1;
  optional string apiGroup = 2;
  optional string name = 3;
  optional string namespace = 4;
}

message RoleRef {
  optional string apiGroup = 1;
  optional string kind = 2;
  optional string name = 3;
}
`;

export const NETWORKING_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.networking.v1;

message Ingress {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional IngressSpec spec = 2;
  optional IngressStatus status = 3;
}

message IngressSpec {
  optional string ingressClassName = 4 [(pointer) = true];
  optional IngressBackend defaultBackend = 1;
  repeated IngressTLS tls = 2;
  repeated IngressRule rules = 3;
}

message IngressBackend {
  optional IngressServiceBackend service = 4;
  optional k8s.io.api.core.v1.TypedLocalObjectReference resource = 3;
}

message IngressServiceBackend {
  optional string name = 1;
  optional ServiceBackendPort port = 2;
}

message ServiceBackendPort {
  optional string name = 1;
  optional int32 number = 2;
}

message IngressTLS {
  repeated string hosts = 1;
  optional string secretName = 2;
}

message IngressRule {
  optional string host = 1;
  optional IngressRuleValue ingressRuleValue = 2 [(inline) = true];
}

message IngressRuleValue {
  optional HTTPIngressRuleValue http = 1;
}

message HTTPIngressRuleValue {
  repeated HTTPIngressPath paths = 1;
}

message HTTPIngressPath {
  optional string path = 1;
  optional string pathType = 3 [(pointer) = true];
  optional IngressBackend backend = 2;
}

message IngressStatus {
  optional IngressLoadBalancerStatus loadBalancer = 1;
}

message IngressLoadBalancerStatus {
}
`;

export const SCHEDULING_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.scheduling.v1;

message PriorityClass {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional int32 value = 2 [(always) = true];
  optional bool globalDefault = 3;
  optional string description = 4;
  optional string preemptionPolicy = 5 [(pointer) = true];
}
`;

export const AUTHORIZATION_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.authorization.v1;

message SelfSubjectAccessReview {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional SelfSubjectAccessReviewSpec spec = 2;
  optional SubjectAccessReviewStatus status = 3;
}

message SelfSubjectAccessReviewSpec {
  optional ResourceAttributes resourceAttributes = 1;
  optional NonResourceAttributes nonResourceAttributes = 2;
}

message ResourceAttributes {
  optional string namespace = 1;
  optional string verb = 2;
  optional string group = 3;
  optional string version = 4;
  optional string resource = 5;
  optional string subresource = 6;
  optional string name = 7;
}

message NonResourceAttributes {
  optional string path = 1;
  optional string verb = 2;
}

message SubjectAccessReviewStatus {
}

message SelfSubjectRulesReview {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional SelfSubjectRulesReviewSpec spec = 2;
  optional SubjectRulesReviewStatus status = 3;
}

message SelfSubjectRulesReviewSpec {
  optional string namespace = 1;
}

message SubjectRulesReviewStatus {
}
`;

export const AUTHENTICATION_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.authentication.v1;

message TokenRequest {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional TokenRequestSpec spec = 2;
  optional TokenRequestStatus status = 3;
}

message TokenRequestSpec {
  repeated string audiences = 1;
  optional int64 expirationSeconds = 4 [(pointer) = true];
  optional BoundObjectReference boundObjectRef = 3;
}

message BoundObjectReference {
  optional string kind = 1;
  optional string apiVersion = 2;
  optional string name = 3;
  optional string uid = 4;
}

message TokenRequestStatus {
}

message SelfSubjectReview {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional SelfSubjectReviewStatus status = 2;
}

message SelfSubjectReviewStatus {
}
`;
