// Compiled by .ci/openapi-generators.sh against the types openapi-typescript
// generates from api/openapi.yaml with its default options: request bodies
// built from their required fields alone must type-check, so a field with
// a default never becomes required.
import type { components, operations } from "./schema";

type S = components["schemas"];

export const createSecret: S["CreateSecret"] = { description: "production" };
export const updateSecret: S["UpdateSecret"] = {};
export const rotate: S["Rotate"] = {};
export const completeRotation: S["CompleteRotation"] = {};
export const createPersonal: S["CreatePersonalCredential"] = {};
export const rotatePersonal: S["RotatePersonalCredential"] = {};
export const createClient: S["CreateClient"] = { name: "billing" };
export const createAuditStream: S["CreateAuditStream"] = { name: "lake", url: "https://collector.example.com/audit" };
export const reportLeaks: S["ReportLeaks"] = { values: [{ value: "kws_…" }] };
export const updatePolicy: S["UpdatePolicy"] = { leak_response: "quarantine" };
export const client: S["APIClient"] | undefined = undefined;

// endSession takes a plain string: a session ID or "current".
export const endSession: operations["endSession"]["parameters"]["path"] = { id: "current" };
