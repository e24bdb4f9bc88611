// Compiled against the generated types: a typed client must be able to name these.
import type { components, operations, paths } from "./siji";

export type Worker = components["schemas"]["WorkerResponse"];
export type ImportReport = components["schemas"]["ImportReport"];
export type ImportWorkers = operations["import_workers"];
export type GetJob = paths["/api/v1/jobs/{id}"]["get"];
export type Problem = components["schemas"]["Problem"];
