/** Every workflow the orchestration worker runs. */
export { imagePatchWorkflow } from './imagePatch';
export { cascadeWorkflow } from './cascade';
export { monitorWorkflow } from './monitor';
