import type { AnyTool } from "./core/tool.js";
import createAccessApplication from "./dsm/create-access-application.js";
import createForm from "./dsm/create-form.js";
import getAccessApplication from "./dsm/get-access-application.js";
import listAccessApplications from "./dsm/list-access-applications.js";
import listRequests from "./dsm/list-requests.js";
import listSchemas from "./dsm/list-schemas.js";
import listSubmissions from "./dsm/list-submissions.js";
import pollAndRetrieve from "./dsm/poll-and-retrieve.js";
import sendRequest from "./dsm/send-request.js";
import updateSubmissionStatus from "./dsm/update-submission-status.js";
import addWorkItemActivity from "./ppm/add-work-item-activity.js";
import createWorkItem from "./ppm/create-work-item.js";
import getWorkItem from "./ppm/get-work-item.js";
import listWorkItemActivities from "./ppm/list-work-item-activities.js";
import listWorkItems from "./ppm/list-work-items.js";
import transitionWorkItem from "./ppm/transition-work-item.js";
import updateWorkItem from "./ppm/update-work-item.js";
import createParty from "./prm/create-party.js";
import getParty from "./prm/get-party.js";
import relateParties from "./prm/relate-parties.js";
import searchParties from "./prm/search-parties.js";
import unrelateParties from "./prm/unrelate-parties.js";
import updateParty from "./prm/update-party.js";
import addRoleMemory from "./wrm/add-role-memory.js";
import appendRunStep from "./wrm/append-run-step.js";
import assignWorker from "./wrm/assign-worker.js";
import attachRunArtifact from "./wrm/attach-run-artifact.js";
import finishAgentRun from "./wrm/finish-agent-run.js";
import getAgentRun from "./wrm/get-agent-run.js";
import getWrmEntity from "./wrm/get-wrm-entity.js";
import listAgentRuns from "./wrm/list-agent-runs.js";
import listRoleMemories from "./wrm/list-role-memories.js";
import listWorkers from "./wrm/list-workers.js";
import listWrmEntities from "./wrm/list-wrm-entities.js";
import saveWrmEntity from "./wrm/save-wrm-entity.js";
import startAgentRun from "./wrm/start-agent-run.js";

export type { AnyTool, BaseDomain, ToolAnnotations, ToolContext, ToolDefinition } from "./core/tool.js";

/**
 * The one registry. Everything else (domains, tools/list, --list-tools, docs/tools.md) is derived from
 * this list. Order is by domain, then name, so tools/list is deterministic.
 */
export const TOOLS: readonly AnyTool[] = [
  createAccessApplication,
  createForm,
  getAccessApplication,
  listAccessApplications,
  listRequests,
  listSchemas,
  listSubmissions,
  pollAndRetrieve,
  sendRequest,
  updateSubmissionStatus,
  addWorkItemActivity,
  createWorkItem,
  getWorkItem,
  listWorkItemActivities,
  listWorkItems,
  transitionWorkItem,
  updateWorkItem,
  createParty,
  getParty,
  relateParties,
  searchParties,
  unrelateParties,
  updateParty,
  addRoleMemory,
  appendRunStep,
  assignWorker,
  attachRunArtifact,
  finishAgentRun,
  getAgentRun,
  getWrmEntity,
  listAgentRuns,
  listRoleMemories,
  listWorkers,
  listWrmEntities,
  saveWrmEntity,
  startAgentRun,
].sort((a, b) => a.domain.localeCompare(b.domain) || a.name.localeCompare(b.name));

export function findTool(name: string): AnyTool | undefined {
  return TOOLS.find((tool) => tool.name === name);
}
