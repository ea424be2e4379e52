/**
 * The apimachinery messages every Kubernetes object uses, in protobuf text:
 * the `runtime.Unknown` envelope, `meta/v1` (ObjectMeta, LabelSelector,
 * Time...), `resource.Quantity` and `intstr.IntOrString`. Written by us from
 * the field numbers of k8s.io/apimachinery's generated.proto (Kubernetes
 * v1.32); comments and unused messages left out.
 *
 * Two options of ours, read by the decoder (see ../decode.ts):
 * - `(pointer)`: the Go field is a pointer (`*int32`, `*bool`, `*string`), so
 *   it is on the wire only when set and kept even when zero (`replicas: 0`).
 *   Any other scalar is a Go value that gogo-protobuf writes even when zero;
 *   a zero one is left out, as `omitempty` leaves it out of JSON.
 * - `(inline)`: an embedded Go struct, whose fields JSON writes at this level.
 */
export const META_PROTO = `
syntax = "proto2";

package k8s.io.apimachinery.pkg.runtime;

message TypeMeta {
  optional string apiVersion = 1;
  optional string kind = 2;
}

// The envelope after the 4-byte magic "k8s\\0".
message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}
`;

export const RESOURCE_PROTO = `
syntax = "proto2";

package k8s.io.apimachinery.pkg.api.resource;

// Written in JSON as its string ("100m", "64Mi").
message Quantity {
  optional string string = 1;
}
`;

export const INTSTR_PROTO = `
syntax = "proto2";

package k8s.io.apimachinery.pkg.util.intstr;

// type 0: intVal; type 1: strVal. Written in JSON as a number or a string.
message IntOrString {
  optional int64 type = 1;
  optional int32 intVal = 2;
  optional string strVal = 3;
}
`;

export const META_V1_PROTO = `
syntax = "proto2";

package k8s.io.apimachinery.pkg.apis.meta.v1;

// Written in JSON as RFC 3339 with seconds; the zero time as null.
message Time {
  optional int64 seconds = 1;
  optional int32 nanos = 2;
}

// Written in JSON as RFC 3339 with microseconds.
message MicroTime {
  optional int64 seconds = 1;
  optional int32 nanos = 2;
}

// Written in JSON as the JSON it holds.
message FieldsV1 {
  optional bytes Raw = 1;
}

message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  optional string selfLink = 4;
  optional string uid = 5;
  optional string resourceVersion = 6;
  optional int64 generation = 7;
  optional Time creationTimestamp = 8;
  optional Time deletionTimestamp = 9 [(pointer) = true];
  optional int64 deletionGracePeriodSeconds = 10 [(pointer) = true];
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13;
  repeated string finalizers = 14;
  repeated ManagedFieldsEntry managedFields = 17;
}

message OwnerReference {
  optional string apiVersion = 5;
  optional string kind = 1;
  optional string name = 3;
  optional string uid = 4;
  optional bool controller = 6 [(pointer) = true];
  optional bool blockOwnerDeletion = 7 [(pointer) = true];
}

message ManagedFieldsEntry {
  optional string manager = 1;
  optional string operation = 2;
  optional string apiVersion = 3;
  optional Time time = 4 [(pointer) = true];
  optional string fieldsType = 6;
  optional FieldsV1 fieldsV1 = 7;
  optional string subresource = 8;
}

message LabelSelector {
  map<string, string> matchLabels = 1;
  repeated LabelSelectorRequirement matchExpressions = 2;
}

message LabelSelectorRequirement {
  optional string key = 1;
  optional string operator = 2;
  repeated string values = 3;
}

message DeleteOptions {
  optional int64 gracePeriodSeconds = 1 [(pointer) = true];
  optional Preconditions preconditions = 2;
  optional bool orphanDependents = 3 [(pointer) = true];
  optional string propagationPolicy = 4 [(pointer) = true];
  repeated string dryRun = 5;
  optional bool ignoreStoreReadErrorWithClusterBreakingPotential = 6 [(pointer) = true];
}

message Preconditions {
  optional string uid = 1 [(pointer) = true];
  optional string resourceVersion = 2 [(pointer) = true];
}

message Condition {
  optional string type = 1;
  optional string status = 2;
  optional int64 observedGeneration = 3;
  optional Time lastTransitionTime = 4;
  optional string reason = 5;
  optional string message = 6;
}
`;
