/**
 * k8s.io/api apps/v1 (Deployment, ReplicaSet, DaemonSet) and batch/v1 (Job,
 * CronJob) in protobuf text, written by us from the field numbers of
 * k8s.io/api's generated.proto (Kubernetes v1.32); comments left out.
 * `(pointer)` and `(inline)`: see meta.proto.ts. Status fields are not
 * decoded (controllers set them; kubectl sends them zero).
 */
export const APPS_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.apps.v1;

message Deployment {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional DeploymentSpec spec = 2;
  optional DeploymentStatus status = 3;
}

message DeploymentSpec {
  optional int32 replicas = 1 [(pointer) = true];
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector selector = 2;
  optional k8s.io.api.core.v1.PodTemplateSpec template = 3;
  optional DeploymentStrategy strategy = 4;
  optional int32 minReadySeconds = 5;
  optional int32 revisionHistoryLimit = 6 [(pointer) = true];
  optional bool paused = 7;
  optional int32 progressDeadlineSeconds = 9 [(pointer) = true];
}

message DeploymentStrategy {
  optional string type = 1;
  optional RollingUpdateDeployment rollingUpdate = 2;
}

message RollingUpdateDeployment {
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString maxUnavailable = 1;
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString maxSurge = 2;
}

message DeploymentStatus {
}

message ReplicaSet {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional ReplicaSetSpec spec = 2;
  optional ReplicaSetStatus status = 3;
}

message ReplicaSetSpec {
  optional int32 replicas = 1 [(pointer) = true];
  optional int32 minReadySeconds = 4;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector selector = 2;
  optional k8s.io.api.core.v1.PodTemplateSpec template = 3;
}

message ReplicaSetStatus {
}

message DaemonSet {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional DaemonSetSpec spec = 2;
  optional DaemonSetStatus status = 3;
}

message DaemonSetSpec {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector selector = 1;
  optional k8s.io.api.core.v1.PodTemplateSpec template = 2;
  optional DaemonSetUpdateStrategy updateStrategy = 3;
  optional int32 minReadySeconds = 4;
  optional int32 revisionHistoryLimit = 6 [(pointer) = true];
}

message DaemonSetUpdateStrategy {
  optional string type = 1;
  optional RollingUpdateDaemonSet rollingUpdate = 2;
}

message RollingUpdateDaemonSet {
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString maxUnavailable = 1;
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString maxSurge = 2;
}

message DaemonSetStatus {
}
`;

export const BATCH_V1_PROTO = `
syntax = "proto2";

package k8s.io.api.batch.v1;

message Job {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional JobSpec spec = 2;
  optional JobStatus status = 3;
}

message JobSpec {
  optional int32 parallelism = 1 [(pointer) = true];
  optional int32 completions = 2 [(pointer) = true];
  optional int64 activeDeadlineSeconds = 3 [(pointer) = true];
  optional int32 backoffLimit = 7 [(pointer) = true];
  optional int32 backoffLimitPerIndex = 12 [(pointer) = true];
  optional int32 maxFailedIndexes = 13 [(pointer) = true];
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector selector = 4;
  optional bool manualSelector = 5 [(pointer) = true];
  optional k8s.io.api.core.v1.PodTemplateSpec template = 6;
  optional int32 ttlSecondsAfterFinished = 8 [(pointer) = true];
  optional string completionMode = 9 [(pointer) = true];
  optional bool suspend = 10 [(pointer) = true];
  optional string podReplacementPolicy = 14 [(pointer) = true];
  optional string managedBy = 15 [(pointer) = true];
}

message JobStatus {
}

message JobTemplateSpec {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional JobSpec spec = 2;
}

message CronJob {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional CronJobSpec spec = 2;
  optional CronJobStatus status = 3;
}

message CronJobSpec {
  optional string schedule = 1;
  optional string timeZone = 8 [(pointer) = true];
  optional int64 startingDeadlineSeconds = 2 [(pointer) = true];
  optional string concurrencyPolicy = 3;
  optional bool suspend = 4 [(pointer) = true];
  optional JobTemplateSpec jobTemplate = 5;
  optional int32 successfulJobsHistoryLimit = 6 [(pointer) = true];
  optional int32 failedJobsHistoryLimit = 7 [(pointer) = true];
}

message CronJobStatus {
}
`;
