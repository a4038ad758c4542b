import { ApiToken } from '../api-tokens/api-token.entity';
import { Assignment } from '../assignments/assignment.entity';
import { HandIn } from '../assignments/hand-in.entity';
import { ClassroomMember } from '../classrooms/classroom-member.entity';
import { Classroom } from '../classrooms/classroom.entity';
import { DataProduct } from '../data-products/data-product.entity';
import { DataProductGroup } from '../groups/data-product-group.entity';
import { NotificationPreference } from '../notifications/notification-preference.entity';
import { Notification } from '../notifications/notification.entity';
import { PipelineLogLine } from '../pipeline-runs/pipeline-log-line.entity';
import { PipelinePreset } from '../pipeline-runs/pipeline-preset.entity';
import { PipelineRunStep } from '../pipeline-runs/pipeline-run-step.entity';
import { PipelineRun } from '../pipeline-runs/pipeline-run.entity';
import { ReducedDatum } from '../reduced-data/reduced-datum.entity';
import { RemoteTaskEvent } from '../remote-pipelines/remote-task-event.entity';
import { TargetList } from '../targets/target-list.entity';
import { Target } from '../targets/target.entity';
import { User } from '../users/user.entity';
import { WorkflowVersion } from '../workflows/workflow-version.entity';

/** Every entity, listed once for the app module and the TypeORM CLI data source. */
export const ENTITIES = [User, Target, TargetList, DataProduct, DataProductGroup, ReducedDatum, PipelineRun, PipelineLogLine, PipelinePreset, ApiToken, Classroom, ClassroomMember, Assignment, HandIn, Notification, NotificationPreference, WorkflowVersion, PipelineRunStep, RemoteTaskEvent];
