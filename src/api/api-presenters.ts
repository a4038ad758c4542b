import { DataProduct } from '../data-products/data-product.entity';
import { GroupSummary } from '../groups/groups.service';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { PipelinePreset } from '../pipeline-runs/pipeline-preset.entity';
import { PipelineRun } from '../pipeline-runs/pipeline-run.entity';
import { RUN_MAX_ATTEMPTS } from '../pipeline-runs/pipeline-runs.service';
import { PipelineRunStep } from '../pipeline-runs/pipeline-run-step.entity';
import { isWorkflow, RegisteredEntry, RegisteredWorkflow } from '../pipeline-registry/pipeline-registry.service';
import { filterOf, seriesKey, sourceRef } from '../reduced-data/light-curve-series';
import { ReducedDatum } from '../reduced-data/reduced-datum.entity';
import { sexagesimal } from '../targets/dto/target-form';
import { Target } from '../targets/target.entity';
import { DataProductDto } from './dto/data-product.dto';
import { GroupDetailDto, GroupDto } from './dto/group.dto';
import { PipelineDto } from './dto/pipeline.dto';
import { RunDto } from './dto/run.dto';
import { ReducedDatumDto } from './dto/reduced-data.dto';
import { TargetDto } from './dto/target.dto';

/*
 * Entities as the API shows them: named fields only, so internal columns (stored paths, password hashes of
 * joined users) never leak, and dates as ISO strings.
 */

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export function targetView(target: Target, distance: number | null = null): TargetDto {
  const place = sexagesimal(target);
  return {
    id: target.id,
    name: target.name,
    aliases: target.aliases,
    type: target.type,
    ra: target.ra,
    dec: target.dec,
    raSexagesimal: place?.ra ?? null,
    decSexagesimal: place?.dec ?? null,
    epoch: target.epoch,
    pmRa: target.pmRa,
    pmDec: target.pmDec,
    scheme: target.scheme,
    elements: target.elements,
    extra: target.extra,
    visibility: target.visibility,
    classroomId: target.classroomId,
    owner: target.owner?.username ?? null,
    createdAt: iso(target.createdAt)!,
    updatedAt: iso(target.updatedAt)!,
    ...(distance === null ? {} : { distance }),
  };
}

export function productView(product: DataProduct): DataProductDto {
  return {
    id: product.id,
    targetId: product.targetId,
    name: product.originalName,
    productType: product.productType,
    tags: product.tags,
    size: product.size,
    sha256: product.sha256,
    hasThumbnail: Boolean(product.thumbnailPath),
    owner: product.uploadedBy?.username ?? null,
    visibility: product.visibility,
    classroomId: product.classroomId,
    createdAt: iso(product.createdAt)!,
    downloadUrl: `/api/data-products/${product.id}/download`,
  };
}

export function groupSummaryView(group: GroupSummary): GroupDto {
  return {
    id: group.id,
    name: group.name,
    productCount: group.productCount,
    createdBy: group.createdBy,
    visibility: group.visibility,
    classroomId: group.classroomId,
    createdAt: iso(new Date(group.createdAt))!,
  };
}

/** A group whose `products` are already narrowed to what the viewer may see (GroupsService.findForViewer). */
export function groupView(group: DataProductGroup): GroupDetailDto {
  return {
    id: group.id,
    name: group.name,
    productCount: group.products.length,
    createdBy: group.createdBy?.username ?? null,
    visibility: group.visibility,
    classroomId: group.classroomId,
    createdAt: iso(group.createdAt)!,
    products: group.products.map(productView),
  };
}

export function datumView(datum: ReducedDatum): ReducedDatumDto {
  return {
    id: datum.id,
    targetId: datum.targetId,
    dataProductId: datum.dataProductId,
    dataType: datum.dataType,
    sourceName: datum.sourceName,
    timestamp: iso(datum.timestamp)!,
    value: datum.value,
    limit: datum.limit,
    facility: datum.facility,
    ownerId: datum.ownerId,
    visibility: datum.visibility,
    classroomId: datum.classroomId,
    sourceKind: datum.sourceKind,
    runId: datum.runId,
    batchId: datum.batchId,
    seriesKey: seriesKey({ kind: datum.sourceKind, ref: sourceRef(datum.sourceKind, datum), ownerId: datum.ownerId, facility: datum.facility, filter: filterOf(datum.value) }),
  };
}

export function pipelineView(pipeline: RegisteredEntry, presets: PipelinePreset[]): PipelineDto {
  return {
    ...(isWorkflow(pipeline) ? { steps: workflowStepsView(pipeline) } : {}),
    name: pipeline.name,
    key: pipeline.key,
    shortName: pipeline.shortName,
    kind: pipeline.kind,
    description: pipeline.description,
    version: pipeline.version,
    allowedSuffixes: pipeline.allowedSuffixes,
    flags: Object.fromEntries(Object.entries(pipeline.flags).map(([name, spec]) => [name, { default: spec.default, longName: spec.longName }])),
    params: pipeline.params,
    presets: presets.filter((preset) => preset.pipelineKey === pipeline.key).map(({ id, name, flags, params }) => ({ id, name, flags, params })),
  };
}

/** A workflow's steps as the API and pipeline:list describe them. */
export function workflowStepsView(workflow: RegisteredWorkflow) {
  return workflow.steps.map((step) => ({ position: step.position, pipeline: step.pipeline, flags: step.flags, params: step.params, expose: step.expose, inputs: step.inputs, keep: step.keep }));
}

export function runView(run: PipelineRun, steps?: PipelineRunStep[]): RunDto {
  return {
    workflowVersionId: run.workflowVersionId ?? null,
    ...(steps?.length
      ? {
          steps: steps.map((step) => ({
            position: step.position,
            pipeline: step.pipelineKey,
            state: step.state,
            status: step.status,
            failureMessage: step.failureMessage,
            flags: step.flags,
            params: step.params,
            outputIds: step.outputIds,
            pointCount: step.pointCount,
            reusedFromRunId: step.reusedFromRunId,
            startedAt: iso(step.startedAt),
            finishedAt: iso(step.finishedAt),
          })),
        }
      : {}),
    id: run.id,
    identifier: run.identifier,
    pipeline: run.pipelineKey,
    targetId: run.targetId,
    inputIds: run.inputIds,
    flags: run.flags,
    params: run.params ?? {},
    state: run.state,
    status: run.status,
    failureMessage: run.failureMessage,
    attempt: run.attempt,
    maxAttempts: RUN_MAX_ATTEMPTS,
    outputGroupId: run.outputGroupId,
    requestedBy: run.requestedBy?.username ?? null,
    visibility: run.visibility,
    classroomId: run.classroomId,
    createdAt: iso(run.createdAt)!,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
  };
}
