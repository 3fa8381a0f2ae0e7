package dev.billionllm.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter), as {@code torch.optim.AdamW} computes it, on engine arrays:
 *
 * <pre>
 * p = p - lr * weightDecay * p                       (decoupled decay)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g^2
 * p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 * </pre>
 *
 * Written by hand rather than DJL's {@code Adam} optimizer, which has no decoupled weight decay
 * and keeps its state in a parameter store this trainer does not use. Moments live in the
 * parameters' manager; each step's temporaries in a sub-manager that is closed before returning.
 *
 * <pre>{@code
 * AdamW opt = new AdamW(params, 0.9, 0.999, 1e-8, 0.0);
 * opt.step(grads, lr);
 * }</pre>
 */
public final class AdamW {
    private final List<NDArray> params;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private int steps;

    /** Zero moments beside each parameter. */
    public AdamW(List<NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || weightDecay < 0) {
            throw new IllegalArgumentException("need eps > 0 and weight decay >= 0, got " + eps + ", " + weightDecay);
        }
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (NDArray p : params) {
            m.add(p.zerosLike());
            v.add(p.zerosLike());
        }
    }

    /** Updates already made. */
    public int steps() {
        return steps;
    }

    /** First moments, in parameter order (for checkpoints). */
    public List<NDArray> firstMoments() {
        return m;
    }

    /** Second moments, in parameter order. */
    public List<NDArray> secondMoments() {
        return v;
    }

    /** Restores a checkpoint's moments and step count. */
    public void restore(List<float[]> first, List<float[]> second, int steps) {
        for (int i = 0; i < params.size(); i++) {
            EngineArrays.copyInto(m.get(i), first.get(i), "optimizer state exp_avg[" + i + "]");
            EngineArrays.copyInto(v.get(i), second.get(i), "optimizer state exp_avg_sq[" + i + "]");
        }
        this.steps = steps;
    }

    /**
     * One update of every parameter in place. Must run with grad mode off (an in-place change of a
     * leaf that requires gradients is an error otherwise); the trainer calls it outside the collector.
     *
     * @param grads gradient per parameter, same order
     */
    public void step(List<NDArray> grads, double lr) {
        steps++;
        double c1 = 1 - Math.pow(beta1, steps);
        double c2 = 1 - Math.pow(beta2, steps);
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            NDArray g = grads.get(i);
            NDArray mi = m.get(i);
            NDArray vi = v.get(i);
            try (NDManager tmp = p.getManager().newSubManager()) {
                // Results of an op go to its first operand's manager: attaching the operands to tmp
                // for the step puts every temporary there, and closing tmp hands them back.
                tmp.tempAttachAll(p, g, mi, vi);
                if (weightDecay > 0) {
                    p.muli(1 - lr * weightDecay);
                }
                mi.muli(beta1).addi(g.mul(1 - beta1));
                vi.muli(beta2).addi(g.square().muli(1 - beta2));
                NDArray denom = vi.div(c2).sqrt().addi(eps);
                p.subi(mi.div(denom).muli(lr / c1));
            }
        }
    }
}
