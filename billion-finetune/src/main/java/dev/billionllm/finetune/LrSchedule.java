package dev.billionllm.finetune;

/**
 * Learning rate per optimizer step: linear warm-up from 0, then linear or cosine decay to 0 at the
 * last step, as transformers' {@code get_linear_schedule_with_warmup} and
 * {@code get_cosine_schedule_with_warmup}.
 *
 * <pre>{@code
 * LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 2e-4, 10, 100);
 * double lr = s.at(0);   // 0 (first warm-up step), s.at(10) = 2e-4
 * }</pre>
 *
 * @param peak learning rate after warm-up
 * @param warmupSteps steps of linear warm-up
 * @param totalSteps optimizer steps of the whole run
 */
public record LrSchedule(Kind kind, double peak, int warmupSteps, int totalSteps) {

    /** Decay after warm-up. */
    public enum Kind { LINEAR, COSINE, CONSTANT }

    public LrSchedule {
        if (!(peak > 0) || !Double.isFinite(peak)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps < 1) {
            throw new IllegalArgumentException("need warmupSteps >= 0 and totalSteps >= 1, got " + warmupSteps + " and "
                    + totalSteps);
        }
    }

    /** The rate for optimizer step {@code step} (0-based: the number of updates already made). */
    public double at(int step) {
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        if (kind == Kind.CONSTANT) {
            return peak;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        if (kind == Kind.LINEAR) {
            return peak * Math.max(0, 1 - progress);
        }
        return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
