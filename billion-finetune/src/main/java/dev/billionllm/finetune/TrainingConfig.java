package dev.billionllm.finetune;

/**
 * Hyper-parameters of a LoRA training run; defaults follow transformers' {@code TrainingArguments}
 * where it has one (AdamW betas 0.9/0.999, eps 1e-8, no weight decay, max grad norm 1, linear
 * decay) and the Python demo elsewhere.
 *
 * <pre>{@code
 * TrainingConfig c = TrainingConfig.builder().optEpochs(3).optLearningRate(2e-4).optBatchSize(4).build();
 * }</pre>
 */
public final class TrainingConfig {
    private final int epochs;
    private final int maxSteps;
    private final double learningRate;
    private final LrSchedule.Kind schedule;
    private final double warmupRatio;
    private final int batchSize;
    private final int gradAccum;
    private final int maxLength;
    private final double evalSplit;
    private final double maxGradNorm;
    private final double weightDecay;
    private final long seed;
    private final int saveEvery;
    private final int threads;

    private TrainingConfig(Builder b) {
        this.epochs = b.epochs;
        this.maxSteps = b.maxSteps;
        this.learningRate = b.learningRate;
        this.schedule = b.schedule;
        this.warmupRatio = b.warmupRatio;
        this.batchSize = b.batchSize;
        this.gradAccum = b.gradAccum;
        this.maxLength = b.maxLength;
        this.evalSplit = b.evalSplit;
        this.maxGradNorm = b.maxGradNorm;
        this.weightDecay = b.weightDecay;
        this.seed = b.seed;
        this.saveEvery = b.saveEvery;
        this.threads = b.threads;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().optEpochs(epochs).optMaxSteps(maxSteps).optLearningRate(learningRate).optSchedule(schedule)
                .optWarmupRatio(warmupRatio).optBatchSize(batchSize).optGradAccum(gradAccum).optMaxLength(maxLength)
                .optEvalSplit(evalSplit).optMaxGradNorm(maxGradNorm).optWeightDecay(weightDecay).optSeed(seed)
                .optSaveEvery(saveEvery).optThreads(threads);
    }

    public int epochs() {
        return epochs;
    }

    /** Stop after this many optimizer steps (0: run every epoch). */
    public int maxSteps() {
        return maxSteps;
    }

    public double learningRate() {
        return learningRate;
    }

    public LrSchedule.Kind schedule() {
        return schedule;
    }

    public double warmupRatio() {
        return warmupRatio;
    }

    public int batchSize() {
        return batchSize;
    }

    public int gradAccum() {
        return gradAccum;
    }

    public int maxLength() {
        return maxLength;
    }

    public double evalSplit() {
        return evalSplit;
    }

    public double maxGradNorm() {
        return maxGradNorm;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public long seed() {
        return seed;
    }

    /** Checkpoint every this many optimizer steps (0: only at the end). */
    public int saveEvery() {
        return saveEvery;
    }

    /** Torch intra-op threads (0: engine default). */
    public int threads() {
        return threads;
    }

    /** Builds a {@link TrainingConfig}; {@link #build()} rejects bad values. */
    public static final class Builder {
        private int epochs = 3;
        private int maxSteps;
        private double learningRate = 2e-4;
        private LrSchedule.Kind schedule = LrSchedule.Kind.LINEAR;
        private double warmupRatio;
        private int batchSize = 4;
        private int gradAccum = 1;
        private int maxLength = 256;
        private double evalSplit = 0.1;
        private double maxGradNorm = 1.0;
        private double weightDecay;
        private long seed = 42;
        private int saveEvery;
        private int threads;

        private Builder() {}

        /** Passes over the training data; default 3. */
        public Builder optEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** Optimizer-step limit; default 0 (none). */
        public Builder optMaxSteps(int maxSteps) {
            this.maxSteps = maxSteps;
            return this;
        }

        /** Peak learning rate; default 2e-4. */
        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** Decay after warm-up; default linear. */
        public Builder optSchedule(LrSchedule.Kind schedule) {
            this.schedule = schedule;
            return this;
        }

        /** Fraction of the steps spent warming up; default 0. */
        public Builder optWarmupRatio(double ratio) {
            this.warmupRatio = ratio;
            return this;
        }

        /** Sequences per micro-batch (padded to the longest); default 4. */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Micro-batches per optimizer step; default 1. */
        public Builder optGradAccum(int gradAccum) {
            this.gradAccum = gradAccum;
            return this;
        }

        /** Tokens per sequence; longer ones are cut; default 256. */
        public Builder optMaxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        /** Fraction of examples held out for the eval loss; default 0.1. */
        public Builder optEvalSplit(double evalSplit) {
            this.evalSplit = evalSplit;
            return this;
        }

        /** Global gradient norm clip (0: none); default 1. */
        public Builder optMaxGradNorm(double maxGradNorm) {
            this.maxGradNorm = maxGradNorm;
            return this;
        }

        /** Decoupled weight decay; default 0. */
        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** Seed of the LoRA initialisation, data order and dropout; default 42. */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Checkpoint interval in optimizer steps; default 0 (only the final adapter). */
        public Builder optSaveEvery(int saveEvery) {
            this.saveEvery = saveEvery;
            return this;
        }

        /** Torch intra-op threads; default 0 (engine default). */
        public Builder optThreads(int threads) {
            this.threads = threads;
            return this;
        }

        /** @throws IllegalArgumentException naming the bad value */
        public TrainingConfig build() {
            check(epochs >= 1, "epochs must be >= 1, got " + epochs);
            check(maxSteps >= 0, "max steps must be >= 0, got " + maxSteps);
            check(learningRate > 0 && Double.isFinite(learningRate), "learning rate must be positive, got " + learningRate);
            check(warmupRatio >= 0 && warmupRatio < 1, "warm-up ratio must be in [0, 1), got " + warmupRatio);
            check(batchSize >= 1, "batch size must be >= 1, got " + batchSize);
            check(gradAccum >= 1, "gradient accumulation must be >= 1, got " + gradAccum);
            check(maxLength >= 2, "max length must be >= 2, got " + maxLength);
            check(evalSplit >= 0 && evalSplit < 1, "eval split must be in [0, 1), got " + evalSplit);
            check(maxGradNorm >= 0, "max grad norm must be >= 0, got " + maxGradNorm);
            check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
            check(saveEvery >= 0, "save interval must be >= 0, got " + saveEvery);
            check(threads >= 0, "threads must be >= 0, got " + threads);
            return new TrainingConfig(this);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
