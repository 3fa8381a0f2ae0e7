/**
 * Where a decode step's time goes beyond the arithmetic: {@link dev.billionllm.bench.step.StepOverheadBench}
 * times the whole generator step, the backend's forward call, the engine alone, sampling and
 * detokenisation on one model, for each backend. A benchmark main, never run by tests.
 */
package dev.billionllm.bench.step;
