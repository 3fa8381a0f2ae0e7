/**
 * LoRA fine-tuning on the PyTorch backend with DJL autograd: training data
 * ({@link dev.billionllm.finetune.TrainingData}), the trainer ({@link dev.billionllm.finetune.LoraTrainer})
 * with its hand-written {@link dev.billionllm.finetune.AdamW}, learning-rate
 * {@link dev.billionllm.finetune.LrSchedule} and global-norm clipping, checkpoints in PEFT's format
 * and the demo ({@link dev.billionllm.finetune.FinetuneDemo}).
 *
 * <p>Adapter files, merging and inference with adapters are in {@code dev.billionllm.core.adapter};
 * nothing here is needed to use a trained adapter.
 */
package dev.billionllm.finetune;
