/** Every workflow the orchestration worker runs. */
export { imagePatchWorkflow } from './imageWorkflow';
export { cascadeWorkflow } from './cascade';
export { cascadeCoordinatorWorkflow } from './cascadeCoordinator';
export { monitorWorkflow } from './monitor';
export { notificationWorkflow } from './notification';
export { tagRetentionWorkflow } from './retention';
export { mirrorCatalogWorkflow } from './mirror';
